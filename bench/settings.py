"""Settings for the benchmarks that need production as deployed: the HTTP ones (minus HTTPS, as
they talk plain HTTP to gunicorn on the loopback, and with /bench/bare/ routed) and roster_update_*
(whose SQLite database thereby gets base.py's options, as the embedded default has them).

Never used by the site itself. The benchmark passes DATABASE_URL, REDIS_URL and STATIC_ROOT.
"""

import os

# Production insists on a secret from the environment; a benchmark has none to keep.
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz")

from config.env import env_int
from config.settings.production import *  # noqa: F403

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECURE_SSL_REDIRECT = False
# Persistent database connections, as a production deployment would set DATABASE_CONN_MAX_AGE.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 600)  # noqa: F405
ROOT_URLCONF = "bench.urls"
