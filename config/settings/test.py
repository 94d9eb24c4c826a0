"""Tests: the real PostgreSQL and Redis of the machine unless DATABASE_URL / REDIS_URL say otherwise.

`TEST_DATABASE=sqlite` runs the same suite on SQLite, the embedded default.
"""

import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_str

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-0123456789"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Strict like config/env.py: a misspelt TEST_DATABASE must not quietly run on PostgreSQL.
_database = env_str("TEST_DATABASE", "") or "postgres"
if _database not in ("postgres", "sqlite"):
    raise ImproperlyConfigured(f"TEST_DATABASE={_database!r} is not sqlite or postgres (the default)")
if _database == "sqlite":
    DATABASES = {"default": {**dj_database_url.parse("sqlite:///" + str(BASE_DIR / "test.sqlite3")), "OPTIONS": SQLITE_OPTIONS}}  # noqa: F405
else:
    DATABASES = {
        "default": database_tuned(dj_database_url.parse(env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")))  # noqa: F405
    }
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/15")
# A prefix per process: two test runs on one machine never read each other's cached pages.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                      "KEY_PREFIX": f"test-{os.getpid()}"}}
# Tests that need a real worker start one against this broker; everything else runs eagerly.
# Under pytest-xdist each worker process gets a broker database of its own (gw0 14, gw1 12, gw2 11,
# …; 13 is the benchmarks'), so two real-worker tests running at once never take each other's tasks.
_XDIST_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_BROKER_DB = 14 if _XDIST_WORKER == 0 else max(1, 13 - _XDIST_WORKER)
CELERY_BROKER_URL = env_str("TEST_CELERY_BROKER_URL", f"redis://127.0.0.1:6379/{_BROKER_DB}")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
MEDIA_ROOT = BASE_DIR / "media" / "test"  # noqa: F405
PRIVATE_MEDIA_ROOT = BASE_DIR / "private" / "test"  # noqa: F405
STORAGES["private"] = {"BACKEND": "django.core.files.storage.FileSystemStorage",  # noqa: F405
                       "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT)}}
AXES_FAILURE_LIMIT = 5
# Static files are served by runserver (dev) or not at all (tests); whitenoise only in production.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
