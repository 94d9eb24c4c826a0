"""zh-hans first, English second: msgids are Chinese, English comes from locale/en (docs/i18n.md)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from orgs.idnumbers import InvalidIdNumber, id_number_clean
from orgs.services.roster_read import RosterFileError, read_roster

PO_FILE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """LocaleMiddleware leaves the request's language active in the thread: put the default back,
    so that tests running after these ones still get Chinese messages."""
    yield
    translation.deactivate()


def test_home_page_is_chinese_by_default(db: None) -> None:
    response = Client().get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "登录" in html
    assert "首次使用：激活账号" in html
    assert "Log in" not in html


def test_home_page_is_english_after_choosing_english(db: None) -> None:
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html
    assert "First time here? Activate your account" in html
    assert "登录" not in html

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "登录" in client.get("/").content.decode()


def test_roster_error_messages_follow_the_active_language() -> None:
    with translation.override("en"), pytest.raises(InvalidIdNumber) as excinfo:
        id_number_clean("123")
    assert str(excinfo.value) == "An ID number has 18 characters; this one has 3."
    with translation.override("en"), pytest.raises(RosterFileError, match="The file is empty"):
        read_roster(io.BytesIO(b""), "roster.csv")

    with pytest.raises(InvalidIdNumber, match="身份证号应为18位，这里是3位"):
        id_number_clean("123")


def _po_entries() -> Iterator[tuple[list[str], dict[str, str]]]:
    """(flag lines, fields) of each live entry; obsolete (#~) entries are skipped."""
    text = PO_FILE.read_text(encoding="utf-8")
    for block in re.split(r"\n\s*\n", text.strip()):
        flags: list[str] = []
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags.append(line)
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if match:
                key = match.group(1)
                fields[key] = match.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if fields:
            yield flags, fields


def test_english_catalogue_is_complete() -> None:
    assert PO_FILE.with_suffix(".mo").exists(), "run manage.py compilemessages"
    entries = list(_po_entries())
    _flags, header = entries[0]
    assert header["msgid"] == ""
    assert "Language: en" in header["msgstr"]
    assert len(entries) > 100
    for flags, fields in entries:
        assert not any("fuzzy" in flag for flag in flags), f"fuzzy entry: {fields['msgid']}"
        msgstrs = {key: value for key, value in fields.items() if key.startswith("msgstr")}
        assert msgstrs, fields
        for key, value in msgstrs.items():
            assert value, f"empty {key} for {fields['msgid']}"
            if fields["msgid"]:
                source = fields["msgid_plural"] if key == "msgstr[1]" else fields["msgid"]
                assert set(PLACEHOLDER.findall(value)) == set(PLACEHOLDER.findall(source)), fields["msgid"]
