"""REST API of the awareness surveys for evaluators (DRF): the waves in reach and one wave's
indicator table. Serialised from surveys.services.statistics.awareness_table, the table the
dashboard and the workbook show, so the numbers cannot differ.

Who: evaluators within their region (and superusers), limited to their part of a wave over a
larger area. Anyone else signed in (workers, employer admins) gets 404 as for an unknown wave;
anonymous callers 403, as every other signed-in route."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import NOT_SIGNED_IN, error_response
from core.scope import Scope, request_scope
from surveys.models import Wave
from surveys.selectors import wave_region_prefix, waves_in_reach
from surveys.services.types import AwarenessTable

NOT_IN_REACH = error_response(_("没有这个调查轮次或无权查看（两者不作区分），或登录的账号不是评估人员"))


def _evaluator_scope(request: Request) -> Scope:
    scope = request_scope(request)
    if not (scope.is_superuser or scope.has("evaluator")):
        raise NotFound(_("没有这一页"))
    return scope


class WaveSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    questionnaire = serializers.CharField(source="questionnaire.title")
    region_code = serializers.CharField(source="region_id")
    region_name = serializers.CharField(source="region.name")
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    year = serializers.IntegerField()
    part_prefix = serializers.SerializerMethodField(help_text=_(
        "调用者只能看到的部分（行政区划代码前缀）；null 表示整个调查轮次"))

    def get_part_prefix(self, wave: Wave) -> str | None:
        return wave_region_prefix(self.context["scope"], wave)


class WaveList(generics.GenericAPIView):
    """The awareness survey waves the evaluator may read: inside their region, and those over a
    larger area of which they read their own part (``part_prefix``). Newest first."""

    serializer_class = WaveSerializer

    @extend_schema(responses={200: WaveSerializer(many=True), 403: NOT_SIGNED_IN,
                              404: error_response(_("登录的账号不是评估人员，或没有这一页"))})
    def get(self, request: Request) -> Response:
        scope = _evaluator_scope(request)
        waves = waves_in_reach(scope).select_related("questionnaire", "region").order_by("-opens_at", "pk")
        page = self.paginate_queryset(waves) or []
        return self.get_paginated_response(WaveSerializer(page, many=True, context={"scope": scope}).data)


class EstimateSerializer(serializers.Serializer):
    rate = serializers.FloatField(allow_null=True, help_text=_("比率（0–1）；没有答卷时为 null"))
    n = serializers.IntegerField(help_text=_("样本量（不加权的人数）"))
    n_effective = serializers.FloatField(help_text=_("有效样本量：Kish (Σw)² ÷ Σw²；不加权时等于 n"))
    low = serializers.FloatField(allow_null=True, help_text=_("95% Wilson 置信区间下限"))
    high = serializers.FloatField(allow_null=True, help_text=_("95% Wilson 置信区间上限"))
    target = serializers.FloatField(allow_null=True, help_text=_("目标值（0–1）；没有目标时为 null"))
    met = serializers.BooleanField(allow_null=True, help_text=_("比率 ≥ 目标值"))
    lower_clears = serializers.BooleanField(allow_null=True, help_text=_("区间下限 ≥ 目标值"))


class StratumSerializer(serializers.Serializer):
    region_code = serializers.CharField()
    region_name = serializers.CharField()
    industry_code = serializers.CharField()
    industry_name = serializers.CharField()
    group = serializers.CharField()
    group_label = serializers.CharField()
    population = serializers.IntegerField(allow_null=True)
    quota = serializers.IntegerField(allow_null=True)
    responses = serializers.IntegerField()
    weight = serializers.FloatField()
    awareness = EstimateSerializer()


class DimensionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    items = serializers.IntegerField()
    awareness = EstimateSerializer()


class ItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    dimension_code = serializers.CharField()
    dimension_name = serializers.CharField()
    answered = serializers.IntegerField()
    correct = serializers.IntegerField()
    correct_rate = EstimateSerializer()


class BehaviourSerializer(serializers.Serializer):
    item_code = serializers.CharField()
    label = serializers.CharField()
    indicator_code = serializers.CharField()
    indicator_name = serializers.CharField()
    applicable = serializers.IntegerField()
    yes = serializers.IntegerField()
    rate = EstimateSerializer()


class TrendSerializer(serializers.Serializer):
    wave_code = serializers.CharField()
    wave_title = serializers.CharField()
    year = serializers.IntegerField()
    opens_at = serializers.CharField()
    awareness = EstimateSerializer()


class IndicatorTableSerializer(serializers.Serializer):
    wave_code = serializers.CharField()
    wave_title = serializers.CharField()
    questionnaire_title = serializers.CharField()
    region_code = serializers.CharField(help_text=_("统计范围：调用者所辖的部分"))
    region_name = serializers.CharField()
    year = serializers.IntegerField()
    threshold = serializers.FloatField(help_text=_("知晓标准：得分率达到它即为知晓"))
    weighted = serializers.BooleanField(help_text=_("是否按抽样框加权"))
    respondents = serializers.IntegerField()
    total = EstimateSerializer(help_text=_("知晓率"))
    item_average = EstimateSerializer(help_text=_("题目平均正确率"))
    strata = StratumSerializer(many=True)
    dimensions = DimensionSerializer(many=True)
    items = ItemSerializer(many=True, help_text=_("由低到高"))
    behaviours = BehaviourSerializer(many=True)
    trend = TrendSerializer(many=True)


def indicator_data(table: AwarenessTable) -> dict[str, Any]:
    data = asdict(table)
    data["total"] = data.pop("awareness")
    for dimension in data["dimensions"]:
        dimension.pop("by_stratum", None)
    return data


class WaveIndicators(generics.GenericAPIView):
    """One wave's indicator table within the caller's part: the total awareness rate, the
    item-average rate, strata, dimensions, items (weakest first), behaviour indicators and the
    trend across waves, each with n, effective n, the 95 % interval, the target and whether it is met."""

    serializer_class = IndicatorTableSerializer
    pagination_class = None

    @extend_schema(
        parameters=[OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("调查轮次的公开代码"))],
        responses={200: IndicatorTableSerializer, 403: NOT_SIGNED_IN, 404: NOT_IN_REACH},
    )
    def get(self, request: Request, code: str) -> Response:
        from surveys.services.statistics import awareness_table

        scope = _evaluator_scope(request)
        valid = len(code) <= 40 and code.isascii() and code.isprintable()
        wave = waves_in_reach(scope).select_related("questionnaire", "region").filter(code=code).first() if valid else None
        if wave is None:
            raise NotFound(_("没有这个调查轮次或无权查看"))
        table = awareness_table(wave=wave, region_prefix=wave_region_prefix(scope, wave))
        return Response(IndicatorTableSerializer(indicator_data(table)).data)


api_patterns = [
    path("survey-waves/", WaveList.as_view(), name="api-survey-waves"),
    path("survey-waves/<str:code>/indicators/", WaveIndicators.as_view(), name="api-survey-wave-indicators"),
]
