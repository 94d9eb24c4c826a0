"""The Celery application. Tasks live in each app's `tasks.py`; the periodic schedule is here only."""

import os

from celery import Celery
from celery.schedules import crontab

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
    # Training programmes (learning.services.programmes, reminders): the rules for every roster
    # nightly, each year's annual cycles in the first week of January (a machine that was down
    # on the 1st catches up; nothing is created twice), and the due / overdue reminders daily.
    "learning-training-sync": {
        "task": "learning.tasks.training_sync_all",
        "schedule": crontab(minute=10, hour=1),
    },
    "learning-training-rollover": {
        "task": "learning.tasks.training_rollover",
        "schedule": crontab(minute=40, hour=1, day_of_month="1-7", month_of_year="1"),
    },
    "learning-training-reminders": {
        "task": "learning.tasks.training_reminders",
        "schedule": crontab(minute=0, hour=9),
    },
    # Wagtail's scheduled publishing (go-live / expiry times set by editors) needs a clock.
    "cms-publish-scheduled": {
        "task": "cms.publish_scheduled",
        "schedule": 60,
    },
}
