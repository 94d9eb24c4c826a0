"""RosterResource, the django-import-export reference of the roster_import benchmark, must really
import a roster: a benchmark against a reference that does not work would prove nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import tablib

from orgs.idnumbers import id_number_make
from orgs.models import Department, PostRole, Worker
from orgs.resources import ROSTER_KEYS, RosterResource
from orgs.services.roster_columns import COLUMN_BY_KEY
from tests.factories import EmployerFactory

HEADERS = [COLUMN_BY_KEY[key].header for key in ROSTER_KEYS]


def _dataset(count: int, *, first_phone: int = 19900000000) -> tablib.Dataset:
    dataset = tablib.Dataset(headers=HEADERS)
    for number in range(count):
        exposed = number % 4 != 3
        dataset.append([
            f"工人{number}",
            id_number_make("110101", dt.date(1980, 1, 1) + dt.timedelta(days=number * 41), number),
            str(first_phone + number),
            ("综采一队", "机电队", "通风区")[number % 3],
            "采煤机司机",
            "接害劳动者" if exposed else "其他",
            "煤尘、噪声" if exposed else "",
            # Excel gives date cells as datetimes, typed text as strings: both must work.
            dt.datetime(2020, 3, 1) if number % 2 else "2021-07-15",
        ])
    return dataset


@pytest.mark.django_db
def test_it_imports_twenty_rows_with_logins_departments_and_exposures() -> None:
    employer = EmployerFactory()

    result = RosterResource(employer=employer).import_data(_dataset(20), dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == 20
    workers = Worker.objects.filter(employer=employer).select_related("user", "department")
    assert workers.count() == 20
    first = workers.get(name="工人0")
    assert first.user.username == first.phone == "19900000000"
    assert not first.user.has_usable_password()
    assert first.post_role == PostRole.EXPOSED
    assert sorted(first.exposures.values_list("name", flat=True)) == ["噪声", "煤尘"]
    assert first.hire_date == dt.date(2021, 7, 15)
    assert workers.get(name="工人1").hire_date == dt.date(2020, 3, 1)
    assert workers.get(name="工人3").exposures.count() == 0
    assert set(Department.objects.filter(employer=employer).values_list("name", flat=True)) == {
        "综采一队", "机电队", "通风区"}


@pytest.mark.django_db
def test_importing_again_updates_by_id_number() -> None:
    employer = EmployerFactory()
    RosterResource(employer=employer).import_data(_dataset(5), dry_run=False)
    changed = _dataset(5)
    changed[0] = ("新名字", *changed[0][1:])

    result = RosterResource(employer=employer).import_data(changed, dry_run=False)

    assert result.totals["update"] == 5
    assert Worker.objects.filter(employer=employer).count() == 5
    assert Worker.objects.filter(employer=employer, name="新名字").exists()


@pytest.mark.django_db
def test_bad_rows_are_reported_and_nothing_is_written() -> None:
    employer = EmployerFactory()
    dataset = _dataset(3)
    bad_id = list(dataset[0])
    bad_id[1] = bad_id[1][:-1] + ("0" if bad_id[1][-1] != "0" else "1")  # wrong GB 11643 check character
    dataset[0] = bad_id
    bad_hazard = list(dataset[2])
    bad_hazard[6] = "煤尘、不存在的因素"
    dataset[2] = bad_hazard

    result = RosterResource(employer=employer).import_data(dataset, dry_run=False)

    # The ID number is the import id, cleaned while looking the worker up, and exposures are saved
    # after the worker: import-export reports both as row errors rather than validation errors.
    messages = {number: str(errors[0].error) for number, errors in result.row_errors()}
    assert "校验位" in messages[1]
    assert "不存在的因素" in messages[3]
    assert 2 not in messages
    assert not Worker.objects.filter(employer=employer).exists()
    assert not Department.objects.filter(employer=employer).exists()
