"""Public codes: opaque, URL-safe, and usable as a command-line argument."""

from __future__ import annotations

from unittest import mock

from core.models import new_public_code


def test_a_code_never_starts_like_a_command_line_option() -> None:
    drawn = iter(["-abcdefghijk", "-0123456789a", "Zabcdefghijk"])
    with mock.patch("core.models.secrets.token_urlsafe", side_effect=lambda _n: next(drawn)):
        assert new_public_code() == "Zabcdefghijk"


def test_codes_are_twelve_url_safe_characters() -> None:
    codes = {new_public_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == 12 and not code.startswith("-") for code in codes)
    assert all(set(code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") for code in codes)
