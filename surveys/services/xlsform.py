"""Questionnaires as XLSForm: the ``survey``, ``choices`` and ``settings`` sheets that KoboToolbox,
ODK and pyxform read, with our scoring in extra columns.

What we read (docs/surveys-files.md lists it all): select_one / select_multiple LIST, integer,
text, note; begin_group / end_group are flattened (a group with a label becomes a note item, and
its ``relevant`` is and-ed into every item inside it, which is what a group's condition means);
``relevant`` in the grammar of surveys.services.relevance; ``required``; ``label`` and ``hint`` in
the Chinese column when there are several languages; a ``constraint`` of the form
``. >= N and . <= M`` on integers. Our columns: ``kind``, ``answer``, ``points``, ``dimension``,
``respondent_field``, ``indicator``, ``yes_value``, ``not_applicable_value``; settings
``threshold`` and ``intro``. Anything else (calculate, geopoint, repeat, choice_filter,
appearance…) is not imported and is listed with its row, so the editor sees what was left behind.

An import goes through questionnaire_save (surveys.services.questionnaires), so an item is checked
exactly as in the admin; its errors are named by sheet, row and column. A form whose form_id is
already here updates that questionnaire (items matched by name), within the freezing rules.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ServiceError
from core.exports import ExportColumn, ExportWorkbook
from orgs.models import LiteracyDimension
from surveys.models import Indicator, Item, ItemKind, ItemType, Questionnaire, RespondentField, SurveyImport
from surveys.services.imports import (
    ImportReport,
    RowError,
    Sheet,
    Skipped,
    SurveyFileError,
    cell_text,
    file_content,
    read_workbook,
)
from surveys.services.questionnaires import QuestionnaireInvalid, questionnaire_save

SURVEY, CHOICES, SETTINGS = "survey", "choices", "settings"
TRUE_FALSE_LIST = "true_false"
TRUE_NAMES = {"true", "对", "正确"}
FALSE_NAMES = {"false", "错", "错误"}
YES_WORDS = {"yes", "true", "true()", "1", "是", "y"}
NO_WORDS = {"", "no", "false", "false()", "0", "否", "n"}
GROUP_BEGIN = {"begin_group", "begin group"}
GROUP_END = {"end_group", "end group"}
REPEAT_BEGIN = {"begin_repeat", "begin repeat"}
REPEAT_END = {"end_repeat", "end repeat"}
SIMPLE_TYPES = {"integer": ItemType.INTEGER, "int": ItemType.INTEGER, "text": ItemType.TEXT, "string": ItemType.TEXT,
                "note": ItemType.NOTE}
# The survey columns we read; any other column with a value on a row is listed as ignored.
OUR_COLUMNS = ("kind", "answer", "points", "dimension", "respondent_field", "indicator", "yes_value",
               "not_applicable_value")
READ_COLUMNS = {"type", "name", "label", "hint", "required", "relevant", "constraint", *OUR_COLUMNS}
# Read elsewhere or meaningless without the feature they belong to: not listed row by row.
QUIET_COLUMNS = {"constraint_message", "required_message", "media::image", "list_name"}
KIND_WORDS = {**{value: value for value in ItemKind.values}, **{str(label): value for value, label in ItemKind.choices},
              "behavior": ItemKind.BEHAVIOUR}
_BOUND = re.compile(r"^\.\s*(>=|<=|>|<)\s*(-?\d+)$")
_SURVEY_EXPORT = ("type", "name", "label", "hint", "required", "relevant", "constraint", *OUR_COLUMNS)


# -- reading the sheets ------------------------------------------------------------------------
@dataclass
class _Table:
    """A sheet with its header: column name (lower case, as XLSForm compares them) → position."""

    sheet: Sheet
    columns: dict[str, int]
    headers: dict[str, str]  # lower-case name → as written in the file

    def value(self, values: Sequence[Any], name: str) -> str:
        position = self.columns.get(name)
        if position is None or position >= len(values):
            return ""
        return cell_text(values[position])

    def header(self, name: str) -> str:
        return self.headers.get(name, name)


def _table(sheet: Sheet) -> _Table:
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    for position, cell in enumerate(sheet.rows[0] if sheet.rows else ()):
        text = cell_text(cell)
        if text and text.lower() not in columns:
            columns[text.lower()] = position
            headers[text.lower()] = text
    return _Table(sheet, columns, headers)


def _language_column(table: _Table, base: str) -> str | None:
    """``label`` or ``label::<language>``: the Chinese one when there are several, else the plain
    one, else the first. XLSForm writes ``label::Chinese (zh)``, Kobo also ``label::中文``."""
    names = [name for name in table.columns if name == base or name.startswith(base + "::")]
    if not names:
        return None

    def chinese(name: str) -> bool:
        language = name.partition("::")[2]
        return bool(re.search(r"\bzh\b|chinese|中文|汉语|简体", language))

    for name in names:
        if chinese(name):
            return name
    return base if base in names else names[0]


@dataclass
class _Choice:
    row: int
    name: str
    label: str


@dataclass
class _List:
    row: int  # its first row on the choices sheet
    choices: list[_Choice] = field(default_factory=list)


@dataclass
class _Row:
    """One survey row that becomes an item, with where each of its fields came from."""

    row: int
    item: Item
    list_name: str = ""
    group_relevant: str = ""


class _Reader:
    def __init__(self, sheets: dict[str, Sheet], report: ImportReport) -> None:
        self.report = report
        by_name = {name.strip().lower(): sheet for name, sheet in sheets.items()}
        if SURVEY not in by_name:
            raise SurveyFileError(_("找不到 survey 表：XLSForm 文件至少要有 survey 和 choices 两张表"))
        self.survey = _table(by_name[SURVEY])
        self.choices_table = _table(by_name[CHOICES]) if CHOICES in by_name else None
        self.settings_table = _table(by_name[SETTINGS]) if SETTINGS in by_name else None
        self.label = _language_column(self.survey, "label")
        self.hint = _language_column(self.survey, "hint")
        self.dimensions = {**dict(LiteracyDimension.objects.values_list("code", "code")),
                           **dict(LiteracyDimension.objects.values_list("name", "code"))}
        self.indicators = {**dict(Indicator.objects.values_list("code", "code")),
                           **dict(Indicator.objects.values_list("name", "code"))}
        self.fields = {**{value: value for value in RespondentField.values},
                       **{str(label): value for value, label in RespondentField.choices}}
        self.rows: list[_Row] = []
        # Fields of an item already reported from the file: questionnaire_save's word on them is left out.
        self.reported: dict[str, set[str]] = {}

    def error(self, sheet: str, row: int, header: str, message: str) -> None:
        self.report.errors.append(RowError(sheet, row, "", header, message))

    def skip(self, row: int, what: str, reason: str, sheet: str = SURVEY) -> None:
        self.report.skipped.append(Skipped(sheet, row, what, reason))

    # -- settings and choices --
    def settings(self, name: str) -> dict[str, str]:
        values: dict[str, str] = {}
        table = self.settings_table
        if table is not None and len(table.sheet.rows) > 1:
            row = table.sheet.rows[1]
            for key in ("form_title", "form_id", "version", "threshold", "intro"):
                values[key] = table.value(row, key)
            title_column = _language_column(table, "form_title")
            if title_column and title_column != "form_title":
                values["form_title"] = table.value(row, title_column) or values["form_title"]
        if not values.get("form_id"):
            # pyxform's own default: the file's name.
            stem = re.sub(r"[^A-Za-z0-9_\-]+", "_", PurePath(name or "").stem).strip("_")
            values["form_id"] = stem[:60]
        if not values.get("form_title"):
            values["form_title"] = values["form_id"]
        return values

    def lists(self) -> dict[str, _List]:
        lists: dict[str, _List] = {}
        table = self.choices_table
        if table is None:
            return lists
        label = _language_column(table, "label")
        for column in ("list_name", "name"):
            if column not in table.columns:
                self.error(CHOICES, 0, "", _("缺少 %(column)s 列") % {"column": column})
                return lists
        seen: dict[tuple[str, str], int] = {}
        for number, values in table.sheet.numbered(start=2):
            list_name, name = table.value(values, "list_name"), table.value(values, "name")
            text = table.value(values, label) if label else ""
            if not list_name:
                self.error(CHOICES, number, table.header("list_name"), _("请填写选项列表名"))
                continue
            if not name:
                self.error(CHOICES, number, table.header("name"), _("请填写选项值"))
                continue
            if (list_name, name) in seen:
                self.error(CHOICES, number, table.header("name"), _("选项值 %(name)s 与第 %(row)s 行重复") % {
                    "name": name, "row": seen[(list_name, name)]})
                continue
            seen[(list_name, name)] = number
            if not text:
                self.error(CHOICES, number, table.header(label or "label"), _("选项 %(name)s 没有文字") % {"name": name})
            lists.setdefault(list_name, _List(number)).choices.append(_Choice(number, name, text))
        return lists

    # -- the survey sheet --
    def survey_rows(self, lists: dict[str, _List]) -> None:
        table = self.survey
        for column in ("type", "name"):
            if column not in table.columns:
                raise SurveyFileError(_("survey 表缺少 %(column)s 列") % {"column": column})
        if self.label is None:
            raise SurveyFileError(_("survey 表缺少 label 列"))
        ignored = [name for name in table.columns if name not in READ_COLUMNS and name not in QUIET_COLUMNS
                   and name not in {self.label, self.hint} and not name.startswith(("label::", "hint::"))]
        languages = sorted({table.header(name) for name in table.columns
                            if name.startswith(("label::", "hint::")) and name not in {self.label, self.hint}})
        if languages:
            self.report.notes.append(_("只导入了一种语言的文字（%(used)s），未导入：%(others)s") % {
                "used": table.header(self.label), "others": "、".join(languages)})
        groups: list[str] = []  # the relevant of each open group ("" for none)
        repeat_depth = 0
        for number, values in table.sheet.numbered(start=2):
            raw_type = re.sub(r"\s+", " ", table.value(values, "type")).strip()
            kind = raw_type.lower()
            name = table.value(values, "name")
            if kind in REPEAT_BEGIN:
                repeat_depth += 1
                self.skip(number, f"type={raw_type}", _("不支持重复组，组内的题目一并跳过"))
                continue
            if kind in REPEAT_END:
                repeat_depth = max(0, repeat_depth - 1)
                continue
            if repeat_depth:
                self.skip(number, f"type={raw_type}", _("在重复组内，已跳过"))
                continue
            if kind in GROUP_END:
                if groups:
                    groups.pop()
                else:
                    self.error(SURVEY, number, table.header("type"), _("end_group 前没有对应的 begin_group"))
                continue
            if not raw_type:
                if name:
                    self.error(SURVEY, number, table.header("type"), _("请填写题型"))
                continue
            for column in ignored:
                cell = table.value(values, column)
                if cell:
                    self.skip(number, f"{table.header(column)}={cell}", _("不支持，已忽略"))
            relevant = table.value(values, "relevant")
            inherited = _and(groups)
            if kind in GROUP_BEGIN:
                groups.append(relevant)
                label = table.value(values, self.label)
                if label:
                    # Kept as a note, so the heading still shows; its condition is the group's.
                    note = Item(code=name, kind=ItemKind.NOTE, type=ItemType.NOTE, label=label,
                                hint=table.value(values, self.hint) if self.hint else "",
                                relevant=_and([inherited, relevant]), required=False)
                    self.rows.append(_Row(number, note))
                continue
            self.item_row(number, values, raw_type, lists, inherited)
        if groups:
            self.error(SURVEY, 0, "", _("有 %(count)s 个 begin_group 没有对应的 end_group") % {"count": len(groups)})

    def item_row(self, number: int, values: Sequence[Any], raw_type: str, lists: dict[str, _List],
                 inherited: str) -> None:
        table = self.survey
        parts = raw_type.split(" ")
        base = parts[0].lower()
        list_name = parts[1] if len(parts) > 1 else ""
        if base in ("select_one", "select_multiple") and len(parts) == 2:
            item_type = ItemType.SELECT_ONE if base == "select_one" else ItemType.SELECT_MULTIPLE
        elif base in SIMPLE_TYPES and len(parts) == 1:
            item_type = SIMPLE_TYPES[base]
        else:
            self.skip(number, f"type={raw_type}", _("不支持，已跳过"))
            return
        code = table.value(values, "name")
        item = Item(code=code, type=item_type, label=table.value(values, self.label or "label"),
                    hint=table.value(values, self.hint) if self.hint else "",
                    relevant=_and([inherited, table.value(values, "relevant")]))
        reported = self.reported.setdefault(code or f"#{len(self.rows) + 1}", set())

        def bad(column: str, message: str, what: str) -> None:
            self.error(SURVEY, number, table.header(column), message)
            reported.add(what)

        choices: list[_Choice] = []
        if item_type in (ItemType.SELECT_ONE, ItemType.SELECT_MULTIPLE):
            found = lists.get(list_name)
            if found is None:
                bad("type", _("选项列表 %(name)s 不存在") % {"name": list_name}, "choices")
            else:
                choices = found.choices
        item.choices = [{"value": choice.name, "label": choice.label} for choice in choices]
        required = table.value(values, "required").lower()
        if required in YES_WORDS:
            item.required = True
        elif required in NO_WORDS:
            item.required = False
        else:
            bad("required", _("应为 yes 或 no，不能是“%(value)s”") % {"value": required}, "required")
        self.kind_of(item, values, bad)
        if item.kind in (ItemKind.KNOWLEDGE, ItemKind.BEHAVIOUR) and item_type == ItemType.SELECT_ONE and \
                _is_true_false(choices):
            item.type = ItemType.TRUE_FALSE
        self.scoring(item, values, bad)
        self.constraint(item, number, table.value(values, "constraint"))
        self.rows.append(_Row(number, item, list_name=list_name))

    def kind_of(self, item: Item, values: Sequence[Any], bad: Any) -> None:
        table = self.survey
        written = table.value(values, "kind")
        answer = table.value(values, "answer")
        if item.type == ItemType.NOTE:
            item.kind = ItemKind.NOTE
            item.required = False
        elif written:
            kind = KIND_WORDS.get(written) or KIND_WORDS.get(written.lower())
            if kind is None:
                bad("kind", _("不认识的类别“%(value)s”（可填：respondent 基本情况、knowledge 知识题、behaviour 行为题）")
                    % {"value": written}, "kind")
                kind = ItemKind.RESPONDENT
            item.kind = kind
        else:
            item.kind = ItemKind.KNOWLEDGE if answer else ItemKind.RESPONDENT

    def scoring(self, item: Item, values: Sequence[Any], bad: Any) -> None:
        table = self.survey
        item.answer = [part for part in re.split(r"[\s,，、]+", table.value(values, "answer")) if part]
        points = table.value(values, "points")
        item.points = 1
        if points:
            if re.fullmatch(r"\d{1,4}", points) and int(points) >= 1:
                item.points = int(points)
            else:
                bad("points", _("分值应为正整数，不能是“%(value)s”") % {"value": points}, "points")
        dimension = table.value(values, "dimension")
        if dimension:
            code = self.dimensions.get(dimension) or self.dimensions.get(dimension.lower())
            if code is None:
                bad("dimension", _("不认识的素养维度“%(value)s”（可填：%(choices)s）") % {
                    "value": dimension, "choices": "、".join(sorted(set(self.dimensions.values())))}, "dimension")
            item.dimension_id = code
        field_value = table.value(values, "respondent_field")
        if field_value:
            respondent = self.fields.get(field_value) or self.fields.get(field_value.lower())
            if respondent is None:
                bad("respondent_field", _("不认识的基本信息“%(value)s”（可填：%(choices)s）") % {
                    "value": field_value, "choices": "、".join(RespondentField.values)}, "respondent_field")
            item.respondent_field = respondent or ""
        indicator = table.value(values, "indicator")
        if indicator:
            code = self.indicators.get(indicator)
            if code is None:
                bad("indicator", _("没有指标“%(value)s”") % {"value": indicator}, "indicator")
            item.indicator_id = code
        item.yes_value = table.value(values, "yes_value")
        item.not_applicable_value = table.value(values, "not_applicable_value")

    def constraint(self, item: Item, number: int, constraint: str) -> None:
        if not constraint:
            return
        bounds = _bounds(constraint) if item.type == ItemType.INTEGER else None
        if bounds is None:
            self.skip(number, f"constraint={constraint}", _("无法表达（只支持整数题的 . >= N and . <= M），已忽略"))
            return
        item.min_value, item.max_value = bounds


def _and(conditions: Iterable[str]) -> str:
    parts = [condition.strip() for condition in conditions if condition and condition.strip()]
    if len(parts) <= 1:
        return parts[0] if parts else ""
    return " and ".join(f"({part})" for part in parts)


def _is_true_false(choices: Sequence[_Choice]) -> bool:
    names = {choice.name.lower() for choice in choices}
    return len(choices) == 2 and len(names & TRUE_NAMES) == 1 and len(names & FALSE_NAMES) == 1


def _bounds(constraint: str) -> tuple[int | None, int | None] | None:
    """``. >= 0 and . <= 60`` → (0, 60); one bound alone too; anything else None."""
    low: int | None = None
    high: int | None = None
    for part in re.split(r"\s+and\s+", constraint.strip()):
        match = _BOUND.match(part.strip())
        if match is None:
            return None
        op, number = match.group(1), int(match.group(2))
        if op in (">=", ">"):
            if low is not None:
                return None
            low = number + (1 if op == ">" else 0)
        else:
            if high is not None:
                return None
            high = number - (1 if op == "<" else 0)
    return low, high


# -- from rows to a questionnaire --------------------------------------------------------------
# questionnaire_save's fields → the column its problem is in.
FIELD_COLUMNS = {"code": "name", "kind": "kind", "type": "type", "label": "label", "hint": "hint",
                 "choices": "type", "answer": "answer", "points": "points", "dimension": "dimension",
                 "respondent_field": "respondent_field", "indicator": "indicator", "yes_value": "yes_value",
                 "not_applicable_value": "not_applicable_value", "relevant": "relevant", "required": "required",
                 "min_value": "constraint", "max_value": "constraint"}
SETTINGS_COLUMNS = {"title": "form_title", "form_id": "form_id", "threshold": "threshold"}


def _located(reader: _Reader, rows: Sequence[_Row], problem: ServiceError) -> RowError | None:
    """Where in the file a problem questionnaire_save found lies; None when the file already said so."""
    what, _dot, item_field = problem.field.rpartition(".")
    if not what:
        if problem.field in SETTINGS_COLUMNS:
            return RowError(SETTINGS, 2, "", SETTINGS_COLUMNS[problem.field], problem.message)
        return RowError(SURVEY, 0, "", "", problem.message)
    if what.startswith("#") and what[1:].isdigit() and 0 < int(what[1:]) <= len(rows):
        row = rows[int(what[1:]) - 1]
    else:
        # A duplicated code names its second row: the last with that code.
        matching = [row for row in rows if row.item.code == what]
        if not matching:
            return RowError(SURVEY, 0, "", "", problem.message)
        row = matching[-1] if item_field == "code" else matching[0]
    if item_field in reader.reported.get(what, set()):
        return None
    column = FIELD_COLUMNS.get(item_field, "")
    if column == "label":
        column = reader.label or "label"
    elif column == "hint":
        column = reader.hint or "hint"
    return RowError(SURVEY, row.row, "", reader.survey.header(column) if column else "", problem.message)


def _threshold(value: str, report: ImportReport) -> Decimal | None:
    if not value:
        return None
    try:
        number = Decimal(value.rstrip("%")) / (100 if value.endswith("%") else 1)
    except InvalidOperation:
        number = Decimal(-1)
    if not Decimal("0.01") <= number <= 1:
        report.errors.append(RowError(SETTINGS, 2, "", "threshold",
                                      _("知晓标准应为 0.01–1 之间的比例，例如 0.80，不能是“%(value)s”") % {"value": value}))
        return None
    return number.quantize(Decimal("0.01"))


def _target(settings_values: dict[str, str], rows: Sequence[_Row], report: ImportReport) -> tuple[Questionnaire, bool]:
    """The questionnaire the file writes: the one with its form_id (updated), or a new one."""
    form_id = settings_values["form_id"]
    stored = Questionnaire.objects.filter(form_id=form_id).first() if form_id else None
    threshold = _threshold(settings_values.get("threshold", ""), report)
    questionnaire = stored or Questionnaire(form_id=form_id)
    questionnaire.title = settings_values["form_title"][:120]
    questionnaire.version = settings_values.get("version", "")[:30]
    if settings_values.get("intro"):
        questionnaire.intro = settings_values["intro"]
    if threshold is not None:
        questionnaire.threshold = threshold
    existing = {item.code: item for item in stored.items.all()} if stored else {}
    items: list[Item] = []
    for position, row in enumerate(rows):
        item = existing.pop(row.item.code, None) if row.item.code in existing else None
        if item is None:
            item = row.item
        else:
            # The stored item keeps its primary key: answers point at it.
            for name in ITEM_FIELDS:
                setattr(item, name, getattr(row.item, name))
        item.sort_order = position
        items.append(item)
    questionnaire.items = items
    return questionnaire, stored is None


ITEM_FIELDS = ("kind", "type", "label", "hint", "choices", "answer", "points", "dimension_id", "respondent_field",
               "indicator_id", "yes_value", "not_applicable_value", "relevant", "required", "min_value", "max_value")


def _preview(items: Sequence[Item]) -> list[dict[str, Any]]:
    return [{"code": item.code, "kind": item.kind, "kind_label": str(ItemKind(item.kind).label),
             "type": item.type, "type_label": str(ItemType(item.type).label), "label": item.label[:200],
             "choices": [f"{choice.get('value')} {choice.get('label')}" for choice in item.choices],
             "answer": list(item.answer or []), "points": item.points if item.kind == ItemKind.KNOWLEDGE else None,
             "dimension": item.dimension_id or "", "relevant": item.relevant}
            for item in items if item.kind in ItemKind.values and item.type in ItemType.values]


def questionnaire_import(*, actor: Any, file: Any, dry_run: bool, name: str = "") -> ImportReport:
    """Read an XLSForm and create (or update, by form_id) its questionnaire through
    questionnaire_save, all or nothing; with ``dry_run`` the same writes are rolled back.
    Raises SurveyFileError when the file as a whole is unusable."""
    report = ImportReport(kind=SurveyImport.Kind.XLSFORM)
    reader = _Reader(read_workbook(file_content(file)), report)
    settings_values = reader.settings(name)
    lists = reader.lists()
    reader.survey_rows(lists)
    rows = reader.rows
    report.total = len(rows)
    if reader.choices_table is None and any(row.list_name for row in rows):
        report.errors.insert(0, RowError(CHOICES, 0, "", "", _("找不到 choices 表，单选和多选题需要它")))
    with transaction.atomic():
        questionnaire, create = _target(settings_values, rows, report)
        report.details.update({"form_id": questionnaire.form_id, "title": questionnaire.title, "create": create,
                               "questionnaire_code": "" if create else questionnaire.code})
        # Run even when the file had errors: the editor gets every problem at once.
        try:
            questionnaire_save(actor=actor, questionnaire=questionnaire, create=create,
                               audit_data={"imported_from": name or "xlsform"})
        except QuestionnaireInvalid as invalid:
            report.errors += [located for problem in invalid.errors
                              if (located := _located(reader, rows, problem)) is not None]
        except ServiceError as refused:
            report.errors.append(RowError(SURVEY, 0, "", "", refused.message))
        report.errors.sort(key=lambda error: ({SETTINGS: 0, CHOICES: 1}.get(error.sheet, 2), error.row))
        items = list(questionnaire.items.all())
        report.details["items"] = _preview(items)
        report.created = len(items)
        if report.ok:
            report.details["questionnaire_code"] = questionnaire.code
            audit(actor, "surveys.questionnaire.import", questionnaire, data={
                "file": name, "form_id": questionnaire.form_id, "items": len(items), "create": create,
                "skipped": len(report.skipped), "dry_run": dry_run})
        if dry_run or not report.ok:
            transaction.set_rollback(True)
    report.committed = not dry_run and report.ok
    return report


# -- writing a questionnaire as XLSForm --------------------------------------------------------
def _constraint(item: Item) -> str:
    if item.type != ItemType.INTEGER:
        return ""
    parts = []
    if item.min_value is not None:
        parts.append(f". >= {item.min_value}")
    if item.max_value is not None:
        parts.append(f". <= {item.max_value}")
    return " and ".join(parts)


def _list_name(item: Item) -> str:
    return TRUE_FALSE_LIST if item.type == ItemType.TRUE_FALSE else item.code


def _survey_row(item: Item) -> list[Any]:
    if item.type in (ItemType.SELECT_ONE, ItemType.TRUE_FALSE):
        type_text = f"select_one {_list_name(item)}"
    elif item.type == ItemType.SELECT_MULTIPLE:
        type_text = f"select_multiple {_list_name(item)}"
    else:
        type_text = str(item.type)
    note = item.type == ItemType.NOTE
    knowledge = item.kind == ItemKind.KNOWLEDGE
    return [type_text, item.code, item.label, item.hint, "" if note else ("yes" if item.required else "no"),
            item.relevant, _constraint(item), item.kind, " ".join(item.answer or []) if knowledge else "",
            item.points if knowledge else "", item.dimension_id or "", item.respondent_field,
            item.indicator_id or "", item.yes_value, item.not_applicable_value]


def questionnaire_xlsform(*, questionnaire: Questionnaire) -> bytes:
    """The questionnaire as an XLSForm workbook that pyxform (and so KoboToolbox and ODK) reads,
    and that questionnaire_import reads back into the same items. The caller audits the export."""
    items = list(questionnaire.items.order_by("sort_order", "pk"))
    stream = io.BytesIO()
    workbook = ExportWorkbook(stream, constant_memory=False)
    survey = workbook.add_sheet(SURVEY, [ExportColumn(name, 40 if name == "label" else 14) for name in _SURVEY_EXPORT])
    survey.write_many(_survey_row(item) for item in items)
    survey.finish(autofilter=False)
    choices = workbook.add_sheet(CHOICES, [ExportColumn("list_name", 16), ExportColumn("name", 14),
                                           ExportColumn("label", 50)])
    if any(item.type == ItemType.TRUE_FALSE for item in items):
        choices.write_many([[TRUE_FALSE_LIST, "true", "对"], [TRUE_FALSE_LIST, "false", "错"]])
    for item in items:
        if item.type in (ItemType.SELECT_ONE, ItemType.SELECT_MULTIPLE):
            choices.write_many([item.code, choice.get("value", ""), choice.get("label", "")] for choice in item.choices)
    choices.finish(autofilter=False)
    settings_sheet = workbook.add_sheet(SETTINGS, [ExportColumn(name, 20) for name in
                                                   ("form_title", "form_id", "version", "threshold", "intro")])
    settings_sheet.write([questionnaire.title, questionnaire.form_id, questionnaire.version,
                          f"{questionnaire.threshold:.2f}", questionnaire.intro])
    workbook.close()
    return stream.getvalue()


def xlsform_filename(questionnaire: Questionnaire) -> str:
    return f"{questionnaire.form_id}.xlsx"
