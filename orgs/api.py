"""REST API (DRF). Every route resolves its employer through the request's scope, like the pages do."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import NOT_SIGNED_IN, error_response, parameter_errors
from core.scope import Owned, Reach, request_scope
from orgs import selectors
from orgs.access import employer_or_404
from orgs.models import DiseaseCatalogue, HazardFactor, OccupationalDisease, Region, Worker, diseases_on


class HazardFactorSerializer(serializers.ModelSerializer):
    hazard_class = serializers.CharField(source="hazard_class.name")
    hazard_class_code = serializers.CharField(source="hazard_class_id")
    number = serializers.IntegerField(allow_null=True, help_text=_("目录中本类内的序号；尚未与原文核对的条目为空"))
    verified = serializers.BooleanField(help_text=_("名称、序号和 CAS 号已与目录原文的公开文本核对"))

    class Meta:
        model = HazardFactor
        fields = ["id", "name", "hazard_class", "hazard_class_code", "number", "cas_no", "remark", "alias_list",
                  "verified"]


class DiseaseSerializer(serializers.ModelSerializer):
    disease_class = serializers.CharField(source="disease_class.name")
    class_number = serializers.IntegerField(source="disease_class.number")
    edition = serializers.CharField(source="disease_class.catalogue_id")

    class Meta:
        model = OccupationalDisease
        fields = ["id", "name", "edition", "class_number", "disease_class", "group", "number", "alias_list"]


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent"]


class WorkerSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.name", default="")
    id_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    exposures = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = Worker
        fields = ["code", "name", "id_number", "phone", "department", "post", "post_role", "exposures",
                  "hire_date", "is_active"]

    def _owned(self) -> Owned:
        # The reach the view resolved (core.scope); without one, everything is masked.
        return self.context.get("owned") or Owned(None, Reach.REGION)

    def get_id_number(self, worker: Worker) -> str:
        return self._owned().id_number(worker.id_number)

    def get_phone(self, worker: Worker) -> str:
        return self._owned().phone(worker.phone)


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    worker = WorkerSerializer(allow_null=True)


class MeView(APIView):
    @extend_schema(responses={200: MeSerializer, 403: NOT_SIGNED_IN})
    def get(self, request: Request) -> Response:
        worker = getattr(request.user, "worker", None)
        data = {"username": request.user.username, "full_name": request.user.get_full_name(),
                "roles": sorted(request_scope(request).roles), "worker": worker}
        # One's own record is shown as it is.
        return Response(MeSerializer(data, context={"owned": Owned(worker, Reach.OWNER)}).data)


@extend_schema_view(get=extend_schema(responses={200: HazardFactorSerializer(many=True)}))
class HazardFactorList(generics.ListAPIView):
    serializer_class = HazardFactorSerializer
    permission_classes = [AllowAny]
    pagination_class = None
    queryset = HazardFactor.objects.filter(in_catalogue=True).select_related("hazard_class")


@extend_schema_view(get=extend_schema(
    parameters=[OpenApiParameter("on", OpenApiTypes.DATE, description=_(
        "按这一天施行的《职业病分类和目录》版本列出（YYYY-MM-DD），不填为今天；2025-08-01 起为 2024 年版"))],
    responses={200: DiseaseSerializer(many=True), 400: parameter_errors("DiseaseListParameterErrors", ["on"])},
))
class DiseaseList(generics.ListAPIView):
    """The diseases of the edition in force on a date: a record dated before 2025-08-01 is read
    against the 2013 list."""

    serializer_class = DiseaseSerializer
    permission_classes = [AllowAny]
    pagination_class = None

    def get_queryset(self) -> QuerySet[OccupationalDisease]:
        raw = self.request.query_params.get("on", "")
        day = None
        if raw:
            try:
                # fromisoformat also takes 20250801 and 2025-W31-5: only the documented form is.
                day = datetime.date.fromisoformat(raw) if len(raw) == 10 else None
            except ValueError:
                day = None
            if day is None:
                raise ValidationError({"on": [_("on 应为 YYYY-MM-DD 格式的日期，例如 2025-08-01")]})
            if not DiseaseCatalogue.objects.filter(in_force_from__lte=day).exists():
                raise ValidationError({"on": [_("这一天还没有施行中的《职业病分类和目录》")]})
        return OccupationalDisease.objects.filter(in_catalogue=True).filter(diseases_on(day)) \
            .select_related("disease_class").order_by("position")


_REGION_CODE = re.compile(r"[0-9]{6}")


@extend_schema_view(get=extend_schema(
    parameters=[OpenApiParameter("parent", OpenApiTypes.STR, pattern=r"^[0-9]{6}$",
                                 description=_("上级行政区划的 6 位代码（GB/T 2260），如 320300；不填则列出省级"),
                                 examples=[OpenApiExample("xuzhou", value="320300", summary=_("徐州市"))])],
    responses={200: RegionSerializer(many=True), 400: parameter_errors("RegionListParameterErrors", ["parent"])},
))
class RegionList(generics.ListAPIView):
    """Regions under ?parent=CODE, or the provinces. A parent that is not a region is refused (400)
    rather than answered with an empty list, which would look like a region without subdivisions."""

    serializer_class = RegionSerializer
    permission_classes = [AllowAny]
    pagination_class = None

    def get_queryset(self) -> QuerySet[Region]:
        parent = self.request.query_params.get("parent", "")
        if not parent:
            return Region.objects.filter(level=1)
        # Checked before any lookup: psycopg refuses a NUL, and [:6] used to turn 3203001 into 320300.
        if not _REGION_CODE.fullmatch(parent) or not Region.objects.filter(code=parent).exists():
            raise ValidationError({"parent": [_("parent 应为已有的 6 位行政区划代码（GB/T 2260），如 320300")]})
        return Region.objects.filter(parent_id=parent)


@extend_schema_view(get=extend_schema(
    parameters=[
        OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("用人单位的公开代码")),
        OpenApiParameter("q", OpenApiTypes.STR, description=_(
            "按姓名或岗位搜索（最多 50 字）；看得到完整号码的角色（本单位管理员、超级用户）也可按手机号或身份证号末几位搜索")),
        OpenApiParameter("status", OpenApiTypes.STR, enum=selectors.ROSTER_STATUSES, default="active",
                         description=_("active：在岗（默认）；inactive：离职；all：全部")),
    ],
    responses={
        200: WorkerSerializer(many=True),
        400: parameter_errors("WorkerListParameterErrors", ["status"]),
        403: NOT_SIGNED_IN,
        404: error_response(_("没有这个用人单位或无权查看（两者不作区分），或没有这一页")),
    },
))
class EmployerWorkerList(generics.ListAPIView):
    """An employer's roster: its admins and superusers see phones and ID numbers in full, the
    evaluators of its region masked."""

    serializer_class = WorkerSerializer

    def get_queryset(self) -> QuerySet[Worker]:
        self.owned = employer_or_404(self.request, self.kwargs["code"])
        # Refused, not read as "all": a typo would otherwise list people who have left.
        status = self.request.query_params.get("status") or "active"
        if status not in selectors.ROSTER_STATUSES:
            raise ValidationError({"status": [_("status 只能是 active（在岗）、inactive（离职）或 all（全部）")]})
        return selectors.roster_workers(employer=self.owned.obj,
                                        search=self.request.query_params.get("q", ""),
                                        status=status,
                                        sees_raw=self.owned.sees_raw)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["owned"] = getattr(self, "owned", None)
        return context
