"""Question-bank files in and out: the xlsx template Chinese exam systems use, and Moodle XML.

An import is read, checked and written all or nothing: every row goes through the same checks
(``BankRowChecker``: the rules of exams.services.bank, duplicates within the file and in the bank,
categories) and is written by ``question_save`` — in a dry run too, inside a transaction that is
rolled back, so the preview shows exactly what the commit would do. One bad row and nothing is
written; every bad row is named with its column (xlsx) or its question and element (Moodle).

In the admin a file is uploaded into a ``BankImport`` (checked at once: files are small), shown as
a preview, and written when the editor confirms; ``manage.py bank_import`` runs the same steps.
"""

from __future__ import annotations

import io
import logging
import zipfile
import zlib
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import PurePath
from typing import IO, Any, NamedTuple
from xml.etree.ElementTree import ParseError

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.db import DatabaseError, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit
from core.errors import ServiceError
from core.exports import ExportColumn, ExportWorkbook
from core.text import clean_text, fold
from exams.models import OPTION_LETTERS, BankImport, Category, Question, QuestionKind
from exams.resources import COLUMN_BY_KEY, COLUMNS, HEADERS, KIND_LABELS, FormulaCell, QuestionResource, header_lookup
from exams.services.bank import (
    BankError,
    QuestionData,
    TermNames,
    duplicate_of,
    question_check,
    question_fingerprint,
    question_problems,
    question_save,
)
from exams.services.moodle import MoodleFileError, MoodleQuestion, moodle_read, moodle_write

logger = logging.getLogger(__name__)

MAX_BYTES = getattr(settings, "EXAM_BANK_MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
MAX_ROWS = 5000
MAX_LISTED_ERRORS = 1000
MAX_PREVIEW_ROWS = 500
HEADER_SEARCH_ROWS = 10
MAX_OPTION_LENGTH = 300  # Question.option_a … option_h
CATEGORY_PART_LENGTH = 60
REQUIRED_HEADERS = tuple(column.header for column in COLUMNS if column.required)
TEMPLATE_ROWS = 5000  # rows of the template that carry the drop-downs


class BankFileError(ServiceError):
    """The file as a whole cannot be used (wrong type, too large, no header); nothing was read."""


class BankImportStatus(models.TextChoices):
    CHECKED = "checked", gettext_lazy("检查通过，待确认导入")
    REJECTED = "rejected", gettext_lazy("有错误，未导入")
    IMPORTING = "importing", gettext_lazy("正在导入")
    IMPORTED = "imported", gettext_lazy("已导入")
    FAILED = "failed", gettext_lazy("导入失败")


class RowError(NamedTuple):
    """A bad cell: the sheet's row number (or the <question>'s position in a Moodle file), the
    column letter ("" for Moodle), the header (or the Moodle element) and what is wrong."""

    row: int
    letter: str
    header: str
    message: str


class SkippedQuestion(NamedTuple):
    """A question of a type we do not have: its position among the file's <question> elements."""

    number: int
    type: str
    name: str


class Problem(NamedTuple):
    field: str  # a BankError field
    message: str
    option: int | None = None  # which option, for field "options"


@dataclass
class PlannedQuestion:
    """A row that passed: what it creates (or created)."""

    row: int
    kind: str
    stem: str
    options: list[str]
    answer: str
    category: str
    difficulty: int
    new_category: bool

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "kind": self.kind, "kind_label": KIND_LABELS.get(self.kind, self.kind),
                "stem": self.stem, "options": [f"{OPTION_LETTERS[index]}. {option}" for index, option in
                                               enumerate(self.options)],
                "answer": self.answer, "category": self.category, "difficulty": self.difficulty,
                "new_category": self.new_category}


