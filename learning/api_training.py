"""Training compliance API (issue 11, item 9), for the regional platforms' exchange: an employer's
compliance summary and each worker's standing in a year.

Every figure comes from learning.training_reports (which reads learning.services.compliance), so
the API says what the employer's dashboard and workbook say. Every employer is resolved through
the request's scope: its admins and superusers get both routes; an evaluator of its region gets
the summary (counts only) and 403 for the named rows; anyone else 404, the same answer as for an
unknown code. No answer carries a phone or an ID number.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import error_response, parameter_errors
from core.text import safe_parameter
from learning import reports
from learning.models import ProgrammeKind, TrainingAssignment
from learning.services.compliance import Standing, Status
from learning.training_reports import Tally, TrainingSummary, employer_summary, worker_assignments
from orgs.access import employer_or_404
from orgs.models import Employer, PostRole

CODE = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description=gettext_lazy("用人单位的公开代码"))
YEAR = OpenApiParameter("year", OpenApiTypes.INT, description=gettext_lazy(
    "年度（按截止日期计入），默认今年"))
NOT_FOUND = error_response(gettext_lazy("没有这个用人单位或无权查看（两者不作区分），或没有这一页"))


def _parameters(params: Any, *, with_status: bool = False) -> tuple[int, str]:
    """``year`` (this year when empty) and ``status`` (every status when empty); every refused
    parameter is named in one 400, not only the first."""
    errors: dict[str, list[str]] = {}
    year, status = 0, ""
    try:
        year = reports.report_year(params.get("year", ""))
    except reports.ReportRefused as refused:
        errors["year"] = [str(refused)]
    if with_status:
        status = safe_parameter(params.get("status", ""), 20).strip()
        if status and status not in Status.values:
            errors["status"] = [_("status 只能是 %(values)s 之一") % {"values": ", ".join(Status.values)}]
    if errors:
        raise ValidationError(errors)
    return year, status


# -- the summary -------------------------------------------------------------------------------

class TallySerializer(serializers.Serializer):
    workers = serializers.IntegerField(help_text=gettext_lazy("有年度培训任务的人数（每人按最差的一项任务计一次）"))
    met = serializers.IntegerField(help_text=gettext_lazy("全部任务已完成的人数"))
    due = serializers.IntegerField(help_text=gettext_lazy("仍在期限内未完成的人数"))
    overdue = serializers.IntegerField(help_text=gettext_lazy("有任务已逾期的人数"))
    cycles = serializers.IntegerField(help_text=gettext_lazy("培训任务数（不含已撤销）"))
    cycles_met = serializers.IntegerField(help_text=gettext_lazy("已完成的培训任务数"))
    rate = serializers.FloatField(allow_null=True, help_text=gettext_lazy("完成率，0–100，保留一位小数；无人时为 null"))


class RoleTallySerializer(TallySerializer):
    role = serializers.ChoiceField(choices=PostRole.choices, help_text=gettext_lazy("岗位角色"))
    label = serializers.CharField(help_text=gettext_lazy("岗位角色的名称"))


class DepartmentTallySerializer(TallySerializer):
    department = serializers.CharField(allow_blank=True, help_text=gettext_lazy("部门名称；空字符串表示未分部门"))


class ProgrammeTallySerializer(TallySerializer):
    programme = serializers.CharField(help_text=gettext_lazy("培训项目名称"))


class EmployerRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy("用人单位的公开代码"))
    name = serializers.CharField()


class TrainingComplianceSerializer(serializers.Serializer):
    employer = EmployerRefSerializer()
    year = serializers.IntegerField()
    total = TallySerializer(help_text=gettext_lazy("全单位"))
    by_role = RoleTallySerializer(many=True, help_text=gettext_lazy("按岗位角色"))
    by_department = DepartmentTallySerializer(many=True, help_text=gettext_lazy("按部门，按名称排序"))
    by_programme = ProgrammeTallySerializer(many=True, help_text=gettext_lazy("按培训项目，按名称排序"))


def compliance_data(employer: Employer, summary: TrainingSummary) -> dict[str, Any]:
    """The summary as the API writes it (lists rather than maps, so the order is stable)."""
    return {
        "employer": {"code": employer.code, "name": employer.name}, "year": summary.year,
        "total": summary.total.as_dict(),
        "by_role": [{"role": value, "label": label, **tally.as_dict()} for value, label, tally in summary.roles()],
        "by_department": [{"department": name, **tally.as_dict()} for name, tally in _by_name(summary.by_department)],
        "by_programme": [{"programme": name, **tally.as_dict()} for name, tally in _by_name(summary.by_programme)],
    }


def _by_name(tallies: dict[str, Tally]) -> list[tuple[str, Tally]]:
    return sorted(tallies.items(), key=lambda item: item[0])


class EmployerTrainingCompliance(generics.GenericAPIView):
    """An employer's training compliance in one year: overall, by post role, by department and by
    programme (counts and rates, no names). For the employer's admins, superusers and evaluators of
    its region; anyone else gets 404, as for an unknown employer."""

    serializer_class = TrainingComplianceSerializer
    pagination_class = None

    @extend_schema(
        parameters=[CODE, YEAR],
        responses={
            200: TrainingComplianceSerializer,
            400: parameter_errors("TrainingComplianceParameterErrors", ["year"]),
            403: error_response(gettext_lazy("未登录")),
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, code: str) -> Response:
        owned = employer_or_404(request, code)
        year, _status = _parameters(request.query_params)
        return Response(TrainingComplianceSerializer(compliance_data(owned.obj, employer_summary(owned.obj, year))).data)


# -- each worker's standing --------------------------------------------------------------------

class StatusWorkerSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy("劳动者的公开代码"))
    name = serializers.CharField()
    department = serializers.CharField(allow_blank=True, help_text=gettext_lazy("部门名称；空字符串表示未分部门"))
    post_role = serializers.ChoiceField(choices=PostRole.choices)


class StatusProgrammeSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy("培训项目代码，例如 exposed-pre-job"))
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ProgrammeKind.values)


class TrainingStatusSerializer(serializers.Serializer):
    assignment = serializers.CharField(help_text=gettext_lazy("培训任务的公开代码"))
    worker = StatusWorkerSerializer()
    programme = StatusProgrammeSerializer()
    starts_on = serializers.DateField(help_text=gettext_lazy("学时从这一天起计入"))
    due_on = serializers.DateField(help_text=gettext_lazy("截止日期"))
    ends_on = serializers.DateField(allow_null=True, help_text=gettext_lazy("学时计入的最后一天；null 表示完成前一直计入"))
    status = serializers.ChoiceField(choices=Status.values, help_text=gettext_lazy(
        "met：已完成；due：进行中；overdue：已逾期；withdrawn：已撤销"))
    status_label = serializers.CharField()
    days_left = serializers.IntegerField(help_text=gettext_lazy("距截止日期的天数，逾期后为负数"))
    hours = serializers.FloatField(help_text=gettext_lazy("窗口内计入的学时，保留一位小数"))
    required_hours = serializers.FloatField(help_text=gettext_lazy("要求学时"))
    exam_needed = serializers.BooleanField(help_text=gettext_lazy("是否需要通过结业考试"))
    exam_passed = serializers.BooleanField(help_text=gettext_lazy("窗口内是否通过了结业考试"))
    certificate = serializers.CharField(allow_null=True, help_text=gettext_lazy(
        "证书验证码（可在 /api/v1/certificates/{verification}/ 核验）；没有证书时为 null"))
    missing = serializers.ListField(child=serializers.CharField(), help_text=gettext_lazy("还差什么；已完成时为空"))


def status_rows(items: Iterable[tuple[dict[str, Any], Standing]]) -> list[dict[str, Any]]:
    """One page of (row, standing) pairs as the API writes them; the programme codes of the page
    are read in one query (the shared rows carry the programme's name only)."""
    items = list(items)
    codes = dict(TrainingAssignment.objects.filter(code__in=[row["code"] for row, _standing in items])
                 .values_list("code", "programme__code"))
    return [{
        "assignment": row["code"],
        "worker": {"code": row["worker__code"], "name": row["worker__name"],
                   "department": row["worker__department__name"] or "", "post_role": row["worker__post_role"]},
        "programme": {"code": codes.get(row["code"], ""), "name": row["programme__name"],
                      "kind": row["programme__kind"]},
        "starts_on": row["starts_on"], "due_on": standing.due_on, "ends_on": row["ends_on"],
        "status": standing.status, "status_label": standing.status_label, "days_left": standing.days_left,
        "hours": standing.hours, "required_hours": standing.required_hours, "exam_needed": standing.exam_needed,
        "exam_passed": standing.exam_passed, "certificate": standing.certificate or None, "missing": standing.missing,
    } for row, standing in items]


class EmployerTrainingStatus(generics.GenericAPIView):
    """Each training cycle due in the year for the employer's workers, with its standing and what
    is missing, in worker order. For the employer's admins and superusers; an evaluator of its
    region is refused (403: the region reads counts, not names); anyone else gets 404, as for an
    unknown employer."""

    serializer_class = TrainingStatusSerializer

    @extend_schema(
        parameters=[CODE, YEAR, OpenApiParameter("status", OpenApiTypes.STR, enum=Status.values, description=gettext_lazy(
            "只看一种状态：met 已完成、due 进行中、overdue 已逾期、withdrawn 已撤销"))],
        responses={
            200: TrainingStatusSerializer(many=True),
            400: parameter_errors("TrainingStatusParameterErrors", ["year", "status"]),
            403: error_response(gettext_lazy("未登录，或只读角色（评估人员）无权查看劳动者名单")),
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, code: str) -> Response:
        try:
            owned = employer_or_404(request, code, write=True)
        except DjangoPermissionDenied:
            raise PermissionDenied(_("评估人员只能查看培训合规汇总，不能查看劳动者名单")) from None
        year, status = _parameters(request.query_params, with_status=True)
        page = self.paginate_queryset(list(worker_assignments(owned.obj, year, status=status))) or []
        return self.get_paginated_response(TrainingStatusSerializer(status_rows(page), many=True).data)


api_patterns: list[URLPattern] = [
    path("employers/<str:code>/training-compliance/", EmployerTrainingCompliance.as_view(),
         name="api-employer-training-compliance"),
    path("employers/<str:code>/training-status/", EmployerTrainingStatus.as_view(), name="api-employer-training-status"),
]
