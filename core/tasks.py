"""The shared layer's beat tasks."""

from celery import shared_task


@shared_task(name="core.tasks.jobs_reap")
def jobs_reap_task() -> dict[str, int]:
    from core.jobs import jobs_reap

    return jobs_reap()
