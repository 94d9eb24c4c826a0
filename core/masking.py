"""How personal numbers are shown. One function each; templates (``core`` filters), serializers
and exports all call these, and the caller's scope decides ``raw``."""

from __future__ import annotations


def id_number_mask(id_number: str) -> str:
    """Keep the region prefix and the last four characters: enough to tell people apart on a
    screen, not enough to impersonate them (PIPL art. 28 treats it as sensitive)."""
    if len(id_number) < 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def phone_mask(phone: str) -> str:
    """138****0001: the carrier prefix and the last four digits."""
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def id_number_shown(id_number: str, *, raw: bool) -> str:
    return id_number if raw else id_number_mask(id_number)


def phone_shown(phone: str, *, raw: bool) -> str:
    return phone if raw else phone_mask(phone)
