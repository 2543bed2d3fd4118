"""For comparison only: local settings with persistent database connections (config/django/base.py closes the
SQLite connection after every request). Use as a variant:
    run.py --variant 'persistent-db:DJANGO_SETTINGS_MODULE=settings_persistent_db;PYTHONPATH=bench/http'
"""

from config.django.local import *  # noqa: F403
from config.django.local import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = None
