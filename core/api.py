"""Pieces every app's API shares: the error bodies the OpenAPI schema documents."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """What DRF answers for 403 and 404 (and any refusal that is not about one parameter)."""

    detail = serializers.CharField(help_text=_("原因，按请求的语言写给人看"))


# Every answer a route can give is in the schema (schemathesis holds the API to it,
# tests/api/test_schemathesis.py); these are the error bodies the routes of cms.api share too.
def error_response(description: Any) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


NOT_SIGNED_IN = error_response(_("未登录：先登录网站，请求带上会话 Cookie（sessionid）"))


def parameter_errors(component: str, parameters: Iterable[str]) -> OpenApiResponse:
    """400 as DRF writes a validation error: for each refused parameter, a list of messages."""
    fields = {name: serializers.ListField(child=serializers.CharField(), required=False) for name in parameters}
    return OpenApiResponse(inline_serializer(component, fields), description=_("参数不合法：每个被拒绝的参数对应一组说明"))
