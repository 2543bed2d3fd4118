"""Production: every secret from the environment, TLS-only cookies, HSTS. Start-up fails without them."""

from django.core.exceptions import ImproperlyConfigured

from config.django.base import *  # noqa: F403
from config.django.base import PARLEY_KEYS, PARLEY_KEYS_FILE, PARLEY_SMTP_URL, SECRET_KEY
from config.env import env_int

if not SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("PARLEY_SECRET_KEY (or PARLEY_SECRET_KEY_FILE) must be set to at least 50 characters.")
if not (PARLEY_KEYS or PARLEY_KEYS_FILE):
    raise ImproperlyConfigured("PARLEY_KEYS or PARLEY_KEYS_FILE must provide the key-encryption keys.")

if not PARLEY_SMTP_URL:
    # Without it mail would only be printed: invitations and password resets would never arrive.
    raise ImproperlyConfigured("PARLEY_SMTP_URL must name the mail server, e.g. smtp+starttls://user:pass@mail.example:587.")

DEBUG = False
SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("PARLEY_HSTS_SECONDS", 63072000, minimum=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The __Host- prefix pins the cookie to this host, path / and HTTPS.
SESSION_COOKIE_NAME = "__Host-parley_session"
CSRF_COOKIE_NAME = "__Host-parley_csrf"
