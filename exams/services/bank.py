"""The question bank: checking a question, saving it, and freezing each change into a version.

Every write to a question goes through ``question_save`` (the admin, both importers, the demo), so
a question is checked the same way wherever it comes from.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ServiceError
from core.text import clean_text, fold, prose
from exams.models import OPTION_LETTERS, Category, Question, QuestionKind, QuestionVersion

TRUE_FALSE_OPTIONS = ("正确", "错误")
# What people type for true / false in a bank file or the admin.
TRUE_WORDS = {"对", "正确", "是", "√", "✓", "T", "TRUE", "Y", "A"}
FALSE_WORDS = {"错", "错误", "否", "×", "✗", "F", "FALSE", "N", "B"}
MAX_OPTIONS = len(OPTION_LETTERS)
# A question is read on a phone, often aloud: longer than this is a text, not a question.
MAX_STEM_LENGTH = 1000
MAX_EXPLANATION_LENGTH = 3000
CONTENT_FIELDS = ("kind", "stem", "image_id", "options", "answer", "explanation")


class BankError(ServiceError):
    pass


@dataclass
class QuestionData:
    """A question as it arrives from a form or a file, before it is checked."""

    kind: str
    stem: str
    options: list[str]
    answer: str
    explanation: str = ""
    category_path: str = ""
    difficulty: int = 3
    dimension_code: str = ""
    hazard_class_code: str = ""
    hazard_factor_id: int | None = None
    disease_id: int | None = None
    audience_codes: list[str] = field(default_factory=list)
    image_id: int | None = None
    is_active: bool = True


def answer_normalise(kind: str, raw: str) -> str:
    """The answer as sorted option letters ("ABD"); true/false becomes A (正确) or B (错误).
    Raises BankError naming what is wrong with it."""
    text = fold(raw or "").upper().replace(",", "").replace("，", "").replace(" ", "").replace("、", "")
    if not text:
        raise BankError(_("答案为空"), field="answer")
    if kind == QuestionKind.TRUE_FALSE:
        if text in TRUE_WORDS:
            return "A"
        if text in FALSE_WORDS:
            return "B"
        raise BankError(_("判断题的答案应为 对 或 错，而不是 %(value)s") % {"value": raw}, field="answer")
    letters = sorted(set(text))
    bad = [letter for letter in letters if letter not in OPTION_LETTERS]
    if bad:
        raise BankError(_("答案 %(value)s 含有不是选项字母的字符") % {"value": raw}, field="answer")
    return "".join(letters)


def options_clean(kind: str, options: list[str]) -> list[str]:
    if kind == QuestionKind.TRUE_FALSE:
        return list(TRUE_FALSE_OPTIONS)
    values = [prose(option or "") for option in options]
    while values and not values[-1]:
        values.pop()
    if "" in values:
        letter = OPTION_LETTERS[values.index("")]
        raise BankError(_("选项%(letter)s为空，但后面还有选项") % {"letter": letter}, field="options")
    if len(values) < 2:
        raise BankError(_("至少需要 2 个选项"), field="options")
    if len(values) > MAX_OPTIONS:
        raise BankError(_("最多 8 个选项（A–H）"), field="options")
    folded = [fold(value) for value in values]
    if len(set(folded)) != len(folded):
        raise BankError(_("有两个选项的内容相同"), field="options")
    return values


def question_check(data: QuestionData) -> tuple[str, list[str], str]:
    """Check kind, stem, options and answer together; returns (stem, options, answer) cleaned."""
    if data.kind not in QuestionKind.values:
        raise BankError(_("不认识的题型 %(kind)s（可用：单选题、多选题、判断题）") % {"kind": data.kind}, field="kind")
    stem = prose(data.stem or "")
    if not stem:
        raise BankError(_("题干为空"), field="stem")
    if len(stem) > MAX_STEM_LENGTH:
        raise BankError(_("题干过长（最多 %(limit)s 字）") % {"limit": MAX_STEM_LENGTH}, field="stem")
    if len(data.explanation or "") > MAX_EXPLANATION_LENGTH:
        raise BankError(_("解析过长（最多 %(limit)s 字）") % {"limit": MAX_EXPLANATION_LENGTH}, field="explanation")
    options = options_clean(data.kind, data.options)
    answer = answer_normalise(data.kind, data.answer)
    outside = [letter for letter in answer if OPTION_LETTERS.index(letter) >= len(options)]
    if outside:
        raise BankError(
            _("答案 %(answer)s 不在选项中（本题只有 A–%(last)s）") % {"answer": answer, "last": OPTION_LETTERS[len(options) - 1]},
            field="answer",
        )
    if data.kind == QuestionKind.SINGLE and len(answer) != 1:
        raise BankError(_("单选题只能有一个答案，而这里是 %(answer)s") % {"answer": answer}, field="answer")
    if data.kind == QuestionKind.MULTIPLE and len(answer) < 2:
        raise BankError(_("多选题至少有两个正确答案；只有一个答案请改为单选题"), field="answer")
    if not 1 <= int(data.difficulty) <= 5:
        raise BankError(_("难度应为 1–5 的整数"), field="difficulty")
    return stem, options, answer


def question_fingerprint(stem: str, options: list[str]) -> str:
    """Same stem and the same set of options, whatever the order or spacing, is the same question."""
    normal = "\u241f".join([fold(stem).replace(" ", ""), *sorted(fold(option).replace(" ", "") for option in options)])
    return hashlib.sha256(normal.encode()).hexdigest()


def category_for_path(path: str, *, create: bool) -> Category | None:
    """The category at ``path`` (its parents made too when ``create``); None for an empty path."""
    parts = [part.strip() for part in clean_text(path or "").replace("\\", "/").split("/") if part.strip()]
    if not parts:
        return None
    if any(len(part) > 60 for part in parts):
        raise BankError(_("分类名称过长（每级最多 60 字）"), field="category")
    full = "/".join(parts)
    existing = Category.objects.filter(path=full).first()
    if existing or not create:
        if existing is None:
            raise BankError(_("没有分类“%(path)s”") % {"path": full}, field="category")
        return existing
    category = None
    for depth in range(1, len(parts) + 1):
        category, _created = Category.objects.get_or_create(
            path="/".join(parts[:depth]), defaults={"name": parts[depth - 1], "depth": depth})
    return category


def _resolve_terms(data: QuestionData) -> dict[str, Any]:
    from orgs.models import Audience, HazardClass, HazardFactor, LiteracyDimension, OccupationalDisease

    values: dict[str, Any] = {"dimension": None, "hazard_class": None, "hazard_factor": None, "disease": None,
                              "audiences": []}
    if data.dimension_code:
        values["dimension"] = LiteracyDimension.objects.filter(code=data.dimension_code).first()
        if values["dimension"] is None:
            raise BankError(_("没有素养维度 %(code)s") % {"code": data.dimension_code}, field="dimension")
    if data.hazard_factor_id:
        values["hazard_factor"] = HazardFactor.objects.filter(pk=data.hazard_factor_id).select_related("hazard_class").first()
        if values["hazard_factor"] is None:
            raise BankError(_("没有这个危害因素"), field="hazard_factor")
        values["hazard_class"] = values["hazard_factor"].hazard_class
    if data.hazard_class_code:
        hazard_class = HazardClass.objects.filter(code=data.hazard_class_code).first()
        if hazard_class is None:
            raise BankError(_("没有危害因素类别 %(code)s") % {"code": data.hazard_class_code}, field="hazard_class")
        if values["hazard_factor"] is not None and values["hazard_factor"].hazard_class_id != hazard_class.pk:
            raise BankError(_("危害因素不属于所选类别"), field="hazard_factor")
        values["hazard_class"] = hazard_class
    if data.disease_id:
        values["disease"] = OccupationalDisease.objects.filter(pk=data.disease_id).first()
        if values["disease"] is None:
            raise BankError(_("没有这个职业病"), field="disease")
    if data.audience_codes:
        audiences = list(Audience.objects.filter(code__in=data.audience_codes))
        missing = set(data.audience_codes) - {audience.code for audience in audiences}
        if missing:
            raise BankError(_("没有适用对象 %(codes)s") % {"codes": "、".join(sorted(missing))}, field="audiences")
        values["audiences"] = audiences
    return values


def duplicate_of(fingerprint: str, *, exclude_pk: int | None = None) -> Question | None:
    queryset = Question.objects.filter(fingerprint=fingerprint)
    if exclude_pk:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.first()


@transaction.atomic
def question_save(*, actor: Any, data: QuestionData, question: Question | None = None,
                  create_category: bool = False, audit_action: bool = True) -> Question:
    """Create a question, or change one; a change of content makes a new version, a change of tags
    or the active flag does not (they never alter what a worker saw or how it was graded)."""
    stem, options, answer = question_check(data)
    fingerprint = question_fingerprint(stem, options)
    duplicate = duplicate_of(fingerprint, exclude_pk=question.pk if question else None)
    if duplicate is not None:
        raise BankError(_("与已有试题重复：%(stem)s") % {"stem": duplicate.stem[:40]}, field="stem")
    category = category_for_path(data.category_path, create=create_category)
    terms = _resolve_terms(data)
    creating = question is None
    if question is None:
        question = Question(created_by=actor if getattr(actor, "pk", None) else None)
    question.kind = data.kind
    question.stem = stem
    question.image_id = data.image_id
    for index, letter in enumerate(OPTION_LETTERS):
        setattr(question, f"option_{letter.lower()}", options[index] if index < len(options) else "")
    question.answer = answer
    question.explanation = prose(data.explanation or "")
    question.category = category
    question.difficulty = int(data.difficulty)
    question.dimension = terms["dimension"]
    question.hazard_class = terms["hazard_class"]
    question.hazard_factor = terms["hazard_factor"]
    question.disease = terms["disease"]
    question.is_active = data.is_active
    question.fingerprint = fingerprint
    question.save()
    question.audiences.set(terms["audiences"])
    version = question.current_version
    content = {"kind": question.kind, "stem": stem, "image_id": question.image_id, "options": options,
               "answer": answer, "explanation": question.explanation}
    if version is None or any(getattr(version, name) != content[name] for name in CONTENT_FIELDS):
        number = (version.number if version else 0) + 1
        version = QuestionVersion.objects.create(question=question, number=number, created_by=question.created_by
                                                 if creating else (actor if getattr(actor, "pk", None) else None),
                                                 **content)
        question.current_version = version
        question.save(update_fields=["current_version"])
    if audit_action:
        audit(actor, "exams.question.create" if creating else "exams.question.edit", question,
              data={"version": version.number})
    return question


def question_data_from(question: Question) -> QuestionData:
    """The question's present content as QuestionData (for an edit that changes one thing)."""
    return QuestionData(
        kind=question.kind, stem=question.stem, options=question.options, answer=question.answer,
        explanation=question.explanation, category_path=question.category.path if question.category else "",
        difficulty=question.difficulty, dimension_code=question.dimension_id or "",
        hazard_class_code=question.hazard_class_id or "", hazard_factor_id=question.hazard_factor_id,
        disease_id=question.disease_id, audience_codes=[audience.code for audience in question.audiences.all()], image_id=question.image_id,
        is_active=question.is_active,
    )