@dataclass
class BankFileResult:
    format: str
    create_categories: bool
    total: int = 0
    rows: list[PlannedQuestion] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: list[SkippedQuestion] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    new_categories: list[str] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict[str, Any]:
        return {
            "format": str(self.format), "total": self.total, "create": len(self.rows), "committed": self.committed,
            "create_categories": self.create_categories, "new_categories": self.new_categories,
            "notes": [{"row": row, "message": message} for row, message in self.notes[:MAX_LISTED_ERRORS]],
            "ignored_headers": self.ignored_headers, "error_count": len(self.errors),
            "preview": [row.as_dict() for row in self.rows[:MAX_PREVIEW_ROWS]],
        }

    def errors_json(self) -> list[dict[str, Any]]:
        return [error._asdict() for error in self.errors[:MAX_LISTED_ERRORS]]

    def skipped_json(self) -> list[dict[str, Any]]:
        return [skipped._asdict() for skipped in self.skipped]


def bank_format_of(name: str) -> str:
    """The format by the file's suffix: ``xlsx`` or ``moodle``."""
    suffix = PurePath(name or "").suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return BankImport.Format.XLSX
    if suffix == ".xml":
        return BankImport.Format.MOODLE
    raise BankFileError(_("只接受 .xlsx（题库模板）或 .xml（Moodle XML）文件"))


def size_limit_text() -> str:
    return f"{MAX_BYTES / (1024 * 1024):.1f}".removesuffix(".0")


# --- the checks every row goes through ---

def _category_parts(path: str) -> list[str]:
    # The same reading of a path as exams.services.bank.category_for_path.
    return [part.strip() for part in clean_text(path or "").replace("\\", "/").split("/") if part.strip()]


def options_problem_index(options: list[str]) -> int:
    """Which option a problem of the options is about: the first gap, the second of two equal
    options, or the missing A/B."""
    values = [clean_text(option or "") for option in options]
    filled = [index for index, value in enumerate(values) if value]
    if filled:
        gaps = [index for index in range(filled[-1]) if not values[index]]
        if gaps:
            return gaps[0]
    if len(filled) < 2:
        return 0 if not values or not values[0] else 1
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value and fold(value) in seen:
            return index
        seen.add(fold(value))
    return 0


