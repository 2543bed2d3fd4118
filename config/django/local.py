"""Settings for `make run`: SQLite under the data directory, console and outbox mail, generated local secrets."""

import secrets

from config.django.base import *  # noqa: F403
from config.django.base import DATA_DIR, SECRET_KEY
from config.env import env_bool


def _local_secret(name: str) -> str:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / name
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = SECRET_KEY or _local_secret("secret-key")
PARLEY_GENERATE_KEYS = True  # a key file is created under the data directory on first start, mode 0600
PARLEY_DEV_OUTBOX = env_bool("PARLEY_DEV_OUTBOX", True)
