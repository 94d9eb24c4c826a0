"""The question bank as a django-import-export resource: the xlsx template Chinese exam systems use.

Columns: 题型, 题干, 选项A–H, 答案, 解析, 分类, 难度, and the optional tags 素养维度, 危害因素类别,
危害因素, 适用对象, 启用. Each widget turns one cell into a value or raises ``ValueError`` with a message
for that cell, so import-export reports every bad cell of a row under its column; the rules a
question must keep (the answer among the options, one answer for a single choice, duplicates…)
are checked by ``exams.services.bank_files.BankRowChecker`` and every question is written through
``exams.services.bank.question_save``. The resource never saves a model itself.

Language: the workbook is a file format read back by this importer, so its headers and cell words
(单选题, 对/错, 是/否) stay in Chinese whatever the interface language is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from core.text import ascii_int, fold
from exams.models import OPTION_LETTERS, Question, QuestionKind
from exams.services.bank import FALSE_WORDS, TRUE_WORDS, BankError, QuestionData, TermNames

if TYPE_CHECKING:
    from exams.services.bank_files import BankRowChecker

KIND_LABELS: dict[str, str] = {QuestionKind.SINGLE: "单选题", QuestionKind.MULTIPLE: "多选题", QuestionKind.TRUE_FALSE: "判断题"}
# What other exam systems and people write in 题型.
KIND_WORDS = {
    **{word: QuestionKind.SINGLE for word in ("单选题", "单选", "单项选择题", "单项选择", "单择题", "SINGLE", "单选择题")},
    **{word: QuestionKind.MULTIPLE for word in ("多选题", "多选", "多项选择题", "多项选择", "不定项选择题", "不定项", "MULTIPLE")},
    **{word: QuestionKind.TRUE_FALSE for word in ("判断题", "判断", "是非题", "对错题", "TRUEFALSE", "TRUE/FALSE")},
}
ACTIVE_WORDS = {"是": True, "启用": True, "Y": True, "YES": True, "TRUE": True, "1": True,
                "否": False, "停用": False, "N": False, "NO": False, "FALSE": False, "0": False}
AUDIENCE_SEPARATOR = "、"
_FORMULA_GUARDED = ("'=", "'+", "'-", "'@")


def _words(words: set[str], canonical: str) -> str:
    """The accepted words, the canonical one first, then the Chinese and symbols, then letters."""
    return "、".join(sorted(words, key=lambda word: (word != canonical, word.isascii(), word)))


# The template's notes list exactly the words answer_normalise accepts, so the two cannot drift.
TRUE_FALSE_HINT = (f"判断题：{_words(TRUE_WORDS, '对')} 都表示“对”；{_words(FALSE_WORDS, '错')} 都表示“错”"
                   "（字母不分大小写）")


@dataclass(frozen=True)
class FormulaCell:
    """A cell holding a formula. The importer reads what a cell says, never what a formula would
    compute (a file written by a program has no computed value at all), so it is refused."""

    formula: str

    def __str__(self) -> str:
        return self.formula


@dataclass(frozen=True)
class BankColumn:
    key: str  # the resource field
    header: str
    hint: str  # for the template's notes sheet (Chinese: the sheet is part of the file format)
    required: bool = False
    aliases: tuple[str, ...] = ()
    width: int = 14


OPTION_KEYS = tuple(f"option_{letter.lower()}" for letter in OPTION_LETTERS)
COLUMNS: tuple[BankColumn, ...] = (
    BankColumn("kind", "题型", "必填：单选题、多选题 或 判断题（可从下拉列表选择）", True, ("试题类型", "题目类型", "类型"), 10),
    BankColumn("stem", "题干", "必填：题目的文字，可换行", True, ("题目", "试题内容", "题目内容", "试题"), 48),
    *(BankColumn(key, f"选项{letter}",
                 "单选题、多选题至少填 A、B 两项，按顺序填写，中间不留空；判断题不填" if letter == "A" else
                 ("选填；不用的选项留空" if letter != "B" else "同选项A"),
                 aliases=(letter, f"{letter}选项"), width=20)
      for key, letter in zip(OPTION_KEYS, OPTION_LETTERS, strict=True)),
    BankColumn("answer", "答案", f"必填：选项字母，如 B 或 ABD（多选题至少两个）；{TRUE_FALSE_HINT}", True,
               ("正确答案", "标准答案", "参考答案"), 10),
    BankColumn("explanation", "解析", "选填：答题后给劳动者看的解析", aliases=("答案解析", "试题解析"), width=36),
    BankColumn("category", "分类", "选填：题库分类，用 / 分隔上下级，例如 法律法规/职业病防治法；"
               "没有的分类默认报错，导入时勾选“自动建立新分类”才会建立", aliases=("试题分类", "题库分类", "知识点"), width=24),
    BankColumn("difficulty", "难度", "选填：1–5 的整数，1 最易、5 最难；不填为 3", aliases=("难易度", "难易程度"), width=8),
    BankColumn("dimension", "素养维度", "选填：职业健康素养的维度（名称或代码）", aliases=("维度",), width=18),
    BankColumn("hazard_class", "危害因素类别", "选填：粉尘、化学因素、物理因素、放射性因素、生物因素 或 其他因素",
               aliases=("危害类别",), width=14),
    BankColumn("hazard_factor", "危害因素", "选填：《职业病危害因素分类目录》中的名称或常用名，例如 煤尘、噪声", width=16),
    BankColumn("disease", "职业病", "选填：《职业病分类和目录》现行版中的病名，例如 噪声聋、矽肺", aliases=("相关职业病",),
               width=16),
    BankColumn("audiences", "适用对象", "选填：主要负责人、管理人员、劳动者、公众，多个用 、 或 , 分隔", width=18),
    BankColumn("is_active", "启用", "选填：是 或 否；不填为 是（停用的试题不会被抽到）", aliases=("是否启用",), width=8),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
HEADERS = tuple(column.header for column in COLUMNS)
# BankError.field (and the checker's fields) → the resource field whose column it is about.
FIELD_KEYS = {"kind": "kind", "stem": "stem", "answer": "answer", "explanation": "explanation", "category": "category",
              "difficulty": "difficulty", "dimension": "dimension", "hazard_class": "hazard_class",
              "hazard_factor": "hazard_factor", "disease": "disease", "audiences": "audiences"}


def header_lookup() -> dict[str, str]:
    """Folded, upper-cased header or alias → canonical header."""
    lookup: dict[str, str] = {}
    for column in COLUMNS:
        for word in (column.header, *column.aliases):
            lookup[fold(word).upper()] = column.header
    return lookup


@dataclass
class BankRow:
    """One row of the sheet as the resource reads it: import-export sets these attributes, one
    per column, and the row becomes a ``QuestionData`` for the checker and ``question_save``."""

    kind: str = ""
    stem: str = ""
    option_a: str = ""
    option_b: str = ""
    option_c: str = ""
    option_d: str = ""
    option_e: str = ""
    option_f: str = ""
    option_g: str = ""
    option_h: str = ""
    answer: str = ""
    explanation: str = ""
    category_path: str = ""
    difficulty: int = 3
    dimension_code: str = ""
    hazard_class_code: str = ""
    hazard_factor_id: int | None = None
    disease_id: int | None = None
    audience_codes: list[str] = field(default_factory=list)
    is_active: bool = True
    number: int = 0  # the row number the spreadsheet shows

    def data(self) -> QuestionData:
        return QuestionData(
            kind=self.kind, stem=self.stem, options=[getattr(self, key) for key in OPTION_KEYS], answer=self.answer,
            explanation=self.explanation, category_path=self.category_path, difficulty=self.difficulty,
            dimension_code=self.dimension_code, hazard_class_code=self.hazard_class_code,
            hazard_factor_id=self.hazard_factor_id, disease_id=self.disease_id, audience_codes=list(self.audience_codes),
            is_active=self.is_active)


def cell_text(value: Any) -> str:
    """A cell as text: Excel's numbers without a trailing .0, dates as 2024-03-01, and the
    apostrophe our own export puts before formula-like text (core.exports.spreadsheet_safe) taken
    off again, so an exported bank imports back unchanged. A formula raises ValueError."""
    if value is None:
        return ""
    if isinstance(value, FormulaCell):
        # ValueError: import-export reports it under this cell's column.
        raise ValueError(_("不支持公式：这个单元格是公式 %(formula)s，请直接填写内容（不要以 = 开头）")
                         % {"formula": value.formula[:60]})
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    text = str(value).strip()
    if text.startswith(_FORMULA_GUARDED):
        text = text[1:]
    return text


class TextWidget(widgets.CharWidget):
    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> str:
        return cell_text(value)


class AnswerWidget(TextWidget):
    """Excel turns a typed TRUE / FALSE into a boolean cell: for 判断题 that is 对 / 错."""

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> str:
        if isinstance(value, bool):
            return "对" if value else "错"
        return super().clean(value, row, **kwargs)


class KindWidget(widgets.Widget):
    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> str:
        word = fold(cell_text(value)).upper()
        if not word:
            raise ValueError(_("题型为空（可填：单选题、多选题、判断题）"))
        kind = KIND_WORDS.get(word) or (word.lower() if word.lower() in QuestionKind.values else None)
        if kind is None:
            raise ValueError(_("不认识的题型“%(kind)s”（可填：单选题、多选题、判断题）") % {"kind": cell_text(value)})
        return str(kind)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return KIND_LABELS.get(value, value or "")


class DifficultyWidget(widgets.Widget):
    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> int:
        text = fold(cell_text(value))
        if not text:
            return 3
        number = ascii_int(text)
        if number is None or not 1 <= number <= 5:
            raise ValueError(_("难度应为 1–5 的整数，而不是“%(value)s”") % {"value": cell_text(value)})
        return number


class ActiveWidget(widgets.Widget):
    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> bool:
        word = fold(cell_text(value)).upper()
        if not word:
            return True
        if word not in ACTIVE_WORDS:
            raise ValueError(_("“启用”应填 是 或 否，而不是“%(value)s”") % {"value": cell_text(value)})
        return ACTIVE_WORDS[word]


class TermWidget(widgets.Widget):
    """A catalogue term (素养维度, 危害因素类别, 危害因素, 适用对象) by name, code or alias."""

    def __init__(self, lookup: str) -> None:
        super().__init__()
        self.lookup = lookup
        self.terms: TermNames | None = None

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        if self.terms is None:
            raise RuntimeError("TermWidget used without its catalogue")
        text = cell_text(value)
        # BankError is a ValueError: import-export reports it under this column.
        if self.lookup == "hazard_factor":
            found = self.terms.hazard_factor(text)
            return found[0] if found else None
        return getattr(self.terms, self.lookup)(text)


class QuestionResource(resources.ModelResource):
    """Reads the template's rows (import) and writes questions in the same layout (export)."""

    kind = fields.Field(attribute="kind", column_name="题型", widget=KindWidget())
    stem = fields.Field(attribute="stem", column_name="题干", widget=TextWidget())
    option_a = fields.Field(attribute="option_a", column_name="选项A", widget=TextWidget())
    option_b = fields.Field(attribute="option_b", column_name="选项B", widget=TextWidget())
    option_c = fields.Field(attribute="option_c", column_name="选项C", widget=TextWidget())
    option_d = fields.Field(attribute="option_d", column_name="选项D", widget=TextWidget())
    option_e = fields.Field(attribute="option_e", column_name="选项E", widget=TextWidget())
    option_f = fields.Field(attribute="option_f", column_name="选项F", widget=TextWidget())
    option_g = fields.Field(attribute="option_g", column_name="选项G", widget=TextWidget())
    option_h = fields.Field(attribute="option_h", column_name="选项H", widget=TextWidget())
    answer = fields.Field(attribute="answer", column_name="答案", widget=AnswerWidget())
    explanation = fields.Field(attribute="explanation", column_name="解析", widget=TextWidget())
    category = fields.Field(attribute="category_path", column_name="分类", widget=TextWidget())
    difficulty = fields.Field(attribute="difficulty", column_name="难度", widget=DifficultyWidget())
    dimension = fields.Field(attribute="dimension_code", column_name="素养维度", widget=TermWidget("dimension"))
    hazard_class = fields.Field(attribute="hazard_class_code", column_name="危害因素类别", widget=TermWidget("hazard_class"))
    hazard_factor = fields.Field(attribute="hazard_factor_id", column_name="危害因素", widget=TermWidget("hazard_factor"))
    disease = fields.Field(attribute="disease_id", column_name="职业病", widget=TermWidget("disease"))
    audiences = fields.Field(attribute="audience_codes", column_name="适用对象", widget=TermWidget("audience_list"))
    is_active = fields.Field(attribute="is_active", column_name="启用", widget=ActiveWidget())

    class Meta:
        model = Question
        fields = tuple(column.key for column in COLUMNS)
        export_order = fields
        import_order = fields
        # Every row is a new question: duplicates are refused by the checker, never merged.
        force_init_instance = True
        skip_diff = True
        skip_html_diff = True
        clean_model_instances = False
        use_transactions = True

    def __init__(self, *, checker: BankRowChecker | None = None, terms: TermNames | None = None,
                 sheet_rows: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.checker = checker
        self.sheet_rows = sheet_rows or []
        # self.fields is this instance's copy: the catalogue never leaks into another resource.
        for key in ("dimension", "hazard_class", "hazard_factor", "disease", "audiences"):
            self.fields[key].widget.terms = terms
        self.attribute_keys = {bank_field.attribute: key for key, bank_field in self.fields.items()}

    # --- import ---

    def init_instance(self, row: dict[str, Any] | None = None) -> BankRow:  # type: ignore[override]
        return BankRow()

    def after_init_instance(self, instance: BankRow, new: bool, row: dict[str, Any], **kwargs: Any) -> None:
        number = kwargs.get("row_number", 0)
        instance.number = self.sheet_rows[number - 1] if 0 < number <= len(self.sheet_rows) else number

    def validate_instance(self, instance: BankRow, import_validation_errors: dict[str, Any] | None = None,
                          validate_unique: bool = True) -> None:
        """The cells' own errors (import_validation_errors) plus the rules of a question."""
        errors: dict[str, list[Any]] = {key: list(value) for key, value in (import_validation_errors or {}).items()}
        if self.checker is None:
            raise RuntimeError("QuestionResource imports need a checker")
        unreadable = set(errors)
        bad_keys = {self.attribute_keys.get(attribute, attribute) for attribute in errors}
        for problem in self.checker.problems(instance.data(), row=instance.number, skip=bad_keys):
            attribute = self.problem_attribute(problem.field, problem.option)
            if attribute in unreadable:
                continue  # a cell that could not be read is named once, for what is wrong with it
            errors.setdefault(attribute, []).append(ValidationError(problem.message))
        if errors:
            raise ValidationError(errors)

    def problem_attribute(self, bank_field: str, option: int | None) -> str:
        if bank_field == "options":
            return OPTION_KEYS[option if option is not None and option < len(OPTION_KEYS) else 0]
        key = FIELD_KEYS.get(bank_field)
        return self.fields[key].attribute if key else NON_FIELD_ERRORS

    def save_instance(self, instance: BankRow, is_create: bool, row: dict[str, Any], **kwargs: Any) -> None:
        # Also in a dry run: import-export rolls the whole run back, and saving for real is the
        # only way the preview sees what the commit would do (later rows see earlier ones).
        assert self.checker is not None
        try:
            self.checker.save(instance.data(), row=instance.number)
        except BankError as error:
            option = self.checker.option_of(instance.data()) if error.field == "options" else None
            raise ValidationError({self.problem_attribute(error.field, option): [error.message]}) from error

    def save_m2m(self, instance: Any, row: dict[str, Any], **kwargs: Any) -> None:
        """question_save sets the audiences."""

    def after_import(self, dataset: Any, result: Any, **kwargs: Any) -> None:
        """No sequence reset: ids come from the database."""

    # --- export ---

    def get_queryset(self) -> QuerySet[Question]:
        return Question.objects.select_related("category", "dimension", "hazard_class", "hazard_factor", "disease") \
            .prefetch_related("audiences").order_by("category__path", "pk")

    def dehydrate_answer(self, question: Question) -> str:
        if question.kind == QuestionKind.TRUE_FALSE:
            return "对" if question.answer == "A" else "错"
        return question.answer

    def dehydrate_category(self, question: Question) -> str:
        return question.category.path if question.category else ""

    def dehydrate_difficulty(self, question: Question) -> int:
        return question.difficulty

    def dehydrate_dimension(self, question: Question) -> str:
        return question.dimension.name if question.dimension else ""

    def dehydrate_hazard_class(self, question: Question) -> str:
        return question.hazard_class.name if question.hazard_class else ""

    def dehydrate_hazard_factor(self, question: Question) -> str:
        return question.hazard_factor.name if question.hazard_factor else ""

    def dehydrate_disease(self, question: Question) -> str:
        return question.disease.name if question.disease else ""

    def dehydrate_audiences(self, question: Question) -> str:
        return AUDIENCE_SEPARATOR.join(audience.name for audience in question.audiences.all())

    def dehydrate_is_active(self, question: Question) -> str:
        return "是" if question.is_active else "否"
