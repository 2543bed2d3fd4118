"""Settings for pytest. SQLite by default; DATABASE_URL and REDIS_URL switch to the real services."""

import os
import tempfile

os.environ.setdefault("PARLEY_DATA_DIR", tempfile.mkdtemp(prefix="parley-test-"))

from config.django.base import *  # noqa: E402, F403
from config.django.base import DATA_DIR, DATABASES  # noqa: E402

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-used-anywhere-else-0123456789"  # noqa: S105
PARLEY_GENERATE_KEYS = True
FILES_DIR = DATA_DIR / "files"
PARLEY_DEV_OUTBOX = True
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
# Argon2 stays on: tests prove the stored hash is Argon2id (P03). Its cost is kept low only for speed.
PASSWORD_HASHERS = ["parley.accounts.hashers.FastTestArgon2Hasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
