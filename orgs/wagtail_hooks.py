"""Admin screens for catalogues and employers, grouped under one menu item. Employers are created
and edited through orgs.services (checksums, audit); roster imports are read-only records."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.actions.base import BaseAction
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from core.admin import ReadOnlyPermissionPolicy, ServiceCreateView, ServiceEditView
from orgs import services
from orgs.models import Employer, HazardFactor, OccupationalDisease, Region, RosterImport
from orgs.services.people import EMPLOYER_FIELDS


def _employer_values(form: Any) -> dict[str, Any]:
    return {field: form.cleaned_data[field] for field in EMPLOYER_FIELDS if field in form.cleaned_data}


class _EmployerFormAction(BaseAction):
    """An admin action that takes the validated form and hands its values to a service."""

    def __init__(self, instance: Employer, user: Any = None, *, form: Any = None, **kwargs: Any) -> None:
        super().__init__(instance, user=user)
        self.form = form


class EmployerCreateAction(_EmployerFormAction):
    action_name = "create"
    permission_policy_action = "add"

    def user_has_permission(self) -> bool:
        return self.permission_policy.user_has_permission(self.user, "add")

    def execute(self, skip_permission_checks: bool = False) -> Employer:
        self.check(skip_permission_checks)
        values = _employer_values(self.form)
        self.instance = services.employer_create(
            actor=self.user, name=values["name"], credit_code=values["credit_code"], region_code=values["region"],
            industry_code=values["industry"], size_class=values["size_class"], address=values.get("address", ""),
            contact_phone=values.get("contact_phone", ""), is_active=values.get("is_active", True))
        return self.instance


class EmployerEditAction(_EmployerFormAction):
    action_name = "edit"
    permission_policy_action = "change"

    def execute(self, skip_permission_checks: bool = False) -> Employer:
        self.check(skip_permission_checks)
        # The form wrote its values onto the instance; the service checks and saves them.
        employer = Employer.objects.get(pk=self.instance.pk)
        return services.employer_update(actor=self.user, employer=employer, **_employer_values(self.form))


@hooks.register("register_actions")
def register_orgs_actions(registry: Any) -> None:
    registry.register(Employer, EmployerCreateAction)
    registry.register(Employer, EmployerEditAction)


register_permission_policy(RosterImport, ReadOnlyPermissionPolicy(RosterImport))
# The numbered catalogues come only from orgs/catalogues (load_catalogues): a hand edit would be
# undone by the next load and could not be traced to the official text.
register_permission_policy(HazardFactor, ReadOnlyPermissionPolicy(HazardFactor))
register_permission_policy(OccupationalDisease, ReadOnlyPermissionPolicy(OccupationalDisease))


class EmployerViewSet(ModelViewSet):
    model = Employer
    icon = "group"
    list_display = ["name", "credit_code", "region", "industry", "size_class", "is_active"]
    list_filter = ["size_class", "is_active"]
    search_fields = ["name", "credit_code"]
    form_fields = list(EMPLOYER_FIELDS)
    add_view_class = ServiceCreateView
    edit_view_class = ServiceEditView
    copy_view_enabled = False


class HazardFactorViewSet(ModelViewSet):
    """《职业病危害因素分类目录》 as loaded: listed, filtered and inspected, never edited here."""

    model = HazardFactor
    icon = "warning"
    list_display = ["name", "hazard_class", "number", "cas_no", "remark", "verified", "in_catalogue"]
    list_filter = ["hazard_class", "verified", "in_catalogue"]
    search_fields = ["name", "aliases", "former_names", "cas_no"]
    form_fields: list[str] = []
    inspect_view_enabled = True
    inspect_view_fields = ["hazard_class", "number", "name", "cas_no", "remark", "aliases", "former_names", "verified",
                           "in_catalogue"]
    copy_view_enabled = False


class OccupationalDiseaseViewSet(ModelViewSet):
    """Both editions of 《职业病分类和目录》, read-only like the hazard catalogue."""

    model = OccupationalDisease
    icon = "doc-full"
    list_display = ["name", "disease_class", "group", "number"]
    list_filter = ["disease_class__catalogue", "disease_class"]
    search_fields = ["name", "aliases", "former_names"]
    form_fields: list[str] = []
    inspect_view_enabled = True
    inspect_view_fields = ["disease_class", "group", "number", "name", "aliases", "former_names", "verified",
                           "in_catalogue"]
    copy_view_enabled = False


class RegionViewSet(ModelViewSet):
    model = Region
    icon = "site"
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    form_fields = ["code", "name", "parent", "level"]


class RosterImportViewSet(ModelViewSet):
    """Background jobs: written only by their services, so only listed and inspected here."""

    model = RosterImport
    icon = "upload"
    list_display = ["original_name", "employer", "status", "progress_total", "error_count", "created_at"]
    list_filter = ["status"]
    form_fields: list[str] = []
    inspect_view_enabled = True
    copy_view_enabled = False


class OrgsGroup(ViewSetGroup):
    menu_label = _("单位与人员")
    menu_icon = "group"
    items = (EmployerViewSet, HazardFactorViewSet, OccupationalDiseaseViewSet, RegionViewSet, RosterImportViewSet)


@hooks.register("register_admin_viewset")
def register_orgs_viewsets() -> OrgsGroup:
    return OrgsGroup()
