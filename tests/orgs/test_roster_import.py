"""Roster check (dry run) and write through the services, on files built like real ones.

Template layout: A 姓名, B 身份证号, C 手机号, D 部门, E 岗位, F 岗位角色, G 接触危害因素, H 入职日期;
the header is row 1, so the first data row is row 2.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from orgs.models import Department, Employer, Employment, HazardFactor, PostRole, RosterImport, Transfer, User, Worker
from orgs.services import roster as roster_service
from orgs.services import roster_import_commit, roster_import_start, roster_write, transfer_confirm
from tests.factories import EmployerFactory, UserFactory, WorkerFactory
from tests.orgs.rosterfiles import (
    HEADERS,
    check,
    counts,
    errors_of,
    import_file,
    make_id,
    make_phone,
    person,
    table,
    upload,
    xlsx_bytes,
)


@pytest.fixture
def other_employer(db: None) -> Employer:
    return EmployerFactory(name="河源紫金矿产有限公司")


def _exposure_names(worker: Worker) -> set[str]:
    return set(worker.exposures.values_list("name", flat=True))


def _single_error(employer: Employer, *rows: list[object]) -> tuple[int, str, str, str]:
    before = counts()
    result = check(employer, xlsx_bytes(table(*rows)))
    assert not result.ok
    assert len(result.errors) == 1, errors_of(result)
    assert counts() == before
    return errors_of(result)[0]


# --- new workers ---------------------------------------------------------------------------------


def test_it_creates_workers_with_logins(employer: Employer) -> None:
    result = import_file(employer, xlsx_bytes(table(person(1, "张三"), person(2, "李四"))))
    assert (result.new, result.updated, result.total_rows) == (2, 0, 2)
    worker = Worker.objects.get(id_number=make_id(1))
    assert worker.employer == employer
    assert worker.name == "张三"
    assert worker.phone == make_phone(1)
    assert worker.user.username == make_phone(1)
    assert worker.user.full_name == "张三"
    assert not worker.user.has_usable_password()
    assert worker.is_active


def test_it_stores_every_column(employer: Employer) -> None:
    import_file(employer, xlsx_bytes(table(person(1, department="机修车间", post="电焊工", role="职业卫生管理人员",
                                                  exposures="电焊烟尘、噪声", hire_date="2019-07-15"))))
    worker = Worker.objects.get(id_number=make_id(1))
    assert worker.department is not None
    assert worker.department.name == "机修车间"
    assert worker.department.employer == employer
    assert worker.post == "电焊工"
    assert worker.post_role == PostRole.MANAGER
    assert _exposure_names(worker) == {"电焊烟尘", "噪声"}
    assert worker.hire_date == dt.date(2019, 7, 15)


def test_it_creates_each_department_once(employer: Employer) -> None:
    import_file(employer, xlsx_bytes(table(person(1, department="采掘一队"), person(2, department="采掘一队"),
                                           person(3, department="通风科"))))
    names = list(Department.objects.filter(employer=employer).values_list("name", flat=True))
    assert sorted(names) == sorted(["采掘一队", "通风科"])


def test_it_writes_nothing_during_the_check(employer: Employer) -> None:
    before = counts()
    result = check(employer, xlsx_bytes(table(person(1), person(2), person(3))))
    assert result.ok
    assert result.new == 3
    assert counts() == before


def test_it_refuses_to_write_a_check_with_errors(employer: Employer) -> None:
    result = check(employer, xlsx_bytes(table(person(1, role="临时工"))))
    before = counts()
    with pytest.raises(ValueError):
        roster_write(employer=employer, check=result)
    assert counts() == before


def test_it_writes_all_rows_or_none(employer: Employer, monkeypatch: pytest.MonkeyPatch) -> None:
    import_file(employer, xlsx_bytes(table(person(1))))
    result = check(employer, xlsx_bytes(table(person(1, post="新岗位"), person(2))))
    assert (result.new, result.updated) == (1, 1)
    before = counts()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(roster_service, "_update_workers", broken)
    with pytest.raises(RuntimeError):
        roster_write(employer=employer, check=result)
    assert counts() == before  # the new row inserted before the failure was rolled back
    assert not Worker.objects.filter(id_number=make_id(2)).exists()


# --- re-import -----------------------------------------------------------------------------------


def test_it_updates_on_reimport_instead_of_duplicating(employer: Employer) -> None:
    import_file(employer, xlsx_bytes(table(person(1), person(2))))
    before = counts()
    first = Worker.objects.get(id_number=make_id(1))
    result = import_file(employer, xlsx_bytes(table(person(1), person(2))))
    assert (result.new, result.updated) == (0, 2)
    assert counts() == before
    again = Worker.objects.get(id_number=make_id(1))
    assert (again.pk, again.user_id, again.code) == (first.pk, first.user_id, first.code)


def test_it_applies_changed_fields_on_reimport(employer: Employer) -> None:
    import_file(employer, xlsx_bytes(table(person(1, "张三"))))
    import_file(employer, xlsx_bytes(table(person(1, "张叁", department="通风科", post="通风工", role="其他",
                                                  hire_date="2021-05-06"))))
    worker = Worker.objects.get(id_number=make_id(1))
    assert worker.name == "张叁"
    assert worker.user.full_name == "张叁"
    assert worker.department is not None and worker.department.name == "通风科"
    assert worker.post == "通风工"
    assert worker.post_role == PostRole.OTHER
    assert worker.hire_date == dt.date(2021, 5, 6)


def test_it_replaces_exposures_on_reimport(employer: Employer) -> None:
    import_file(employer, xlsx_bytes(table(person(1, exposures="煤尘、噪声"))))
    import_file(employer, xlsx_bytes(table(person(1, exposures="高温"))))
    assert _exposure_names(Worker.objects.get(id_number=make_id(1))) == {"高温"}


def test_it_clears_exposures_when_the_cell_says_none(employer: Employer) -> None:
    import_file(employer, xlsx_bytes(table(person(1, exposures="煤尘"))))
    import_file(employer, xlsx_bytes(table(person(1, exposures="无"))))
    assert _exposure_names(Worker.objects.get(id_number=make_id(1))) == set()


def test_it_moves_the_login_with_a_changed_phone(employer: Employer) -> None:
    import_file(employer, xlsx_bytes(table(person(1))))
    user_pk = Worker.objects.get(id_number=make_id(1)).user_id
    import_file(employer, xlsx_bytes(table(person(1, phone="15800000001"))))
    worker = Worker.objects.get(id_number=make_id(1))
    assert worker.phone == "15800000001"
    assert worker.user_id == user_pk
    assert User.objects.get(pk=user_pk).username == "15800000001"
    assert not User.objects.filter(username=make_phone(1)).exists()


def test_it_reactivates_a_departed_worker_of_the_same_employer(employer: Employer) -> None:
    import_file(employer, xlsx_bytes(table(person(1))))
    Worker.objects.filter(id_number=make_id(1)).update(is_active=False)
    result = import_file(employer, xlsx_bytes(table(person(1))))
    assert result.updated == 1
    assert Worker.objects.get(id_number=make_id(1)).is_active


def test_it_lets_two_workers_swap_phones(employer: Employer) -> None:
    import_file(employer, xlsx_bytes(table(person(1), person(2))))
    before = counts()
    result = import_file(employer, xlsx_bytes(table(person(1, phone=make_phone(2)), person(2, phone=make_phone(1)))))
    assert result.updated == 2
    assert counts() == before
    first, second = Worker.objects.get(id_number=make_id(1)), Worker.objects.get(id_number=make_id(2))
    assert (first.phone, first.user.username) == (make_phone(2), make_phone(2))
    assert (second.phone, second.user.username) == (make_phone(1), make_phone(1))


def test_it_lets_workers_swap_phones_across_write_batches(employer: Employer, monkeypatch: pytest.MonkeyPatch) -> None:
    import_file(employer, xlsx_bytes(table(person(1), person(2), person(3))))
    monkeypatch.setattr(roster_service, "WRITE_BATCH", 1)
    # A rotation: 1 takes 2's phone, 2 takes 3's, 3 takes 1's.
    import_file(employer, xlsx_bytes(table(person(1, phone=make_phone(2)), person(2, phone=make_phone(3)),
                                           person(3, phone=make_phone(1)))))
    assert [Worker.objects.get(id_number=make_id(n)).phone for n in (1, 2, 3)] == [
        make_phone(2), make_phone(3), make_phone(1)]


def test_it_keeps_fields_of_columns_the_file_does_not_have(employer: Employer) -> None:
    import_file(employer, xlsx_bytes(table(person(1, department="通风科", exposures="煤尘", hire_date="2020-01-02"))))
    short = ["姓名", "身份证号", "手机号", "岗位角色"]
    import_file(employer, xlsx_bytes(table(["张三", make_id(1), make_phone(1), "接害劳动者"], headers=short)))
    worker = Worker.objects.get(id_number=make_id(1))
    assert worker.department is not None and worker.department.name == "通风科"
    assert _exposure_names(worker) == {"煤尘"}
    assert worker.hire_date == dt.date(2020, 1, 2)


# --- other employers and other accounts ----------------------------------------------------------


def test_it_moves_a_worker_who_left_another_employer_without_their_former_facts(
        employer: Employer, other_employer: Employer) -> None:
    departed = WorkerFactory(employer=other_employer, is_active=False, post="采煤工",
                             hire_date=dt.date(2015, 3, 1))
    old_department = Department.objects.create(employer=other_employer, name="综采一队")
    departed.department = old_department
    departed.save()
    departed.exposures.set(HazardFactor.objects.filter(name__in=["煤尘", "噪声"]))
    User.objects.filter(pk=departed.user_id).update(is_active=False)
    before = counts()
    short = ["姓名", "身份证号", "手机号", "岗位角色", "接触危害因素"]
    result = import_file(employer, xlsx_bytes(table(["张三", departed.id_number, departed.phone, "接害劳动者", "噪声"],
                                                    headers=short)))
    # The check says what it says of an unknown person.
    assert (result.new, result.updated) == (1, 0)
    assert counts()[:2] == before[:2]
    departed.refresh_from_db()
    assert departed.employer == employer and departed.is_active
    # None of the former employer's employment facts came along: not its department row, post,
    # hire date or exposures.
    assert departed.department is None
    assert (departed.post, departed.hire_date) == ("", None)
    assert _exposure_names(departed) == {"噪声"}
    assert Department.objects.get(pk=old_department.pk).employer == other_employer
    # The former employer keeps its record, and the worker can sign in again.
    history = Employment.objects.get(worker=departed)
    assert (history.employer, history.department, history.post) == (other_employer, "综采一队", "采煤工")
    assert set(history.exposures.values_list("name", flat=True)) == {"煤尘", "噪声"}
    departed.user.refresh_from_db()
    assert departed.user.is_active


def test_it_moves_a_worker_with_a_new_phone(employer: Employer, other_employer: Employer) -> None:
    departed = WorkerFactory(employer=other_employer, is_active=False)
    import_file(employer, xlsx_bytes(table(person(1, id_number=departed.id_number, phone="15800000009"))))
    departed.refresh_from_db()
    assert departed.phone == "15800000009"
    assert departed.user.username == "15800000009"


def test_it_waits_for_a_worker_active_at_another_employer_to_confirm(employer: Employer,
                                                                     other_employer: Employer) -> None:
    active = WorkerFactory(employer=other_employer)
    result = import_file(employer, xlsx_bytes(table(person(1), person(2, id_number=active.id_number,
                                                                      phone=active.phone))))
    assert result.ok and (result.new, result.updated) == (2, 0)
    active.refresh_from_db()
    assert active.employer == other_employer
    transfer = Transfer.objects.get(worker=active)
    assert (transfer.to_employer, transfer.status) == (employer, Transfer.Status.PENDING)
    transfer_confirm(actor=active.user, code=transfer.code)
    active.refresh_from_db()
    assert active.employer == employer
    assert Employment.objects.filter(worker=active, employer=other_employer).exists()


def test_it_refuses_a_phone_registered_to_another_worker(employer: Employer) -> None:
    holder = WorkerFactory(employer=employer)
    row, letter, column, message = _single_error(employer, person(1, phone=holder.phone))
    assert (row, letter, column) == (2, "C", "手机号")
    assert "另一名劳动者" in message


def test_it_takes_a_phone_that_is_someone_elses_login_without_saying_so(employer: Employer) -> None:
    UserFactory(username="15900000000")
    result = import_file(employer, xlsx_bytes(table(person(1, phone="15900000000"))))
    assert (result.new, result.errors) == (1, [])
    worker = Worker.objects.get(id_number=make_id(1))
    # The roster keeps the phone; the login is another name, told to the worker on activation.
    assert worker.phone == "15900000000"
    login = worker.user.username
    assert login != "15900000000"
    # Importing the file again keeps that login (the phone is still someone else's).
    import_file(employer, xlsx_bytes(table(person(1, "张三丰", phone="15900000000"))))
    worker.user.refresh_from_db()
    assert (worker.user.username, worker.user.full_name) == (login, "张三丰")


def test_it_disables_the_login_of_a_worker_the_file_marks_as_left(employer: Employer) -> None:
    headers = [*HEADERS, "在岗"]
    import_file(employer, xlsx_bytes(table([*person(1), "是"], [*person(2), "否"], headers=headers)))
    assert User.objects.get(worker__id_number=make_id(1)).is_active
    assert not User.objects.get(worker__id_number=make_id(2)).is_active
    import_file(employer, xlsx_bytes(table([*person(1), "否"], [*person(2), "是"], headers=headers)))
    assert not User.objects.get(worker__id_number=make_id(1)).is_active
    assert User.objects.get(worker__id_number=make_id(2)).is_active


# --- duplicates inside the file ------------------------------------------------------------------


def test_it_refuses_a_duplicate_id_number_naming_the_first_row(employer: Employer) -> None:
    row, letter, column, message = _single_error(
        employer, person(1), person(2), person(3, id_number=make_id(1)))
    assert (row, letter, column) == (4, "B", "身份证号")
    assert "与第 2 行的身份证号重复" in message


def test_it_refuses_a_duplicate_phone_naming_the_first_row(employer: Employer) -> None:
    row, letter, column, message = _single_error(
        employer, person(1), person(2), person(3, phone=make_phone(2)))
    assert (row, letter, column) == (4, "C", "手机号")
    assert "与第 3 行的手机号重复" in message


def test_it_sees_duplicates_written_differently(employer: Employer) -> None:
    full_width_phone = "".join(chr(ord(char) + 0xFEE0) for char in make_phone(1))
    result = check(employer, xlsx_bytes(table(person(1), person(2, phone=full_width_phone))))
    assert [(row, letter) for row, letter, _c, _m in errors_of(result)] == [(3, "C")]


# --- hazard factors ------------------------------------------------------------------------------


def test_it_refuses_an_unknown_hazard_naming_it(employer: Employer) -> None:
    row, letter, column, message = _single_error(employer, person(1, exposures="煤尘、魔法粉尘"))
    assert (row, letter, column) == (2, "G", "接触危害因素")
    assert "魔法粉尘" in message
    assert "煤尘" not in message
    assert "分类目录" in message


@pytest.mark.parametrize(("cell", "expected"), [
    ("噪音", {"噪声"}),
    ("矽尘", {"矽尘（游离SiO2含量≥10%）"}),
    ("矽尘(游离SiO2含量≥10%)", {"矽尘（游离SiO2含量≥10%）"}),
    ("噪音，矽尘;高温作业", {"噪声", "矽尘（游离SiO2含量≥10%）", "高温"}),
    ("煤尘 / 噪声 / 煤尘", {"煤尘", "噪声"}),
    ("无", set()),
    ("", set()),
])
def test_it_accepts_catalogue_names_and_aliases(employer: Employer, cell: str, expected: set[str]) -> None:
    import_file(employer, xlsx_bytes(table(person(1, exposures=cell))))
    assert _exposure_names(Worker.objects.get(id_number=make_id(1))) == expected


@pytest.mark.parametrize("name", ["1,3-丁二烯", "麻尘（亚麻、黄麻和苎麻）（游离SiO2含量<10%）", "溴丙烷（1-溴丙烷；2-溴丙烷）"])
def test_it_accepts_catalogue_names_containing_separators(employer: Employer, name: str) -> None:
    import_file(employer, xlsx_bytes(table(person(1, exposures=name))))
    assert _exposure_names(Worker.objects.get(id_number=make_id(1))) == {name}


# --- cells ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["2024-03-01", "2024/3/1", "2024.03.01", "2024年3月1日", "20240301",
                                  "2024-03-01 00:00:00", 20240301])
def test_it_reads_date_spellings(employer: Employer, cell: object) -> None:
    import_file(employer, xlsx_bytes(table(person(1, hire_date=cell))))
    assert Worker.objects.get(id_number=make_id(1)).hire_date == dt.date(2024, 3, 1)


@pytest.mark.parametrize(("cell", "words"), [
    ("03/01/2024", "无法识别的日期“03/01/2024”"),
    ("去年三月", "无法识别的日期"),
    ("2024-02-30", "日期“2024-02-30”不存在"),
    ("2024-13-01", "不存在"),
    ("1949-10-01", "早于1950年"),
])
def test_it_refuses_bad_dates(employer: Employer, cell: str, words: str) -> None:
    row, letter, column, message = _single_error(employer, person(1, hire_date=cell))
    assert (row, letter, column) == (2, "H", "入职日期")
    assert words in message


@pytest.mark.parametrize(("text", "expected"), [("45292", dt.date(2024, 1, 1)), ("45352", dt.date(2024, 3, 1)),
                                              ("４５２９２", dt.date(2024, 1, 1)), (" 45292 ", dt.date(2024, 1, 1)),
                                              ("18264", dt.date(1950, 1, 1))])
def test_it_reads_an_excel_serial_given_as_text(text: str, expected: dt.date) -> None:
    assert roster_service.clean_date(text) == expected


@pytest.mark.parametrize("text", ["12345", "18263", "99999", "4529", "452920"])
def test_it_refuses_digits_that_are_no_plausible_serial(text: str) -> None:
    with pytest.raises(ValueError, match=f"无法识别的日期“{text}”"):
        roster_service.clean_date(text)


def test_it_refuses_a_text_serial_in_the_future() -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    serial = str((tomorrow - dt.date(1899, 12, 30)).days)
    with pytest.raises(ValueError, match=f"入职日期 {tomorrow.isoformat()} 晚于今天"):
        roster_service.clean_date(serial)


def test_it_reads_a_text_serial_in_an_xlsx_text_cell(employer: Employer) -> None:
    import_file(employer, xlsx_bytes(table(person(1, hire_date="45352"))))
    assert Worker.objects.get(id_number=make_id(1)).hire_date == dt.date(2024, 3, 1)


def test_it_refuses_a_hire_date_in_the_future(employer: Employer) -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    _row, letter, _column, message = _single_error(employer, person(1, hire_date=tomorrow.isoformat()))
    assert letter == "H"
    assert "晚于今天" in message
    assert tomorrow.isoformat() in message


def test_it_accepts_an_empty_hire_date(employer: Employer) -> None:
    import_file(employer, xlsx_bytes(table(person(1, hire_date=""))))
    assert Worker.objects.get(id_number=make_id(1)).hire_date is None


@pytest.mark.parametrize(("position", "letter", "header"), [(0, "A", "姓名"), (1, "B", "身份证号"), (2, "C", "手机号")])
def test_it_refuses_an_empty_required_cell(employer: Employer, position: int, letter: str, header: str) -> None:
    row_values = person(1)
    row_values[position] = ""
    row, got_letter, column, message = _single_error(employer, person(2), row_values)
    assert (row, got_letter, column) == (3, letter, header)
    assert "必填项为空" in message


def test_it_refuses_an_empty_role_listing_the_choices(employer: Employer) -> None:
    row, letter, column, message = _single_error(employer, person(1, role=""))
    assert (row, letter, column) == (2, "F", "岗位角色")
    assert "必填项为空" in message
    assert "接害劳动者" in message


def test_it_refuses_an_unknown_role(employer: Employer) -> None:
    row, letter, column, message = _single_error(employer, person(1, role="临时工"))
    assert (row, letter, column) == (2, "F", "岗位角色")
    assert "临时工" in message
    assert "主要负责人、职业卫生管理人员、接害劳动者、其他" in message


@pytest.mark.parametrize(("cell", "role"), [("主要负责人", PostRole.PRINCIPAL), ("负责人", PostRole.PRINCIPAL),
                                            ("职业卫生管理人员", PostRole.MANAGER), ("接 害 劳 动 者", PostRole.EXPOSED),
                                            ("其它", PostRole.OTHER)])
def test_it_reads_role_words(employer: Employer, cell: str, role: str) -> None:
    import_file(employer, xlsx_bytes(table(person(1, role=cell))))
    assert Worker.objects.get(id_number=make_id(1)).post_role == role


@pytest.mark.parametrize("cell", ["+86 139-0000-0001", "139 0000 0001", "(139)00000001", "8613900000001"])
def test_it_reads_phone_spellings(employer: Employer, cell: str) -> None:
    import_file(employer, xlsx_bytes(table(person(1, phone=cell))))
    assert Worker.objects.get(id_number=make_id(1)).phone == "13900000001"


@pytest.mark.parametrize("cell", ["1390000000", "23900000001", "139000000012", "电话未知"])
def test_it_refuses_a_bad_phone(employer: Employer, cell: str) -> None:
    row, letter, column, message = _single_error(employer, person(1, phone=cell))
    assert (row, letter, column) == (2, "C", "手机号")
    assert "11位" in message


def test_it_refuses_a_bad_check_character_naming_the_right_one(employer: Employer) -> None:
    valid = make_id(1)
    wrong = valid[:17] + ("0" if valid[17] != "0" else "1")
    row, letter, _column, message = _single_error(employer, person(1, id_number=wrong))
    assert (row, letter) == (2, "B")
    assert f"应为 {valid[17]}" in message


def test_it_refuses_a_name_over_64_characters(employer: Employer) -> None:
    row, letter, _column, message = _single_error(employer, person(1, "张" * 65))
    assert (row, letter) == (2, "A")
    assert "过长" in message


def test_it_lists_every_problem_of_a_row(employer: Employer) -> None:
    result = check(employer, xlsx_bytes(table(person(1), ["", "123", "456", "", "", "临时工", "魔法粉尘", "明天"])))
    assert [(row, letter) for row, letter, _c, _m in errors_of(result)] == [
        (3, "A"), (3, "B"), (3, "C"), (3, "F"), (3, "G"), (3, "H")]


def test_it_warns_about_columns_it_ignores(employer: Employer) -> None:
    result = check(employer, xlsx_bytes(table([*person(1), "党员"], headers=[*HEADERS, "备注"])))
    assert result.ok
    assert result.summary()["warnings"] == ["以下列不会导入：备注"]


# --- the stored import, checked again at commit ---------------------------------------------------


def test_it_checks_again_when_the_import_is_confirmed(employer: Employer, other_employer: Employer) -> None:
    admin = UserFactory()
    roster_import = roster_import_start(actor=admin, employer=employer,
                                        upload=upload(xlsx_bytes(table(person(1), person(2)))))
    assert roster_import.status == RosterImport.Status.CHECKED
    # Meanwhile someone else of this employer is registered with the second row's phone.
    WorkerFactory(employer=employer, phone=make_phone(2))
    before = counts()
    roster_import_commit(roster_import_id=roster_import.pk)
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.REJECTED
    assert [(error["row"], error["letter"]) for error in roster_import.errors] == [(3, "C")]
    assert counts() == before


def test_it_commits_once_when_called_twice(employer: Employer) -> None:
    admin = UserFactory()
    roster_import = roster_import_start(actor=admin, employer=employer, upload=upload(xlsx_bytes(table(person(1)))))
    roster_import_commit(roster_import_id=roster_import.pk)
    after_first = counts()
    roster_import_commit(roster_import_id=roster_import.pk)
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.IMPORTED
    assert roster_import.summary["new"] == 1
    assert counts() == after_first


def test_it_finds_duplicates_of_rows_that_have_other_errors(employer: Employer) -> None:
    result = check(employer, xlsx_bytes(table(
        person(1, hire_date="明年"),
        person(2, id_number=make_id(1), phone=make_phone(1)),
    )))
    found = errors_of(result)
    assert found[0][:3] == (2, "H", "入职日期")
    assert any(row == 3 and letter == "B" and "与第 2 行的身份证号重复" in message
               for row, letter, _header, message in found)
    assert any(row == 3 and letter == "C" and "与第 2 行的手机号重复" in message
               for row, letter, _header, message in found)
    assert result.rows == []