def question_set_active(*, actor: Any, question: Question, active: bool) -> Question:
    question.is_active = active
    question.save(update_fields=["is_active", "updated_at"])
    audit(actor, "exams.question.edit", question, data={"active": active})
    return question


# --- Helpers for the bank files (exams.services.bank_files): additive, the functions above are unchanged. ---

def question_problems(data: QuestionData) -> list[BankError]:
    """Every problem of a question's content rather than the first: a bank file names all of a
    row's problems at once. ``question_check`` stops at the first one and checks the stem before
    the options and the answer, so after a stem problem the rest is checked with a stand-in stem."""
    try:
        question_check(data)
    except BankError as error:
        problems = [error]
        if error.field == "stem":
            try:
                question_check(replace(data, stem="-"))
            except BankError as more:
                problems.append(more)
        return problems
    return []


_TERM_SEPARATORS = re.compile(r"[、,，;；|\s]+")


def _term_index(pairs: Any) -> dict[str, str]:
    """Folded code and folded name → code, so 素养维度 may be written ``law`` or 职业健康法律知识."""
    index: dict[str, str] = {}
    for code, name in pairs:
        index[fold(code).lower()] = code
        index[fold(name)] = code
    return index


class TermNames:
    """The catalogue terms a bank file may name — by code or by name, hazard factors also by one of
    their aliases — read once per file (the catalogues are small), so a long file costs no query per row."""

    def __init__(self) -> None:
        from orgs.models import Audience, HazardClass, LiteracyDimension
        from orgs.selectors import disease_words, hazard_factor_words

        self.dimensions = _term_index(LiteracyDimension.objects.values_list("code", "name"))
        self.hazard_classes = _term_index(HazardClass.objects.values_list("code", "name"))
        self.audiences = _term_index(Audience.objects.values_list("code", "name"))
        self.dimension_names = list(LiteracyDimension.objects.values_list("name", flat=True))
        self.hazard_class_names = list(HazardClass.objects.values_list("name", flat=True))
        self.audience_names = list(Audience.objects.values_list("name", flat=True))
        self.factors = hazard_factor_words()
        self.diseases = disease_words()

    @staticmethod
    def _find(index: dict[str, str], value: str) -> str | None:
        folded = fold(value)
        return index.get(folded) or index.get(folded.lower())

    def dimension(self, value: str) -> str:
        """The code of 素养维度 ``value`` ("" for an empty cell)."""
        if not clean_text(value):
            return ""
        code = self._find(self.dimensions, value)
        if code is None:
            raise BankError(_("没有素养维度“%(value)s”（可填：%(names)s）")
                            % {"value": clean_text(value), "names": "、".join(self.dimension_names)}, field="dimension")
        return code

    def hazard_class(self, value: str) -> str:
        if not clean_text(value):
            return ""
        code = self._find(self.hazard_classes, value)
        if code is None:
            raise BankError(_("没有危害因素类别“%(value)s”（可填：%(names)s）")
                            % {"value": clean_text(value), "names": "、".join(self.hazard_class_names)},
                            field="hazard_class")
        return code

    def hazard_factor(self, value: str) -> tuple[int, str] | None:
        """(id, hazard class code) of the factor named ``value`` by its catalogue name or an alias."""
        if not clean_text(value):
            return None
        found = self.factors.get(fold(value))
        if found is None:
            raise BankError(_("《职业病危害因素分类目录》中没有“%(value)s”") % {"value": clean_text(value)},
                            field="hazard_factor")
        return found

    def disease(self, value: str) -> int | None:
        """The id of the disease named ``value`` in the edition of 《职业病分类和目录》 in force."""
        if not clean_text(value):
            return None
        found = self.diseases.get(fold(value))
        if found is None:
            raise BankError(_("现行《职业病分类和目录》中没有“%(value)s”") % {"value": clean_text(value)}, field="disease")
        return found

    def audience_list(self, value: str) -> list[str]:
        """Codes of the audiences in ``value``, separated by 、 or a comma."""
        words = [word for word in _TERM_SEPARATORS.split(clean_text(value)) if word]
        codes: list[str] = []
        unknown: list[str] = []
        for word in words:
            code = self._find(self.audiences, word)
            if code is None:
                unknown.append(word)
            elif code not in codes:
                codes.append(code)
        if unknown:
            raise BankError(_("没有适用对象“%(value)s”（可填：%(names)s）")
                            % {"value": "、".join(unknown), "names": "、".join(self.audience_names)}, field="audiences")
        return codes
