"""Admin screens for catalogues and employers, grouped under one menu item."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from orgs.models import Employer, HazardFactor, Region, RosterImport


class EmployerViewSet(ModelViewSet):
    model = Employer
    icon = "group"
    list_display = ["name", "credit_code", "region", "industry", "size_class", "is_active"]
    list_filter = ["size_class", "is_active"]
    search_fields = ["name", "credit_code"]
    form_fields = ["name", "credit_code", "region", "industry", "size_class", "address", "contact_phone", "is_active"]


class HazardFactorViewSet(ModelViewSet):
    model = HazardFactor
    icon = "warning"
    list_display = ["name", "hazard_class", "cas_no", "aliases"]
    list_filter = ["hazard_class"]
    search_fields = ["name", "aliases", "cas_no"]
    form_fields = ["hazard_class", "name", "cas_no", "aliases"]


class RegionViewSet(ModelViewSet):
    model = Region
    icon = "site"
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    form_fields = ["code", "name", "parent", "level"]


class RosterImportViewSet(ModelViewSet):
    model = RosterImport
    icon = "upload"
    list_display = ["original_name", "employer", "status", "total_rows", "error_count", "created_at"]
    list_filter = ["status"]
    form_fields = ["status"]
    inspect_view_enabled = True


class OrgsGroup(ViewSetGroup):
    menu_label = _("单位与人员")
    menu_icon = "group"
    items = (EmployerViewSet, HazardFactorViewSet, RegionViewSet, RosterImportViewSet)


@hooks.register("register_admin_viewset")
def register_orgs_viewsets() -> OrgsGroup:
    return OrgsGroup()
