"""Read-only study reports: a worker's courses and hours, an employer's hours.

The routes read through learning.reports, as the employer's pages do, and resolve every employer
through the request's scope: its admins (and superusers) get the rows, an evaluator of its region
403, anyone else 404, the same answer as for an unknown code. ID numbers are never in these
answers and phones are masked: a study report needs neither.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import NOT_SIGNED_IN, error_response, parameter_errors
from core.scope import request_scope
from learning import reports
from orgs.access import employer_or_404
from orgs.models import PostRole, Worker

NOT_A_WORKER = error_response(_("登录的账号没有劳动者档案，或没有这一页"))


def _hours(seconds: int) -> float:
    return round(reports.study_hours(seconds), 2)


class CourseRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("课程编号（用于 course 参数）"))
    title = serializers.CharField()


class YearHoursSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    seconds = serializers.IntegerField(help_text=_("这一年计入的学习秒数"))
    hours = serializers.FloatField(help_text=_("学时，保留两位小数"))


class MyCourseSerializer(serializers.Serializer):
    enrolment = serializers.CharField(help_text=_("选课代码"))
    course = CourseRefSerializer()
    url = serializers.CharField(help_text=_("课程页面的站内地址"))
    source = serializers.ChoiceField(choices=["self", "assigned"], help_text=_("self：自主报名；assigned：单位指派"))
    enrolled_at = serializers.DateTimeField()
    last_studied_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    lessons_completed = serializers.IntegerField()
    lessons_total = serializers.IntegerField()
    percent = serializers.IntegerField(help_text=_("已完成课时的百分比"))
    seconds = serializers.IntegerField(help_text=_("各年计入的学习秒数之和"))
    hours = serializers.FloatField()
    years = YearHoursSerializer(many=True, help_text=_("每年的学时，最近的一年在前"))


def _my_course(item: reports.MyCourse, request: Request) -> dict[str, Any]:
    enrolment = item.enrolment
    return {
        "enrolment": enrolment.code, "course": {"id": item.course.pk, "title": item.course.title},
        "url": item.course.get_url(request=request) or "", "source": enrolment.source,
        "enrolled_at": enrolment.enrolled_at, "last_studied_at": enrolment.last_studied_at,
        "completed_at": enrolment.completed_at, "lessons_completed": enrolment.lessons_completed,
        "lessons_total": enrolment.lessons_total, "percent": item.percent, "seconds": item.seconds,
        "hours": _hours(item.seconds),
        "years": [{"year": year.year, "seconds": year.seconds, "hours": _hours(year.seconds)} for year in item.years],
    }


class MyCourseList(generics.GenericAPIView):
    """The signed-in worker's courses, last studied first: progress, and 学时 per year from the
    ledger (the same figures as 我的课程)."""

    serializer_class = MyCourseSerializer

    @extend_schema(responses={200: MyCourseSerializer(many=True), 403: NOT_SIGNED_IN, 404: NOT_A_WORKER})
    def get(self, request: Request) -> Response:
        worker_id = request_scope(request).extra.get("worker_id")
        worker = Worker.objects.filter(pk=worker_id).first() if worker_id is not None else None
        if worker is None:
            raise NotFound(_("登录的账号没有劳动者档案"))
        page = self.paginate_queryset(reports.my_courses(worker)) or []
        return self.get_paginated_response(MyCourseSerializer([_my_course(item, request) for item in page],
                                                              many=True).data)


class HoursWorkerSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField(help_text=_("手机号，已脱敏"))
    department = serializers.CharField()
    post_role = serializers.ChoiceField(choices=PostRole.values)
    is_active = serializers.BooleanField(help_text=_("是否在岗"))


class CourseHoursSerializer(serializers.Serializer):
    course = CourseRefSerializer()
    seconds = serializers.IntegerField(help_text=_("这一年计入的学习秒数"))
    hours = serializers.FloatField(help_text=_("学时，保留两位小数"))
    lessons_completed = serializers.IntegerField()
    lessons_total = serializers.IntegerField()
    completed_at = serializers.DateTimeField(allow_null=True)
    last_studied_at = serializers.DateTimeField(allow_null=True)


class EmployerHoursSerializer(serializers.Serializer):
    worker = HoursWorkerSerializer()
    year = serializers.IntegerField()
    seconds = serializers.IntegerField(help_text=_("这一年计入的学习秒数（所选课程或全部课程）"))
    hours = serializers.FloatField(help_text=_("学时，保留两位小数"))
    last_studied_at = serializers.DateTimeField(allow_null=True)
    courses = CourseHoursSerializer(many=True)


def _employer_row(row: reports.WorkerHours, year: int) -> dict[str, Any]:
    return {
        "worker": {"code": row.code, "name": row.name, "phone": row.phone, "department": row.department,
                   "post_role": row.post_role, "is_active": row.is_active},
        "year": year, "seconds": row.seconds, "hours": _hours(row.seconds), "last_studied_at": row.last_studied_at,
        "courses": [{"course": {"id": item.course_id, "title": item.title}, "seconds": item.seconds,
                     "hours": _hours(item.seconds), "lessons_completed": item.lessons_completed,
                     "lessons_total": item.lessons_total, "completed_at": item.completed_at,
                     "last_studied_at": item.last_studied_at} for item in row.courses],
    }


class EmployerStudyHours(generics.GenericAPIView):
    """学时 of the employer's own workers in one year, one row per worker with each course, for the
    employer's admins: those on the roster and those who left with hours that year (with a course,
    only those enrolled in it). An evaluator of its region is refused (403), as on the pages; anyone
    else gets 404, as for an unknown employer."""

    serializer_class = EmployerHoursSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("用人单位的公开代码")),
            OpenApiParameter("year", OpenApiTypes.INT, description=_("年度，默认今年")),
            OpenApiParameter("course", OpenApiTypes.INT, description=_("只看一门课程：课程编号")),
            OpenApiParameter("department", OpenApiTypes.STR, description=_("只看一个部门：部门名称")),
            OpenApiParameter("post_role", OpenApiTypes.STR, enum=PostRole.values, description=_("只看一种岗位角色")),
            OpenApiParameter("q", OpenApiTypes.STR, description=_("按姓名搜索")),
            OpenApiParameter("sort", OpenApiTypes.STR, enum=list(reports.SORTS), description=_(
                "name：姓名；department：部门；-hours / hours：学时从多到少 / 从少到多；-last：最近学习在前")),
        ],
        responses={
            200: EmployerHoursSerializer(many=True),
            400: parameter_errors("EmployerStudyHoursParameterErrors", ["year", "course", "post_role", "sort"]),
            403: error_response(_("未登录，或只读角色（评估人员）无权查看学时名单")),
            404: error_response(_("没有这个用人单位或无权查看（两者不作区分），或没有这一页")),
        },
    )
    def get(self, request: Request, code: str) -> Response:
        owned = employer_or_404(request, code, write=True)
        params = request.query_params
        try:
            year = reports.report_year(params.get("year", ""))
            course = reports.report_course(employer=owned.obj, raw=params.get("course", ""))
            workers = reports.hours_workers(
                employer=owned.obj, year=year, course=course, department=params.get("department", ""),
                post_role=params.get("post_role", ""), search=params.get("q", ""), sort=params.get("sort", ""),
                sees_raw=owned.sees_raw)
        except reports.ReportRefused as refused:
            raise ValidationError({refused.field or "detail": [str(refused)]}) from refused
        page = self.paginate_queryset(workers) or []
        rows = reports.hours_rows(page, year=year, course=course)
        return self.get_paginated_response(EmployerHoursSerializer([_employer_row(row, year) for row in rows],
                                                                   many=True).data)


api_patterns: list[URLPattern] = [
    path("me/courses/", MyCourseList.as_view(), name="api-my-courses"),
    path("employers/<str:code>/study-hours/", EmployerStudyHours.as_view(), name="api-employer-study-hours"),
]
