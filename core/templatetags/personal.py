"""Showing personal numbers in templates: ``{{ worker.id_number|shown_id:owned }}``, where
``owned`` is what core.scope resolved for this page (its reach decides raw or masked)."""

from __future__ import annotations

from django import template

from core.scope import Owned

register = template.Library()


@register.filter
def shown_id(value: str, owned: Owned) -> str:
    return owned.id_number(value or "")


@register.filter
def shown_phone(value: str, owned: Owned) -> str:
    return owned.phone(value or "")
