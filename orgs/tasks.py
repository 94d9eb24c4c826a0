"""Thin Celery tasks: take ids, call one service. Each service claims its row with a lease
(core.jobs), so a redelivered task does nothing the second time."""

from celery import shared_task


@shared_task(name="orgs.tasks.roster_import_check")
def roster_import_check_task(roster_import_id: int) -> None:
    from orgs.services import roster_import_check

    roster_import_check(roster_import_id=roster_import_id)


@shared_task(name="orgs.tasks.roster_import_commit")
def roster_import_commit_task(roster_import_id: int) -> None:
    from orgs.services import roster_import_commit

    roster_import_commit(roster_import_id=roster_import_id)


@shared_task(name="orgs.tasks.roster_imports_purge")
def roster_imports_purge_task() -> int:
    from orgs.services import roster_imports_purge

    return roster_imports_purge()
