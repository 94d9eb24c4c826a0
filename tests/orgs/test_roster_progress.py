"""What the admin sees while a large roster is worked on: a size estimate for the progress bar,
and messages in the uploader's language even when a Celery worker does the work."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.utils import translation

from orgs.models import Employer, RosterImport, User
from orgs.services import read_roster, roster_import_check
from tests.orgs.rosterfiles import csv_bytes, person, table, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("build", [xlsx_bytes, csv_bytes])
def test_it_estimates_the_rows_before_reading_them(build: Any) -> None:
    rows = table(*(person(number) for number in range(1, 41)), title="职工花名册")
    roster = read_roster(io.BytesIO(build(rows)), "roster.xlsx" if build is xlsx_bytes else "roster.csv")
    assert 40 <= roster.estimated_rows <= 41


def test_it_writes_messages_in_the_uploaders_language(employer: Employer, admin: User) -> None:
    roster_import = RosterImport(employer=employer, created_by=admin, original_name="roster.csv", language="en")
    roster_import.file.save("roster.csv", upload(csv_bytes(table(person(1, id_number="123"))), "roster.csv"))
    roster_import.save()
    with translation.override("zh-hans"):  # a Celery worker's language, whatever the uploader chose
        roster_import_check(roster_import_id=roster_import.pk)
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.REJECTED
    assert "18" in roster_import.errors[0]["message"]
    assert roster_import.errors[0]["message"].isascii()
