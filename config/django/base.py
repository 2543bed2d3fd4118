"""Settings shared by every environment.

Composition: base.py (this file) holds what is true everywhere and reads the environment through config/env.py;
local.py (make run), test.py (pytest) and production.py override it. Secrets never live in this repository:
they come from the environment, files named by *_FILE variables, or (local.py only) files generated under the
data directory. Every variable is listed in the README's table.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_secret, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(env_str("PARLEY_DATA_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("PARLEY_DEBUG", False)
SECRET_KEY = env_secret("PARLEY_SECRET_KEY")
ALLOWED_HOSTS = env_list("PARLEY_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("PARLEY_CSRF_TRUSTED_ORIGINS", [])
PARLEY_BASE_URL = env_str("PARLEY_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_tasks_db",
    "parley.core",
    "parley.crypto",
    "parley.privacy",
    "parley.tenants",
    "parley.accounts",
    "parley.files",
    "parley.experts",
    "parley.notifications",
    "parley.portals",
    "parley.interactions",
    "parley.realtime",
    "parley.widget",
    "parley.scheduling",
    "parley.calls",
    "parley.dsr",
    "parley.holds",
    "parley.accesslog",
    "parley.consent",
    "parley.stats",
    "parley.careers",
]

MIDDLEWARE = [
    "parley.accesslog.middleware.access_log_middleware",  # first: logs the status the client gets (P18)
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "parley.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "parley.portals.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_url(
            "DATABASE_URL",
            f"sqlite:///{DATA_DIR / 'parley.sqlite3'}",
            schemes=("sqlite", "postgres", "postgresql"),
        ),
        conn_max_age=env_int("PARLEY_DB_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the server and the worker read while one writes; IMMEDIATE avoids upgrade deadlocks. Connections
    # persist (PARLEY_DB_CONN_MAX_AGE): a new one per request re-runs the PRAGMAs and re-reads the schema, which
    # cost /healthz 60 % of its time (bench/http/README.md).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss"))

if REDIS_URL:
    # See ../shared/stack-notes.md: redis-py 8's socket timeout and pool size break channels-redis by default.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "max_connections": 1000, "socket_timeout": None}]},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Capacity: the default (100 per channel) silently drops events for a socket that is awaiting a database hop
    # while its conversations are busy (bench/chat/lost_events.py reproduces it).
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 10_000}}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Accounts and sessions
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["parley.accounts.backends.TenantEmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour
SESSION_ENGINE = "parley.accounts.sessions"
SESSION_COOKIE_NAME = "parley_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
PARLEY_REMEMBER_ME_DAYS = env_int("PARLEY_REMEMBER_ME_DAYS", 30, minimum=1, maximum=90)
SESSION_COOKIE_AGE = PARLEY_REMEMBER_ME_DAYS * 24 * 3600
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LOGIN_URL = "home"

PARLEY_LOGIN_MAX_FAILURES = env_int("PARLEY_LOGIN_MAX_FAILURES", 5, minimum=1)
PARLEY_LOGIN_LOCK_MINUTES = env_int("PARLEY_LOGIN_LOCK_MINUTES", 15, minimum=1)
PARLEY_INVITATION_DAYS = env_int("PARLEY_INVITATION_DAYS", 7, minimum=1, maximum=30)
# Calls (P05): ICE servers for the browsers; TURN credentials in coturn's shared-secret format, per join.
PARLEY_ICE_SERVERS = env_list("PARLEY_ICE_SERVERS", [])
PARLEY_TURN_SECRET = env_str("PARLEY_TURN_SECRET", "")
PARLEY_TURN_TTL = env_int("PARLEY_TURN_TTL", 3 * 3600, minimum=300, maximum=86_400)
# Anonymous endpoints (the web app's API and sockets) are rate-limited; switch off only for load tests.
PARLEY_RATE_LIMITS = env_bool("PARLEY_RATE_LIMITS", True)
# An expert counts as online while a portal socket of theirs sent a heartbeat within this many seconds.
PARLEY_PRESENCE_TIMEOUT = env_int("PARLEY_PRESENCE_TIMEOUT", 60, minimum=10, maximum=600)

# Encryption at rest: key-encryption keys come from PARLEY_KEYS (JSON) or the file PARLEY_KEYS_FILE names.
# Not env_secret: PARLEY_KEYS_FILE names the key file itself, which the keyring reads (and rotate-keys rewrites).
PARLEY_KEYS = env_str("PARLEY_KEYS", "")
PARLEY_KEYS_FILE = env_str("PARLEY_KEYS_FILE", "")
PARLEY_GENERATE_KEYS = False
FILES_DIR = Path(env_str("PARLEY_FILES_DIR", str(DATA_DIR / "files"))).resolve()
PARLEY_MAX_PHOTO_BYTES = env_int("PARLEY_MAX_PHOTO_BYTES", 5 * 1024 * 1024, minimum=1024)

# Mail. PARLEY_SMTP_URL: smtp://host:port (plain), smtp+starttls://, smtps:// (TLS); user:password@ allowed.
PARLEY_MAIL_FROM = env_str("PARLEY_MAIL_FROM", "Parley <no-reply@parley.test>")
PARLEY_SMTP_URL = env_url("PARLEY_SMTP_URL", "", schemes=("smtp", "smtp+starttls", "smtps"))
PARLEY_DEV_OUTBOX = env_bool("PARLEY_DEV_OUTBOX", False)
DEFAULT_FROM_EMAIL = PARLEY_MAIL_FROM


def _mailers(smtp_url: str) -> dict:
    from urllib.parse import unquote, urlsplit

    if not smtp_url:
        return {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    parts = urlsplit(smtp_url)
    if not parts.hostname:
        raise ImproperlyConfigured("PARLEY_SMTP_URL must name a host, e.g. smtp://127.0.0.1:25.")
    options: dict = {"host": parts.hostname, "port": parts.port, "timeout": 10}
    if parts.username:
        options["username"] = unquote(parts.username)
        options["password"] = unquote(parts.password or "")
    if parts.scheme == "smtps":
        options["use_ssl"] = True
    elif parts.scheme == "smtp+starttls":
        options["use_tls"] = True
    return {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}}


MAILERS = _mailers(PARLEY_SMTP_URL)

# Languages: English and German complete; the user's profile language wins, else the browser's.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German")), ("fr", _("French")), ("it", _("Italian"))]
LOCALE_PATHS = [BASE_DIR / "parley" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# `parley serve` serves /static/ itself unless a front proxy does (PARLEY_SERVE_STATIC=0).
PARLEY_SERVE_STATIC = env_bool("PARLEY_SERVE_STATIC", True)
PARLEY_HTTP_THREADS = env_int("PARLEY_HTTP_THREADS", 8, minimum=1, maximum=256)
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"

# Security headers. The CSP allows only our own origin: no third-party script, style, font or frame.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Access log (P18): one JSON line per request in PARLEY_ACCESS_LOG_DIR/access-YYYY-MM-DD.log, IP shortened to /24 or
# /48 before writing; day files older than PARLEY_ACCESS_LOG_DAYS are deleted by housekeeping (parley/accesslog).
PARLEY_ACCESS_LOG = env_bool("PARLEY_ACCESS_LOG", True)
PARLEY_ACCESS_LOG_DIR = Path(env_str("PARLEY_ACCESS_LOG_DIR", str(DATA_DIR / "logs"))).resolve()
PARLEY_ACCESS_LOG_DAYS = env_int("PARLEY_ACCESS_LOG_DAYS", 14, minimum=1, maximum=90)
# Consent records (parley/consent): how long a withdrawn consent is kept as proof (Art. 7(1) GDPR).
PARLEY_CONSENT_PROOF_MONTHS = env_int("PARLEY_CONSENT_PROOF_MONTHS", 36, minimum=1, maximum=120)
# Register of processing activities and privacy notice (parley/privacy, P30, P31): the platform operator (processor
# for the tenants), its data-protection contact (shown where a tenant names no DPO), and further processors as a JSON
# list of {"name", "service", "location"} objects (mail, TURN and calendar providers are derived from their settings).
PARLEY_OPERATOR = env_str("PARLEY_OPERATOR", "")
PARLEY_DPO = env_str("PARLEY_DPO", "")
PARLEY_PROCESSORS = env_str("PARLEY_PROCESSORS", "")
# Retention engine (parley/privacy/retention.py, P06, P25): rows per purge transaction; how far past its limit the
# oldest record may be before `parley retention-check` and /healthz report a failure; how long the erasure ledger
# is kept (longer than the oldest backup it must be re-applied to with `parley restore-check`).
PARLEY_RETENTION_BATCH_SIZE = env_int("PARLEY_RETENTION_BATCH_SIZE", 500, minimum=1, maximum=10_000)
PARLEY_RETENTION_GRACE_HOURS = env_int("PARLEY_RETENTION_GRACE_HOURS", 26, minimum=1, maximum=24 * 30)
PARLEY_ERASURE_LEDGER_DAYS = env_int("PARLEY_ERASURE_LEDGER_DAYS", 400, minimum=31, maximum=3650)
# Data-subject requests (parley/dsr, P29): the request's e-mail, name and text are shredded this many months after
# it was closed; number, right, status and dates stay as proof it was answered.
PARLEY_DSR_RETENTION_MONTHS = env_int("PARLEY_DSR_RETENTION_MONTHS", 36, minimum=1, maximum=120)

LOG_LEVEL = env_str("PARLEY_LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"PARLEY_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL (got {LOG_LEVEL!r}).")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "parley.core.logging.ScrubFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["scrub"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django logs the request path and, on errors, request details; the filter scrubs them.
        "django.request": {"level": "ERROR"},
        "django.security": {"level": "WARNING"},
        # uvicorn's access log writes full client IP addresses (P18): never enabled.
        "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        "pikepdf": {"level": "WARNING"},  # announces its C++ log bridge at INFO on import
    },
}

# --- Calendar sync (P12): parley/scheduling/calendars ------------------------------------------------------------
# Google and Microsoft are offered once a client id and secret are set. The endpoint URLs default to the real ones;
# tests point them at local servers. A calendar's content never reaches the logs: the caldav library logs whole
# responses at DEBUG, so its loggers (and the HTTP clients') stay at WARNING whatever PARLEY_LOG_LEVEL says.
INSTALLED_APPS += ["parley.scheduling.calendars"]
PARLEY_GOOGLE_CLIENT_ID = env_str("PARLEY_GOOGLE_CLIENT_ID", "")
PARLEY_GOOGLE_CLIENT_SECRET = env_secret("PARLEY_GOOGLE_CLIENT_SECRET")
PARLEY_GOOGLE_AUTH_URL = env_url("PARLEY_GOOGLE_AUTH_URL", "https://accounts.google.com/o/oauth2/v2/auth", schemes=("https",))
PARLEY_GOOGLE_TOKEN_URL = env_url("PARLEY_GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token", schemes=("https",))
PARLEY_GOOGLE_API_URL = env_url("PARLEY_GOOGLE_API_URL", "https://www.googleapis.com/calendar/v3", schemes=("https",))
PARLEY_GOOGLE_REVOKE_URL = env_url("PARLEY_GOOGLE_REVOKE_URL", "https://oauth2.googleapis.com/revoke", schemes=("https",))
PARLEY_MICROSOFT_CLIENT_ID = env_str("PARLEY_MICROSOFT_CLIENT_ID", "")
PARLEY_MICROSOFT_CLIENT_SECRET = env_secret("PARLEY_MICROSOFT_CLIENT_SECRET")
PARLEY_MICROSOFT_AUTH_URL = env_url(
    "PARLEY_MICROSOFT_AUTH_URL", "https://login.microsoftonline.com/common/oauth2/v2.0/authorize", schemes=("https",)
)
PARLEY_MICROSOFT_TOKEN_URL = env_url(
    "PARLEY_MICROSOFT_TOKEN_URL", "https://login.microsoftonline.com/common/oauth2/v2.0/token", schemes=("https",)
)
PARLEY_MICROSOFT_API_URL = env_url("PARLEY_MICROSOFT_API_URL", "https://graph.microsoft.com/v1.0", schemes=("https",))
PARLEY_CALENDAR_HTTP_TIMEOUT = float(env_int("PARLEY_CALENDAR_HTTP_TIMEOUT", 10, minimum=1, maximum=60))
PARLEY_CALENDAR_SYNC_BATCH = env_int("PARLEY_CALENDAR_SYNC_BATCH", 50, minimum=1, maximum=1000)
# CalDAV servers on private, loopback or link-local addresses (and plain http to 127.0.0.1) are refused unless this is
# on: an expert's URL must not reach Parley's own network.
PARLEY_CALDAV_ALLOW_PRIVATE = env_bool("PARLEY_CALDAV_ALLOW_PRIVATE", False)
for _quiet in ("caldav", "httpx", "httpcore", "niquests", "urllib3", "urllib3_future", "recurring_ical_events"):
    LOGGING["loggers"][_quiet] = {"level": "WARNING"}  # type: ignore[index]
# --- end of calendar sync ------------------------------------------------------------------------------------------
