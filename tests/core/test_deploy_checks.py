from __future__ import annotations

from django.test import override_settings

from core.checks import base_url_check


def test_a_local_base_url_is_flagged_for_deployment() -> None:
    with override_settings(WAGTAILADMIN_BASE_URL="http://localhost:8000"):
        assert [problem.id for problem in base_url_check()] == ["core.W001"]
    with override_settings(WAGTAILADMIN_BASE_URL="http://training.example.cn"):
        assert [problem.id for problem in base_url_check()] == ["core.W002"]
    with override_settings(WAGTAILADMIN_BASE_URL="https://training.example.cn"):
        assert base_url_check() == []
