"""Settings shared by every environment; each value can be overridden from the environment.

The defaults give the embedded set-up (SQLite, eager Celery, local files) so that a newcomer can run
the site with nothing else installed. Production reads the same names from `.env` (see `.env.example`).
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from config.env import env_bool, env_int, env_json, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

INSTALLED_APPS = [
    "core",
    "cms",
    "orgs",
    "learning",
    "exams",
    "surveys",
    "champions",
    "wagtail.contrib.forms",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_tasks",
    "import_export",
    "rest_framework",
    "drf_spectacular",
    "axes",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the user read together with the session (core.sessions).
    "core.middleware.AuthenticationMiddleware",
    "core.middleware.ScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, so that a locked-out login is answered before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "core.context_processors.header",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
# SQLite (the embedded default) with several visitors at once. WAL: readers never wait for a
# writer. IMMEDIATE: a transaction takes the write lock when it begins, so a second writer waits
# for it (up to SQLITE_BUSY_TIMEOUT seconds) instead of failing with "database is locked" when
# it would have to upgrade a read lock half-way. synchronous=NORMAL is safe with WAL: a power cut
# may lose the last commits, never the file.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    "transaction_mode": "IMMEDIATE",
    "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20),
}
# PostgreSQL: no JIT compilation (POSTGRES_JIT=true to allow it). The compliance statement over a
# large employer (correlated subqueries per cycle) is costed far above jit_above_cost, so every
# call spent more time compiling it than running it (docs/benchmarks.md, training_compliance).
POSTGRES_JIT = env_bool("POSTGRES_JIT", False)


def database_tuned(database: dict) -> dict:
    """A DATABASES entry with the options its engine runs with here (the test settings, which
    build their own entry, call this too)."""
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["OPTIONS"] = {**SQLITE_OPTIONS, **database.get("OPTIONS", {})}
    elif database["ENGINE"] == "django.db.backends.postgresql" and not POSTGRES_JIT:
        options = database.setdefault("OPTIONS", {})
        if "jit=" not in options.get("options", ""):
            options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    return database


DATABASES["default"] = database_tuned(DATABASES["default"])
# The hot paths' fixed statements (core.fixedsql) as server-side prepared statements on
# PostgreSQL; off behind a pooler in transaction mode that does not keep them (docs/deployment.md).
FIXEDSQL_PREPARED = env_bool("DATABASE_PREPARED_STATEMENTS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "orgs.User"
# Django's database sessions, read by a fixed statement (core.fixedsql): every signed-in request reads one.
SESSION_ENGINE = "core.sessions"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out credentials before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend's rules; the signed-in user read by a fixed statement (core.fixedsql). A session
    # made under django.contrib.auth's ModelBackend is signed out once: it names that backend.
    "core.auth.UserBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Login lockout (django-axes): after AXES_FAILURE_LIMIT failures for the same username from the
# same address the account is locked for AXES_COOLOFF_HOURS.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0)

# Account activation with a code the employer admin issues (docs/accounts.md): how long a code is
# valid, and failed attempts per phone (four times as many per address) before a pause.
ACTIVATION_CODE_DAYS = env_int("ACTIVATION_CODE_DAYS", 14)
ACTIVATION_FAILURE_LIMIT = env_int("ACTIVATION_FAILURE_LIMIT", AXES_FAILURE_LIMIT)
ACTIVATION_COOLOFF_HOURS = env_int("ACTIVATION_COOLOFF_HOURS", AXES_COOLOFF_TIME)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Chart.js comes from npm (package.json, `npm ci` in `make install`) and is served as our own static
# file: the site must work on a government network with no outside access (no CDN).
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist")]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Files with personal data (uploaded rosters): never served by the web server.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private")))
# "private" holds files with personal data (uploaded rosters, generated workbooks). On one host it is
# a folder outside MEDIA_ROOT; with Celery workers on several hosts, point it at S3-compatible
# storage that all of them reach (PRIVATE_STORAGE_BACKEND and PRIVATE_STORAGE_OPTIONS, a JSON
# object of the backend's options; docs/deployment.md).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": env_str("PRIVATE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env_json("PRIVATE_STORAGE_OPTIONS", {"location": str(PRIVATE_MEDIA_ROOT)}),
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# Roster files are streamed to disk above this size instead of being held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
ROSTER_MAX_UPLOAD_BYTES = env_int("ROSTER_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
# Roster files larger than this (bytes) are checked, and rosters with more rows than this imported,
# by a Celery task behind a progress bar; smaller ones are handled inside the request.
ROSTER_BACKGROUND_BYTES = env_int("ROSTER_BACKGROUND_BYTES", 200 * 1024)
ROSTER_BACKGROUND_ROWS = env_int("ROSTER_BACKGROUND_ROWS", 2000)
# Roster checks look numbers up, so they are rate-limited per employer: files checked an hour, and
# ID numbers outside the employer's own roster checked a day (more than any real roster holds).
ROSTER_CHECKS_PER_HOUR = env_int("ROSTER_CHECKS_PER_HOUR", 30)
ROSTER_OUTSIDE_NUMBERS_PER_DAY = env_int("ROSTER_OUTSIDE_NUMBERS_PER_DAY", 50_000)

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: with no broker configured, tasks run eagerly in the calling process (embedded set-up).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE

# Wagtail's own background work (renditions, reference index) goes through django-tasks. The
# immediate backend runs it in-process; our long jobs go through Celery instead.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

WAGTAIL_SITE_NAME = env_str("SITE_NAME", "职业健康达人")
WAGTAILADMIN_BASE_URL = env_str("BASE_URL", "http://localhost:8000")
# "simple": no stemming or stop words, so the n-gram tokens of cms.search are indexed as written.
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database", "SEARCH_CONFIG": "simple"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "mp4", "pdf", "pptx", "txt", "webm", "xlsx", "zip"]
# Lesson videos play in the page's <video>, so they are served inline rather than as a download.
WAGTAILDOCS_INLINE_CONTENT_TYPES = ["application/pdf", "text/plain", "video/mp4", "video/webm"]
# Images are checked by content (Pillow/Willow), not only by name; anything else is refused.
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = env_int("IMAGE_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 64_000_000
WAGTAIL_I18N_ENABLED = False

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "职业健康达人 API",
    "DESCRIPTION": "Occupational-health training, exams and awareness platform",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["config.api_schema.only_public_api"],
    # One name for the post roles, whichever serializer field carries them.
    "ENUM_NAME_OVERRIDES": {"PostRoleEnum": "orgs.models.PostRole.choices"},
}

IMPORT_EXPORT_USE_TRANSACTIONS = True

# Notifications (core.notifications, docs/notifications.md): the in-site inbox always; e-mail when
# NOTIFY_EMAIL is on and the person has an address; SMS only through a provider class you add.
NOTIFY_EMAIL = env_bool("NOTIFY_EMAIL", False)
# Required once e-mail is on: mail from webmaster@localhost is refused or binned by mail servers.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") if NOTIFY_EMAIL else env_str("DEFAULT_FROM_EMAIL", "webmaster@localhost")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# Seconds: a mail server that hangs must not hold a request or a worker for ever.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# Dotted path to a class implementing core.notifications.SmsChannel; none is bundled, "" = no SMS.
NOTIFY_SMS_BACKEND = env_str("NOTIFY_SMS_BACKEND", "")

# Domain settings with no national value (see docs/domain.md).
MINUTES_PER_STUDY_HOUR = env_int("MINUTES_PER_STUDY_HOUR", 45)
# Study time (learning.services.study, docs/learning.md). The lesson page beats every
# STUDY_HEARTBEAT_SECONDS while it is visible and the worker active; a beat further than
# STUDY_GAP_SECONDS from the previous one credits nothing (the time between is not known to be
# study); after STUDY_IDLE_SECONDS without a touch or a playing video the page asks "您还在吗？".
STUDY_HEARTBEAT_SECONDS = env_int("STUDY_HEARTBEAT_SECONDS", 30)
STUDY_GAP_SECONDS = env_int("STUDY_GAP_SECONDS", 75)
STUDY_IDLE_SECONDS = env_int("STUDY_IDLE_SECONDS", 300)
# A lesson credits at most its credited minutes plus this margin, and completes at this share of
# them (and of its video, when it has one).
STUDY_LESSON_MARGIN_PERCENT = env_int("STUDY_LESSON_MARGIN_PERCENT", 20)
STUDY_COMPLETE_PERCENT = env_int("STUDY_COMPLETE_PERCENT", 95)
# Offline beats older than this are refused; a phone clock this far ahead of the server's is refused.
STUDY_QUEUE_MAX_HOURS = env_int("STUDY_QUEUE_MAX_HOURS", 72)
STUDY_CLOCK_SKEW_SECONDS = env_int("STUDY_CLOCK_SKEW_SECONDS", 120)
# rows: a larger 学时 workbook is written in the background
STUDY_HOURS_BACKGROUND_ROWS = env_int("STUDY_HOURS_BACKGROUND_ROWS", 2000)
# Training programmes (learning.services.programmes, docs/programmes.md): someone first listed
# with a hire date older than this many days was in post already and owes the annual training,
# not the first cycle; reminders go this many days before a due date, and once more when overdue;
# a compliance workbook of more rows than this is written in the background.
TRAINING_NEW_HIRE_DAYS = env_int("TRAINING_NEW_HIRE_DAYS", 90)
TRAINING_REMIND_DAYS = env_int("TRAINING_REMIND_DAYS", 7)
TRAINING_EXPORT_BACKGROUND_ROWS = env_int("TRAINING_EXPORT_BACKGROUND_ROWS", 2000)
EXAM_PASS_PERCENT = env_int("EXAM_PASS_PERCENT", 60)
# Seconds after an exam's deadline during which answers already in flight are still taken; after
# it the attempt is graded as it stands (exams.services.attempts).
EXAM_GRACE_SECONDS = env_int("EXAM_GRACE_SECONDS", 30)
# An autosaved answer is committed without waiting for its WAL flush on PostgreSQL (the flush
# follows within a fraction of a second): a database crash in that moment may lose it, never the
# submit, which is committed durably and carries every chosen answer from the page again
# (docs/exams.md). false: every autosave waits for its flush.
EXAM_ANSWER_ASYNC_COMMIT = env_bool("EXAM_ANSWER_ASYNC_COMMIT", True)
# Papers drawn ahead when a window opens: one per assigned worker plus this many for open exams.
EXAM_PAPERS_AHEAD = env_int("EXAM_PAPERS_AHEAD", 200)
# Largest bank file (xlsx or Moodle XML) the import takes.
EXAM_BANK_MAX_UPLOAD_BYTES = env_int("EXAM_BANK_MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
# A results workbook with more rows than this is written in the background (a job with a progress bar).
EXAM_RESULTS_BACKGROUND_ROWS = env_int("EXAM_RESULTS_BACKGROUND_ROWS", 2000)
# Certificates (docs/certificates.md): the font files they are drawn in (.ttf, .otf or .ttc with
# Chinese glyphs; empty: the Noto CJK files are looked for, e.g. Debian's fonts-noto-cjk), and how
# many unknown codes one address may try on the public verify page in an hour.
CERTIFICATE_FONT = env_str("CERTIFICATE_FONT", "")
CERTIFICATE_FONT_BOLD = env_str("CERTIFICATE_FONT_BOLD", "")
CERTIFICATE_VERIFY_UNKNOWN_PER_HOUR = env_int("CERTIFICATE_VERIFY_UNKNOWN_PER_HOUR", 30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}

