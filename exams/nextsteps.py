"""The exams app's part of the home page and the header (being built, issue 8)."""

from __future__ import annotations

from django.http import HttpRequest

from core.nextsteps import NavItem, NextSteps


def next_steps(request: HttpRequest, result: NextSteps) -> None:
    return None


def navigation(request: HttpRequest) -> list[NavItem]:
    return []
