"""The published OpenAPI schema: only our own API (Wagtail's admin API is internal), and the error
bodies every route shares, so that each route documents every answer it can give (schemathesis
holds the API to it, tests/api/test_schemathesis.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers


def only_public_api(endpoints: list[tuple[str, str, str, Any]], **kwargs: Any) -> list[tuple[str, str, str, Any]]:
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


class ErrorSerializer(serializers.Serializer):
    """What DRF answers for 403 and 404 (and any refusal that is not about one parameter)."""

    detail = serializers.CharField(help_text=_("原因，按请求的语言写给人看"))


def error_response(description: Any) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


NOT_SIGNED_IN = error_response(_("未登录：先登录网站，请求带上会话 Cookie（sessionid）"))
PAGE_NOT_FOUND = error_response(_("没有这一页（page 超出范围或不是正整数）"))


def parameter_errors(component: str, parameters: Iterable[str]) -> OpenApiResponse:
    """400 as DRF writes a validation error: for each refused parameter, a list of messages."""
    fields = {name: serializers.ListField(child=serializers.CharField(), required=False) for name in parameters}
    return OpenApiResponse(inline_serializer(component, fields),
                           description=_("参数不合法：每个被拒绝的参数对应一组说明"))
