"""Local development: DEBUG on, everything else as in base (SQLite unless DATABASE_URL is set)."""

from config.env import env_bool

from .base import *  # noqa: F403

DEBUG = env_bool("DEBUG", True)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Static files are served by runserver (dev) or not at all (tests); whitenoise only in production.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
if CELERY_TASK_ALWAYS_EAGER:  # noqa: F405
    # Tasks run in-process (no broker): a line per task would drown the request log.
    LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}  # noqa: F405
