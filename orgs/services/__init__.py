"""Every write and every rule of the orgs app. Views, API, admin, commands and tasks call these."""

from orgs.services.export import roster_export_write, roster_template_write
from orgs.services.imports import (
    RosterUploadError,
    roster_import_check,
    roster_import_commit,
    roster_import_confirm,
    roster_import_start,
    roster_imports_purge,
)
from orgs.services.people import (
    AccountError,
    employer_admin_grant,
    employer_create,
    evaluator_grant,
    staff_user_create,
    worker_account_activate,
    worker_create,
    worker_password_reset,
    worker_set_active,
)
from orgs.services.roster import RosterCheck, roster_check, roster_rows_import, roster_write
from orgs.services.roster_read import RosterFileError, read_roster

__all__ = [
    "AccountError", "RosterCheck", "RosterFileError", "RosterUploadError", "employer_admin_grant",
    "employer_create", "evaluator_grant", "read_roster", "roster_check", "roster_export_write",
    "roster_import_check", "roster_import_commit", "roster_import_confirm", "roster_import_start",
    "roster_imports_purge", "roster_rows_import", "roster_template_write", "roster_write",
    "staff_user_create", "worker_account_activate", "worker_create", "worker_password_reset",
    "worker_set_active",
]
