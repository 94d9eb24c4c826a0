"""Every write and every rule of the orgs app. Views, API, admin, commands and tasks call these."""

from orgs.services.activation import (
    IssuedCode,
    activation_code_issue,
    activation_code_normalise,
    activation_codes_issue,
    worker_account_activate,
    worker_password_reset,
)
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
    EmployerError,
    employer_admin_grant,
    employer_create,
    employer_update,
    evaluator_grant,
    staff_user_create,
    worker_create,
    worker_set_active,
)
from orgs.services.roster import RosterCheck, clean_phone, roster_check, roster_rows_import, roster_write
from orgs.services.roster_read import RosterFileError, read_roster
from orgs.services.transfers import TransferError, transfer_confirm, transfer_decline

__all__ = [
    "AccountError", "EmployerError", "IssuedCode", "RosterCheck", "RosterFileError", "RosterUploadError",
    "TransferError", "activation_code_issue", "activation_code_normalise", "activation_codes_issue", "clean_phone",
    "employer_admin_grant", "employer_create", "employer_update", "evaluator_grant", "read_roster", "roster_check",
    "roster_export_write", "roster_import_check", "roster_import_commit", "roster_import_confirm",
    "roster_import_start", "roster_imports_purge", "roster_rows_import", "roster_template_write", "roster_write",
    "staff_user_create", "transfer_confirm", "transfer_decline", "worker_account_activate", "worker_create",
    "worker_password_reset", "worker_set_active",
]
