"""Text folding shared by every import and every query parameter: what a clerk types and what a
spreadsheet stores are compared after the same folding."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
# Control characters (a NUL pasted from another system) cannot be stored by PostgreSQL.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ASCII_DIGITS = re.compile(r"[0-9]+")


def nfkc(value: object) -> str:
    """Full-width letters and digits to half-width (Ｘ → X, １ → 1)."""
    return unicodedata.normalize("NFKC", str(value))


def fold(value: object) -> str:
    """NFKC without any whitespace: the key two spellings of one name share."""
    return _SPACE.sub("", nfkc(value))


def fold_upper(value: object) -> str:
    return fold(value).upper()


def strip_control(text: str) -> str:
    return _CONTROL.sub("", text)


def clean_text(value: object) -> str:
    """A cell or a parameter as text: NFKC, no control characters, trimmed."""
    if value is None:
        return ""
    return strip_control(nfkc(value)).strip()


def prose(value: object) -> str:
    """Text people read (a question, an explanation): as written, full-width punctuation and all
    (NFKC would turn ，？（） into ASCII), without control characters, trimmed. Compare such texts
    with ``fold``."""
    if value is None:
        return ""
    return strip_control(str(value)).strip()


def ascii_int(value: object) -> int | None:
    """An integer written in ASCII digits, else None. ``str.isdigit`` also accepts ², ① and ᧚,
    which ``int()`` then refuses: parameters are checked here instead."""
    text = str(value) if value is not None else ""
    if not _ASCII_DIGITS.fullmatch(text) or len(text) > 18:
        return None
    return int(text)


def safe_parameter(value: object, max_length: int = 200) -> str:
    """A query-string value fit for a database lookup: no NUL or control characters (psycopg
    refuses NUL), at most ``max_length`` characters."""
    return strip_control(str(value or ""))[:max_length]