class BankRowChecker:
    """The checks and the write of one file's rows, row by row, in file order.

    ``problems`` lists what is wrong with a row (all of it, not just the first thing); ``save``
    writes it through ``question_save``. Rows are remembered by fingerprint, so a second copy of a
    question in the same file is named as a duplicate of its row."""

    def __init__(self, *, actor: Any, create_categories: bool, duplicate_message: str) -> None:
        self.actor = actor
        self.create_categories = create_categories
        self.duplicate_message = duplicate_message
        self.known_categories = set(Category.objects.values_list("path", flat=True))
        self.new_categories: list[str] = []
        self.seen: dict[str, int] = {}
        self.planned: list[PlannedQuestion] = []
        self.factor_classes: dict[int, str] | None = None

    def option_of(self, data: QuestionData) -> int:
        return options_problem_index(data.options)

    def problems(self, data: QuestionData, *, row: int, skip: Collection[str] = ()) -> list[Problem]:
        """``skip``: fields already reported for this row (an unreadable cell), not checked again."""
        found: list[Problem] = []
        if "kind" not in skip:
            content = question_problems(data)
            found += [Problem(error.field, error.message, self.option_of(data) if error.field == "options" else None)
                      for error in content if error.field not in skip]
            found += self._long_options(data)
            if not content:
                found += self._duplicates(data, row=row)
        if "category" not in skip:
            found += self._category(data.category_path)
        if "hazard_factor" not in skip and "hazard_class" not in skip:
            found += self._hazard_pair(data)
        return found

    def _long_options(self, data: QuestionData) -> list[Problem]:
        if data.kind == QuestionKind.TRUE_FALSE:
            return []
        return [Problem("options", _("选项%(letter)s超过 %(limit)s 字") % {"letter": OPTION_LETTERS[index],
                                                                          "limit": MAX_OPTION_LENGTH}, index)
                for index, option in enumerate(data.options[:len(OPTION_LETTERS)])
                if len(clean_text(option or "")) > MAX_OPTION_LENGTH]

    def _duplicates(self, data: QuestionData, *, row: int) -> list[Problem]:
        stem, options, _answer = question_check(data)
        fingerprint = question_fingerprint(stem, options)
        if fingerprint in self.seen:
            return [Problem("stem", self.duplicate_message % {"row": self.seen[fingerprint]})]
        self.seen[fingerprint] = row
        existing = duplicate_of(fingerprint)
        if existing is not None:
            return [Problem("stem", _("与题库中已有的试题重复：%(stem)s") % {"stem": existing.stem[:40]})]
        return []

    def _category(self, path: str) -> list[Problem]:
        parts = _category_parts(path)
        if not parts:
            return []
        if any(len(part) > CATEGORY_PART_LENGTH for part in parts):
            return [Problem("category", _("分类名称过长（每级最多 %(limit)s 字）") % {"limit": CATEGORY_PART_LENGTH})]
        full = "/".join(parts)
        if full in self.known_categories or full in self.new_categories:
            return []
        if self.create_categories:
            self.new_categories.append(full)
            return []
        return [Problem("category", _("没有分类“%(path)s”：请先在题库分类中建立，或在导入时选择“自动建立文件中的新分类”")
                        % {"path": full})]

    def _hazard_pair(self, data: QuestionData) -> list[Problem]:
        if not (data.hazard_factor_id and data.hazard_class_code):
            return []
        if self.factor_classes is None:
            from orgs.models import HazardFactor

            self.factor_classes = dict(HazardFactor.objects.values_list("pk", "hazard_class_id"))
        if self.factor_classes.get(data.hazard_factor_id, data.hazard_class_code) != data.hazard_class_code:
            return [Problem("hazard_factor", _("危害因素不属于所填的危害因素类别"))]
        return []

    def save(self, data: QuestionData, *, row: int) -> Question:
        question = question_save(actor=self.actor, data=data, create_category=self.create_categories)
        path = question.category.path if question.category else ""
        answer = question.answer
        if question.kind == QuestionKind.TRUE_FALSE:
            answer = "对" if answer == "A" else "错"
        self.planned.append(PlannedQuestion(
            row=row, kind=question.kind, stem=question.stem, options=question.options, answer=answer, category=path,
            difficulty=question.difficulty, new_category=path in self.new_categories))
        return question


# --- xlsx ---

@dataclass
class _Sheet:
    letters: dict[str, str]  # canonical header -> column letter in the file
    rows: list[tuple[int, list[Any]]]  # (row number, values in HEADERS order)
    ignored: list[str]


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _is_blank(values: Iterable[Any]) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


def _header_positions(row: Iterable[Any]) -> tuple[dict[str, int], list[str]]:
    lookup = header_lookup()
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for position, cell in enumerate(row):
        if cell is None or not str(cell).strip():
            continue
        header = lookup.get(fold(str(cell)).upper())
        if header is None:
            ignored.append(str(cell).strip())
        elif header in positions:
            raise BankFileError(_("表头“%(header)s”出现了两次（第 %(letter)s 列）")
                                % {"header": header, "letter": column_letter(position)})
        else:
            positions[header] = position
    return positions, ignored


def _sheet_from(rows: Iterator[tuple[Any, ...]]) -> _Sheet | None:
    head = list(islice(rows, HEADER_SEARCH_ROWS))
    for index, header_row in enumerate(head):
        positions, ignored = _header_positions(header_row)
        if not {"题型", "题干"} <= positions.keys():
            continue
        missing = [header for header in REQUIRED_HEADERS if header not in positions]
        if missing:
            raise BankFileError(_("缺少必需的列：%(headers)s（请使用下载的模板）") % {"headers": "、".join(missing)})
        data: list[tuple[int, list[Any]]] = []
        number = index + 1
        for values in chain(head[index + 1:], rows):
            number += 1
            cells = [values[positions[header]] if header in positions and positions[header] < len(values) else None
                     for header in HEADERS]
            if _is_blank(cells):
                continue
            if len(data) >= MAX_ROWS:
                raise BankFileError(_("文件超过 %(limit)s 道题；请分成几个文件导入") % {"limit": MAX_ROWS})
            data.append((number, cells))
        return _Sheet({header: column_letter(position) for header, position in positions.items()}, data, ignored)
    return None


