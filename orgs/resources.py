"""The roster as a django-import-export resource: the library's ordinary way to import it.

The platform's own import (orgs.services.roster) does not use this; it is the reference that
`python -m bench roster_import` measures ours against, so it follows the library's default path
(one row at a time, a savepoint per row, a diff per row) and only adds what the roster needs to be
imported correctly: the Chinese headers, the checks that keep bad data out (ID number, phone, role,
catalogue hazards, a name), the employer and the worker's login. It is simpler than ours where the
library is (hazards by exact catalogue name, no aliases; no 在岗 column; no cross-employer rules).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import QuerySet
from import_export import fields, resources, widgets

from orgs.idnumbers import id_number_clean
from orgs.models import Department, Employer, HazardFactor, User, Worker
from orgs.services.roster import clean_phone
from orgs.services.roster_columns import COLUMN_BY_KEY, POST_ROLE_LABELS, POST_ROLE_WORDS

EXPOSURE_SEPARATOR = "、"
# The template's columns this resource reads, in the template's order. Other columns are ignored.
ROSTER_KEYS = ("name", "id_number", "phone", "department", "post", "post_role", "exposures", "hire_date")


def _header(key: str) -> str:
    return COLUMN_BY_KEY[key].header


class RequiredTextWidget(widgets.CharWidget):
    """The stock CharWidget turns an empty cell into "", which would store a worker with no name."""

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> str:
        text = super().clean(value, row, **kwargs).strip()
        if not text:
            raise ValueError("必填项为空")
        return text


class IdNumberWidget(widgets.CharWidget):
    """GB 11643 check: a mistyped or Excel-mangled number is a row error, never stored."""

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> str:
        # InvalidIdNumber is a ValueError, which import-export reports as a validation error of the row.
        return id_number_clean(value)


class PhoneWidget(widgets.CharWidget):
    """The phone is the worker's username, so it must be a real mainland mobile number."""

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> str:
        return clean_phone(value)


class PostRoleWidget(widgets.Widget):
    """Admins write the role in words (主要负责人, 接害劳动者…); the model stores the choice value."""

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> str:
        word = re.sub(r"\s+", "", str(value or ""))
        if word not in POST_ROLE_WORDS:
            raise ValueError(f"不认识的岗位角色“{word}”；可填：" + "、".join(POST_ROLE_LABELS.values()))
        return POST_ROLE_WORDS[word]

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return str(POST_ROLE_LABELS.get(value, value or ""))


class DepartmentWidget(widgets.ForeignKeyWidget):
    """Departments are looked up by name within one employer and created when missing, as the
    template promises ("不存在的部门会自动建立")."""

    def __init__(self, employer: Employer) -> None:
        super().__init__(Department, field="name")
        self.employer = employer
        # One query per department rather than per row; emptied before each import because a
        # dry run rolls back the departments it created.
        self.known: dict[str, Department] = {}

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> Department | None:
        name = str(value or "").strip()
        if not name:
            return None
        if name not in self.known:
            self.known[name] = Department.objects.get_or_create(employer=self.employer, name=name)[0]
        return self.known[name]


class HazardsWidget(widgets.ManyToManyWidget):
    """Exposures by catalogue name. The stock widget silently drops names it does not find; a
    misspelt hazard must be an error instead, or a worker would miss the training it requires."""

    def __init__(self) -> None:
        super().__init__(HazardFactor, separator=EXPOSURE_SEPARATOR, field="name")

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> QuerySet[HazardFactor]:
        factors = super().clean(value, row, **kwargs)
        if not value:
            return factors
        wanted = {name.strip() for name in str(value).split(self.separator) if name.strip()}
        unknown = wanted - {factor.name for factor in factors}
        if unknown:
            raise ValueError("不在《职业病危害因素分类目录》中：" + "、".join(sorted(unknown)))
        return factors


class HireDateWidget(widgets.DateWidget):
    """Excel gives a date cell as a datetime; a text cell is read as 2024-03-01."""

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> dt.date | None:
        if isinstance(value, dt.datetime):
            return value.date()
        return super().clean(value, row, **kwargs)


class RosterResource(resources.ModelResource):
    """One employer's roster. Rows are matched to workers by ID number."""

    name = fields.Field(attribute="name", column_name=_header("name"), widget=RequiredTextWidget())
    id_number = fields.Field(attribute="id_number", column_name=_header("id_number"), widget=IdNumberWidget())
    phone = fields.Field(attribute="phone", column_name=_header("phone"), widget=PhoneWidget())
    department = fields.Field(attribute="department", column_name=_header("department"))  # widget set per employer
    post = fields.Field(attribute="post", column_name=_header("post"), widget=widgets.CharWidget())
    post_role = fields.Field(attribute="post_role", column_name=_header("post_role"), widget=PostRoleWidget())
    exposures = fields.Field(attribute="exposures", column_name=_header("exposures"), widget=HazardsWidget())
    hire_date = fields.Field(attribute="hire_date", column_name=_header("hire_date"), widget=HireDateWidget())

    class Meta:
        model = Worker
        fields = ROSTER_KEYS
        import_id_fields = ["id_number"]

    def __init__(self, employer: Employer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.employer = employer
        # self.fields is this instance's copy, so the employer never leaks into another resource.
        self.fields["department"].widget = DepartmentWidget(employer)

    def get_queryset(self) -> QuerySet[Worker]:
        # Only this employer's workers are updated. A row whose ID number belongs to another
        # employer's worker looks new and then fails on the unique ID number: a row error.
        return Worker.objects.filter(employer=self.employer)

    def init_instance(self, row: dict[str, Any] | None = None) -> Worker:
        return Worker(employer=self.employer)

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        self.fields["department"].widget.known.clear()

    def before_save_instance(self, instance: Worker, row: dict[str, Any], **kwargs: Any) -> None:
        # A new worker gets a login named by the phone and no password: the worker chooses one
        # when activating the account (orgs.services.worker_account_activate).
        if instance.user_id is None:
            user = User(username=instance.phone, full_name=instance.name)
            user.set_unusable_password()
            user.save()
            instance.user = user
