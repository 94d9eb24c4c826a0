"""REST API (DRF). Every route resolves its employer through the request's scope, like the pages do."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.scope import Owned, Reach, request_scope
from orgs import selectors
from orgs.access import employer_or_404
from orgs.models import HazardFactor, Region, Worker


class HazardFactorSerializer(serializers.ModelSerializer):
    hazard_class = serializers.CharField(source="hazard_class.name")

    class Meta:
        model = HazardFactor
        fields = ["id", "name", "hazard_class", "cas_no", "alias_list"]


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
    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        worker = getattr(request.user, "worker", None)
        data = {"username": request.user.username, "full_name": request.user.get_full_name(),
                "roles": sorted(request_scope(request).roles), "worker": worker}
        # One's own record is shown as it is.
        return Response(MeSerializer(data, context={"owned": Owned(worker, Reach.OWNER)}).data)


class HazardFactorList(generics.ListAPIView):
    serializer_class = HazardFactorSerializer
    permission_classes = [AllowAny]
    pagination_class = None
    queryset = HazardFactor.objects.select_related("hazard_class")


class RegionList(generics.ListAPIView):
    """Regions under ?parent=CODE, or the provinces."""

    serializer_class = RegionSerializer
    permission_classes = [AllowAny]
    pagination_class = None

    def get_queryset(self) -> QuerySet[Region]:
        parent = self.request.query_params.get("parent", "")[:6]
        return Region.objects.filter(parent_id=parent) if parent else Region.objects.filter(level=1)


class EmployerWorkerList(generics.ListAPIView):
    serializer_class = WorkerSerializer

    def get_queryset(self) -> QuerySet[Worker]:
        self.owned = employer_or_404(self.request, self.kwargs["code"])
        return selectors.roster_workers(employer=self.owned.obj,
                                        search=self.request.query_params.get("q", ""),
                                        status=self.request.query_params.get("status", "active"),
                                        sees_raw=self.owned.sees_raw)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["owned"] = getattr(self, "owned", None)
        return context