def _cell_values(cells: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(FormulaCell(str(getattr(cell.value, "text", cell.value))) if cell.data_type == "f" else cell.value
                 for cell in cells)


def _read_xlsx(content: bytes) -> _Sheet:
    from openpyxl import load_workbook

    unreadable = _("无法读取这个 Excel 文件，可能已损坏或加了密码；请另存为 .xlsx 后重试")
    if not content.startswith(b"PK\x03\x04"):
        raise BankFileError(unreadable)
    try:
        # Formulas as formulas (not their cached results), so a formula cell is named as one.
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as exc:  # a damaged workbook fails in openpyxl in many different ways
        raise BankFileError(unreadable) from exc
    try:
        for worksheet in workbook.worksheets:
            sheet = _sheet_from(_cell_values(row) for row in worksheet.iter_rows())
            if sheet is not None:
                if not sheet.rows:
                    raise BankFileError(_("文件里没有试题（表头下面是空的）"))
                return sheet
    except (ParseError, SyntaxError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, TypeError) as exc:
        if isinstance(exc, BankFileError):
            raise
        raise BankFileError(unreadable) from exc
    finally:
        workbook.close()
    raise BankFileError(_("在前 %(rows)s 行中找不到表头（至少要有“题型”“题干”“答案”三列）；请使用下载的模板")
                        % {"rows": HEADER_SEARCH_ROWS})


def _xlsx_check(content: bytes, *, actor: Any, create_categories: bool, commit: bool) -> BankFileResult:
    import tablib

    sheet = _read_xlsx(content)
    checker = BankRowChecker(actor=actor, create_categories=create_categories,
                             duplicate_message=_("与本文件第 %(row)s 行重复"))
    numbers = [number for number, _values in sheet.rows]
    resource = QuestionResource(checker=checker, terms=TermNames(), sheet_rows=numbers)
    dataset = tablib.Dataset(*[values for _number, values in sheet.rows], headers=list(HEADERS))
    outcome = resource.import_data(dataset, dry_run=not commit, use_transactions=True,
                                   rollback_on_validation_errors=True, raise_errors=False)
    result = BankFileResult(format=BankImport.Format.XLSX, create_categories=create_categories, total=len(numbers),
                            rows=checker.planned, new_categories=checker.new_categories, ignored_headers=sheet.ignored)
    headers = {resource.fields[key].attribute: COLUMN_BY_KEY[key].header for key in resource.fields}
    for invalid in outcome.invalid_rows:
        number = numbers[invalid.number - 1]
        for attribute, messages in invalid.error_dict.items():
            header = headers.get(attribute, "")
            for message in messages:
                result.errors.append(RowError(number, sheet.letters.get(header, ""), header, str(message)))
    for error_row in outcome.error_rows:
        for error in error_row.errors:
            logger.error("bank import: row %s failed", error_row.number, exc_info=error.error)
        result.errors.append(RowError(numbers[error_row.number - 1], "", "",
                                      _("这一行无法写入（内部错误），请联系平台管理员")))
    for base_error in outcome.base_errors:
        logger.error("bank import failed", exc_info=base_error.error)
        result.errors.append(RowError(0, "", "", _("文件无法导入（内部错误），请联系平台管理员")))
    columns = {header: position for position, header in enumerate(HEADERS)}
    result.errors.sort(key=lambda error: (error.row, columns.get(error.header, len(columns))))
    result.committed = commit and result.ok
    return result


# --- Moodle XML ---

MOODLE_ELEMENTS = {"kind": "question type", "stem": "questiontext", "options": "answer", "answer": "answer fraction",
                   "explanation": "generalfeedback", "category": "category", "difficulty": "tags", "dimension": "tags",
                   "hazard_class": "tags", "hazard_factor": "tags", "disease": "tags", "audiences": "tags"}
TAG_PREFIXES = ("difficulty", "dimension", "hazard_class", "hazard_factor", "disease", "audience")


def _moodle_data(question: MoodleQuestion, terms: TermNames) -> tuple[QuestionData, list[Problem]]:
    problems = [Problem(name, message) for name, message in question.problems]
    data = QuestionData(kind=question.kind, stem=question.stem, options=question.options, answer=question.answer,
                        explanation=question.explanation, category_path=question.category_path,
                        is_active=not question.hidden)
    for tag in question.tags:
        prefix, _colon, value = tag.partition(":")
        prefix = prefix.strip().lower()
        if prefix not in TAG_PREFIXES or not value.strip():
            continue  # Moodle's own tags mean nothing here
        try:
            if prefix == "difficulty":
                if value.strip() not in {"1", "2", "3", "4", "5"}:
                    raise BankError(_("标签 %(tag)s：难度应为 1–5 的整数") % {"tag": tag}, field="difficulty")
                data.difficulty = int(value)
            elif prefix == "dimension":
                data.dimension_code = terms.dimension(value)
            elif prefix == "hazard_class":
                data.hazard_class_code = terms.hazard_class(value)
            elif prefix == "hazard_factor":
                found = terms.hazard_factor(value)
                data.hazard_factor_id = found[0] if found else None
            elif prefix == "disease":
                data.disease_id = terms.disease(value)
            else:
                data.audience_codes = [*data.audience_codes, *(code for code in terms.audience_list(value)
                                                               if code not in data.audience_codes)]
        except BankError as error:
            problems.append(Problem(error.field, error.message))
    return data, problems


def _moodle_error(question: MoodleQuestion, problem: Problem) -> RowError:
    element = MOODLE_ELEMENTS.get(problem.field, "")
    message = f"{question.name}：{problem.message}" if question.name else problem.message
    return RowError(question.index, "", element, message)


def _moodle_check(content: bytes, *, actor: Any, create_categories: bool, commit: bool) -> BankFileResult:
    bank = moodle_read(content)
    if len(bank.questions) > MAX_ROWS:
        raise BankFileError(_("文件超过 %(limit)s 道题；请分成几个文件导入") % {"limit": MAX_ROWS})
    terms = TermNames()
    checker = BankRowChecker(actor=actor, create_categories=create_categories,
                             duplicate_message=_("与本文件第 %(row)s 题重复"))
    result = BankFileResult(format=BankImport.Format.MOODLE, create_categories=create_categories,
                            total=len(bank.questions), rows=checker.planned, new_categories=checker.new_categories,
                            skipped=[SkippedQuestion(*skipped) for skipped in bank.skipped])
    with transaction.atomic():
        for question in bank.questions:
            result.notes += [(question.index, note) for note in question.notes]
            data, problems = _moodle_data(question, terms)
            problems += checker.problems(data, row=question.index, skip={problem.field for problem in problems})
            if not problems:
                try:
                    checker.save(data, row=question.index)
                except BankError as error:
                    problems.append(Problem(error.field, error.message,
                                            checker.option_of(data) if error.field == "options" else None))
                except DatabaseError:
                    # question_save ran in its own savepoint: the rest of the file is still checked.
                    logger.exception("bank import: question %s failed", question.index)
                    problems.append(Problem("", _("这道题无法写入（内部错误），请联系平台管理员")))
            result.errors += [_moodle_error(question, problem) for problem in problems]
        # A dry run, or one bad question: nothing of this file stays.
        if not commit or result.errors:
            transaction.set_rollback(True)
    result.committed = commit and result.ok
    return result


# --- one file, either format ---

def bank_file_check(*, content: bytes, name: str, actor: Any = None, create_categories: bool = False,
                    commit: bool = False) -> BankFileResult:
    """Read and check a bank file; with ``commit``, also write it — all of it, or nothing when any
    row is bad. Raises BankFileError (or MoodleFileError) when the file as a whole is unusable."""
    file_format = bank_format_of(name)
    if len(content) > MAX_BYTES:
        raise BankFileError(_("文件超过 %(limit)s MB；请分成几个文件导入") % {"limit": size_limit_text()})
    if not content:
        raise BankFileError(_("文件是空的"))
    if file_format == BankImport.Format.XLSX:
        return _xlsx_check(content, actor=actor, create_categories=create_categories, commit=commit)
    return _moodle_check(content, actor=actor, create_categories=create_categories, commit=commit)


# --- the admin's flow: upload → check → preview → confirm ---

def _stored_content(bank_import: BankImport) -> bytes:
    with bank_import.file.open("rb") as stream:
        return stream.read(MAX_BYTES + 1)


def _outcome(result: BankFileResult, status: str) -> dict[str, Any]:
    return {"status": status, "summary": result.summary(), "errors": result.errors_json(),
            "skipped": result.skipped_json(), "progress_total": result.total, "progress_done": result.total,
            "message": "", "finished_at": timezone.now()}


def _record(bank_import: BankImport, **changes: Any) -> None:
    BankImport.objects.filter(pk=bank_import.pk).update(**changes)
    for name, value in changes.items():
        setattr(bank_import, name, value)


def _create_categories(bank_import: BankImport) -> bool:
    return bool((bank_import.summary or {}).get("create_categories"))


def bank_import_start(*, actor: Any, upload: File, create_categories: bool = False) -> BankImport:
    """Store an uploaded bank file and check it (a dry run) at once; the result is on the record."""
    name = PurePath(upload.name or "bank").name
    file_format = bank_format_of(name)
    size = upload.size or 0
    if size == 0:
        raise BankFileError(_("文件是空的"))
    if size > MAX_BYTES:
        raise BankFileError(_("文件超过 %(limit)s MB；请分成几个文件导入") % {"limit": size_limit_text()})
    bank_import = BankImport(format=file_format, original_name=name[:200],
                             created_by=actor if getattr(actor, "pk", None) else None,
                             language=translation.get_language() or settings.LANGUAGE_CODE,
                             summary={"create_categories": create_categories})
    bank_import.file.save(name, upload, save=False)
    bank_import.save()
    bank_import_check(bank_import=bank_import)
    return bank_import


def bank_import_check(*, bank_import: BankImport) -> BankFileResult | None:
    """Dry run of the stored file; the preview (rows, errors, skipped types) is stored on the record."""
    with translation.override(bank_import.language):
        try:
            result = bank_file_check(content=_stored_content(bank_import), name=bank_import.original_name,
                                     actor=bank_import.created_by, create_categories=_create_categories(bank_import))
        except (BankFileError, MoodleFileError) as exc:
            _record(bank_import, status=BankImportStatus.REJECTED, message=str(exc), finished_at=timezone.now(),
                    summary={"create_categories": _create_categories(bank_import), "format": bank_import.format})
            return None
        except Exception:
            logger.exception("bank import %s: check failed", bank_import.pk)
            _record(bank_import, status=BankImportStatus.FAILED, finished_at=timezone.now(),
                    message=_("检查时发生内部错误，请稍后重试或联系平台管理员"))
            return None
    _record(bank_import, **_outcome(result, BankImportStatus.CHECKED if result.ok else BankImportStatus.REJECTED))
    return result


def bank_import_confirm(*, actor: Any, bank_import: BankImport) -> BankImport:
    """Write a checked file. The file is checked again (the bank may have changed since the
    preview) and written all or nothing; a second confirm (a double click) writes nothing."""
    claimed = BankImport.objects.filter(pk=bank_import.pk, status=BankImportStatus.CHECKED).update(
        status=BankImportStatus.IMPORTING, claimed_at=timezone.now())
    if not claimed:
        raise BankFileError(_("只有检查通过、尚未导入的文件可以确认导入"))
    bank_import.status = BankImportStatus.IMPORTING
    writer = actor if getattr(actor, "pk", None) else bank_import.created_by
    with translation.override(bank_import.language):
        try:
            with transaction.atomic():
                result = bank_file_check(content=_stored_content(bank_import), name=bank_import.original_name,
                                         actor=writer, create_categories=_create_categories(bank_import), commit=True)
                status = BankImportStatus.IMPORTED if result.committed else BankImportStatus.REJECTED
                _record(bank_import, **_outcome(result, status))
                if result.committed:
                    audit(writer, "exams.bank.import", bank_import, data={
                        "format": bank_import.format, "file": bank_import.original_name, "created": len(result.rows),
                        "categories": result.new_categories, "skipped": len(result.skipped)})
        except (BankFileError, MoodleFileError) as exc:
            _record(bank_import, status=BankImportStatus.REJECTED, message=str(exc), finished_at=timezone.now())
        except Exception:
            logger.exception("bank import %s failed", bank_import.pk)
            _record(bank_import, status=BankImportStatus.FAILED, finished_at=timezone.now(),
                    message=_("导入时发生内部错误，未写入任何数据；请稍后重试"))
    return bank_import


# --- template and export ---

SHEET_COLUMNS = tuple(ExportColumn(column.header, column.width, text=column.key != "difficulty") for column in COLUMNS)
DATA_SHEET = "题库"
NOTES_SHEET = "填写说明"


def _data_sheet(workbook: ExportWorkbook) -> Any:
    from orgs.models import HazardClass, LiteracyDimension

    sheet = workbook.add_sheet(DATA_SHEET, SHEET_COLUMNS)
    keys = [column.key for column in COLUMNS]
    drop_downs = {
        "kind": list(KIND_LABELS.values()),
        "dimension": list(LiteracyDimension.objects.values_list("name", flat=True)),
        "hazard_class": list(HazardClass.objects.values_list("name", flat=True)),
        "is_active": ["是", "否"],
    }
    for key, values in drop_downs.items():
        if values:
            position = keys.index(key)
            sheet.sheet.data_validation(1, position, TEMPLATE_ROWS, position, {
                "validate": "list", "source": values, "error_title": COLUMN_BY_KEY[key].header,
                "error_message": _("请从下拉列表中选择")})
    position = keys.index("difficulty")
    sheet.sheet.data_validation(1, position, TEMPLATE_ROWS, position, {
        "validate": "integer", "criteria": "between", "minimum": 1, "maximum": 5,
        "error_title": "难度", "error_message": _("难度为 1–5 的整数")})
    return sheet


def _notes_sheet(workbook: ExportWorkbook) -> None:
    notes = workbook.add_sheet(NOTES_SHEET, (ExportColumn("列", 16), ExportColumn("说明", 90)))
    for column in COLUMNS:
        notes.write([column.header, column.hint])
    notes.write([])
    notes.write([_("示例"), _("下面三行是示例，可照此在“题库”表中填写（本表不会被导入）：")])
    notes.write(list(HEADERS[:12]))
    examples = (
        ["单选题", "用人单位应当为劳动者建立职业健康监护档案，并按照规定的期限妥善保存。该档案由谁负责建立？", "劳动者本人",
         "用人单位", "卫生健康部门", "", "", "", "", "", "B", "《职业病防治法》第三十六条"],
        ["多选题", "下列哪些属于个人使用的职业病防护用品？", "防尘口罩", "防噪声耳塞", "通风除尘设施", "防护手套", "", "", "", "",
         "ABD", "通风除尘设施属于职业病防护设施"],
        ["判断题", "劳动者有权拒绝从事存在职业病危害的作业。", "", "", "", "", "", "", "", "", "错",
         "劳动者有权拒绝在没有职业病防护措施下从事存在职业病危害的作业，而不是拒绝一切此类作业"],
    )
    notes.write_many(examples)
    notes.write([])
    notes.write(["提示", _("整份文件要么全部导入，要么一题也不导入：先检查并预览，所有问题改正后才能确认导入。")])
    notes.write(["提示", _("与题库中已有试题（题干和选项相同）或本文件其他行重复的试题会被指出，不会重复导入。")])
    notes.finish(autofilter=False)


def bank_template_write(stream: IO[bytes]) -> None:
    """The blank template: the headers, drop-downs for 题型 (and the catalogue columns), a notes
    sheet explaining each column with examples."""
    workbook = ExportWorkbook(stream, constant_memory=False)
    sheet = _data_sheet(workbook)
    sheet.finish()
    _notes_sheet(workbook)
    workbook.close()


def bank_export_questions(*, category: Category | None = None, active_only: bool = False) -> QuerySet[Question]:
    """The questions to export: all, or one category with its sub-categories."""
    questions = QuestionResource().get_queryset()
    if category is not None:
        questions = questions.filter(Q(category=category) | Q(category__path__startswith=category.path + "/"))
    if active_only:
        questions = questions.filter(is_active=True)
    return questions


def _audit_export(actor: Any, file_format: str, count: int, category: Category | None) -> None:
    # The export is of the bank as a whole, so the entry is on the question model itself.
    audit(actor, "exams.bank.export", ContentType.objects.get_for_model(Question),
          data={"format": file_format, "questions": count, "category": category.path if category else ""})


def bank_export_xlsx(*, actor: Any, stream: IO[bytes], category: Category | None = None,
                     active_only: bool = False) -> int:
    """The bank in the template's layout (re-importable), formulas neutralised by the writer."""
    dataset = QuestionResource().export(bank_export_questions(category=category, active_only=active_only))
    workbook = ExportWorkbook(stream, constant_memory=False)
    sheet = _data_sheet(workbook)
    sheet.write_many(dataset)
    sheet.finish()
    _notes_sheet(workbook)
    workbook.close()
    _audit_export(actor, BankImport.Format.XLSX, sheet.data_rows, category)
    return sheet.data_rows


def _moodle_question(question: Question) -> MoodleQuestion:
    tags = [f"difficulty:{question.difficulty}"]
    if question.dimension_id:
        tags.append(f"dimension:{question.dimension_id}")
    if question.hazard_class_id:
        tags.append(f"hazard_class:{question.hazard_class_id}")
    if question.hazard_factor:
        tags.append(f"hazard_factor:{question.hazard_factor.name}")
    if question.disease:
        tags.append(f"disease:{question.disease.name}")
    tags += [f"audience:{audience.code}" for audience in question.audiences.all()]
    answer = question.answer
    if question.kind == QuestionKind.TRUE_FALSE:
        answer = "对" if answer == "A" else "错"
    first_line = question.stem.split("\n", 1)[0]
    return MoodleQuestion(
        index=0, qtype="", name=first_line[:60], kind=question.kind, stem=question.stem,
        options=question.options if question.kind != QuestionKind.TRUE_FALSE else [], answer=answer,
        explanation=question.explanation, category_path=question.category.path if question.category else "",
        tags=tags, hidden=not question.is_active, idnumber=question.code)


def bank_export_moodle(*, actor: Any, category: Category | None = None, active_only: bool = False) -> tuple[str, int]:
    """The bank as Moodle XML (category questions, then their questions) and how many questions."""
    questions = [_moodle_question(question) for question in
                 bank_export_questions(category=category, active_only=active_only)]
    text = "".join(moodle_write(questions))
    _audit_export(actor, BankImport.Format.MOODLE, len(questions), category)
    return text, len(questions)
