"""The Celery application. Tasks live in each app's `tasks.py`; the periodic schedule is here only."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("occhealth")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One place for everything that runs on a schedule (celery beat).
app.conf.beat_schedule = {
    # Background jobs whose worker died: give them back to the queue, or fail them (core.jobs).
    "core-reap-jobs": {
        "task": "core.tasks.jobs_reap",
        "schedule": 120,
    },
    "orgs-purge-stale-roster-imports": {
        "task": "orgs.tasks.roster_imports_purge",
        "schedule": 6 * 60 * 60,
    },
    # Exams: draw papers ahead of windows that open soon; grade attempts nobody submitted by
    # their deadline (each attempt also has a task at its deadline; this is the safety net).
    "exams-papers-due": {
        "task": "exams.tasks.exam_papers_due",
        "schedule": 300,
    },
    "exams-grade-expired": {
        "task": "exams.tasks.attempts_grade_expired",
        "schedule": 60,
    },
    # Wagtail's scheduled publishing (go-live / expiry times set by editors) needs a clock.
    "cms-publish-scheduled": {
        "task": "cms.publish_scheduled",
        "schedule": 60,
    },
}
