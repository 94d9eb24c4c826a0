"""Questionnaires: checking their items, saving them, freezing what scores once answers arrive,
copying them, and taking knowledge items from the exam bank.

Every write to a questionnaire goes through ``questionnaire_save`` (the Wagtail admin, the XLSForm
import, the demo), so an item is checked the same way wherever it comes from. A questionnaire is a
ClusterableModel: its items travel in memory on ``questionnaire.items`` until it is saved, so a
caller sets them (``questionnaire.items = [...]``, or a ClusterForm's ``save(commit=False)``) and
this module checks the whole set before anything is written.

Freezing: once a wave of the questionnaire has responses, those responses were scored against its
items (surveys.services.scoring). Changing what scores would make the figures of one wave mean two
things, so such a change is refused; wording may still be corrected. A new version is a copy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit
from core.errors import ServiceError
from exams.models import OPTION_LETTERS, Question, QuestionKind
from orgs.models import Employer, HazardClass, Industry, PostRole, Region
from surveys.models import (
    AgeGroup,
    Education,
    Indicator,
    Item,
    ItemKind,
    ItemType,
    Questionnaire,
    RespondentField,
    Response,
    Sex,
)
from surveys.services.relevance import relevant_check

# XLSForm's rule for a name (and relevance.py's for a ${code}): a letter or underscore first.
CODE_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
CODE_MAX_LENGTH = 40
TRUE_FALSE_CHOICES: list[dict[str, str]] = [{"value": "true", "label": "对"}, {"value": "false", "label": "错"}]
TRUE_ANSWERS = {"true", "对", "正确", "是", "a", "t", "√"}
FALSE_ANSWERS = {"false", "错", "错误", "否", "b", "f", "×"}
SELECT_TYPES = {ItemType.SELECT_ONE, ItemType.SELECT_MULTIPLE}
CHOICE_TYPES = {ItemType.SELECT_ONE, ItemType.SELECT_MULTIPLE, ItemType.TRUE_FALSE}
KNOWLEDGE_TYPES = {ItemType.SELECT_ONE, ItemType.SELECT_MULTIPLE, ItemType.TRUE_FALSE}
BEHAVIOUR_TYPES = {ItemType.SELECT_ONE, ItemType.TRUE_FALSE}
BANK_KIND_TYPES = {QuestionKind.SINGLE: ItemType.SELECT_ONE, QuestionKind.MULTIPLE: ItemType.SELECT_MULTIPLE,
                   QuestionKind.TRUE_FALSE: ItemType.TRUE_FALSE}
BANK_CODE_PREFIX = "bank_"
# What scores a response, per item (surveys.services.scoring and the behaviour indicators read these).
SCORING_FIELDS: dict[str, Any] = {
    "kind": gettext_lazy("类别"), "type": gettext_lazy("题型"), "answer": gettext_lazy("答案"),
    "points": gettext_lazy("分值"), "dimension": gettext_lazy("素养维度"), "choices": gettext_lazy("选项值"),
    "relevant": gettext_lazy("显示条件"), "respondent_field": gettext_lazy("对应基本信息"),
    "yes_value": gettext_lazy("计为“是”的选项"), "not_applicable_value": gettext_lazy("“不适用”选项"),
    "indicator": gettext_lazy("行为指标"),
}


class QuestionnaireInvalid(ServiceError):
    """Every problem of a questionnaire at once; ``errors`` keeps each with its ``field``
    ("<item code>.<item field>", or a questionnaire field), so a form can show it in place."""

    def __init__(self, errors: Sequence[ServiceError]) -> None:
        super().__init__("；".join(error.message for error in errors), field=errors[0].field if errors else "")
        self.errors = list(errors)


# -- items -------------------------------------------------------------------------------------
def _fixed_values() -> dict[str, Callable[[], set[str]]]:
    """The values a respondent field may take, where its column holds a fixed list."""
    return {
        RespondentField.SEX: lambda: set(Sex.values),
        RespondentField.AGE_GROUP: lambda: set(AgeGroup.values),
        RespondentField.EDUCATION: lambda: set(Education.values),
        RespondentField.GROUP: lambda: set(PostRole.values),
        RespondentField.EMPLOYER_SIZE: lambda: set(Employer.Size.values),
        RespondentField.INDUSTRY: lambda: set(Industry.objects.filter(level=1).values_list("code", flat=True)),
        RespondentField.HAZARDS: lambda: set(HazardClass.objects.values_list("code", flat=True)),
    }


# Which item types each respondent field can be asked with.
RESPONDENT_TYPES: dict[str, set[str]] = {
    RespondentField.REGION: {ItemType.SELECT_ONE, ItemType.TEXT},
    RespondentField.INDUSTRY: {ItemType.SELECT_ONE},
    RespondentField.EMPLOYER_SIZE: {ItemType.SELECT_ONE},
    RespondentField.GROUP: {ItemType.SELECT_ONE},
    RespondentField.SEX: {ItemType.SELECT_ONE},
    RespondentField.AGE_GROUP: {ItemType.SELECT_ONE},
    RespondentField.EDUCATION: {ItemType.SELECT_ONE},
    RespondentField.YEARS_EXPOSED: {ItemType.INTEGER},
    RespondentField.HAZARDS: {ItemType.SELECT_MULTIPLE},
}


def _type_names(types: Iterable[str]) -> str:
    return "、".join(str(ItemType(value).label) for value in sorted(types))


def _answer_list(item: Item) -> list[str]:
    raw = item.answer
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        return [part for part in re.split(r"[\s,，、;；]+", raw) if part]
    if isinstance(raw, list | tuple):
        return [str(part) for part in raw]
    return [str(raw)]


def items_prepare(items: Sequence[Item]) -> None:
    """Fill in what an editor need not type: true/false choices (true/对, false/错), a true/false
    answer written 对 / 错, answers as lists, and the order items arrived in."""
    for position, item in enumerate(items):
        if item.sort_order is None:
            item.sort_order = position
        item.code = (item.code or "").strip()
        item.relevant = (item.relevant or "").strip()
        item.answer = _answer_list(item)
        if item.type == ItemType.TRUE_FALSE:
            item.choices = [dict(choice) for choice in TRUE_FALSE_CHOICES]
            item.answer = ["true" if value.lower() in TRUE_ANSWERS else "false" if value.lower() in FALSE_ANSWERS
                           else value for value in item.answer]
            for name in ("yes_value", "not_applicable_value"):
                value = (getattr(item, name) or "").strip().lower()
                if value in TRUE_ANSWERS:
                    setattr(item, name, "true")
                elif value in FALSE_ANSWERS:
                    setattr(item, name, "false")
        elif not isinstance(item.choices, list):
            item.choices = []


def _choice_errors(item: Item, error: Callable[[str, str], ServiceError]) -> list[ServiceError]:
    errors: list[ServiceError] = []
    choices = item.choices if isinstance(item.choices, list) else []
    if item.type not in CHOICE_TYPES:
        if choices:
            errors.append(error(_("%(type)s题不用填选项") % {"type": ItemType(item.type).label}, "choices"))
        return errors
    if item.type in SELECT_TYPES and len(choices) < 2:
        errors.append(error(_("至少需要 2 个选项"), "choices"))
    seen: set[str] = set()
    for number, choice in enumerate(choices, start=1):
        value = str(choice.get("value", "")).strip() if isinstance(choice, dict) else ""
        if not value:
            errors.append(error(_("第 %(number)s 个选项没有选项值") % {"number": number}, "choices"))
            continue
        if re.search(r"\s", value):
            errors.append(error(_("选项值“%(value)s”不能含空格") % {"value": value}, "choices"))
        if value in seen:
            errors.append(error(_("选项值 %(value)s 重复") % {"value": value}, "choices"))
        seen.add(value)
        if not str(choice.get("label", "")).strip():
            errors.append(error(_("选项 %(value)s 没有文字") % {"value": value}, "choices"))
    return errors


def _knowledge_errors(item: Item, error: Callable[[str, str], ServiceError]) -> list[ServiceError]:
    errors: list[ServiceError] = []
    if item.type not in KNOWLEDGE_TYPES:
        return [error(_("知识题应为单选、多选或判断题"), "type")]
    answer = _answer_list(item)
    if not answer:
        errors.append(error(_("请填写答案"), "answer"))
    elif item.type != ItemType.SELECT_MULTIPLE and len(answer) != 1:
        errors.append(error(_("单选题和判断题只能有一个答案"), "answer"))
    outside = [value for value in answer if value not in item.choice_values]
    if outside:
        errors.append(error(_("答案 %(values)s 不在选项中") % {"values": "、".join(outside)}, "answer"))
    if len(set(answer)) != len(answer):
        errors.append(error(_("答案中有重复的选项"), "answer"))
    if item.points is None or int(item.points) < 1:
        errors.append(error(_("分值至少为 1"), "points"))
    if not item.dimension_id:
        errors.append(error(_("请选择素养维度"), "dimension"))
    return errors


def _behaviour_errors(item: Item, error: Callable[[str, str], ServiceError]) -> list[ServiceError]:
    errors: list[ServiceError] = []
    if item.type not in BEHAVIOUR_TYPES:
        return [error(_("行为题应为单选或判断题"), "type")]
    values = item.choice_values
    if not item.yes_value:
        errors.append(error(_("请填写计为“是”的选项"), "yes_value"))
    elif item.yes_value not in values:
        errors.append(error(_("计为“是”的选项 %(value)s 不在选项中") % {"value": item.yes_value}, "yes_value"))
    if item.not_applicable_value:
        if item.not_applicable_value not in values:
            errors.append(error(_("“不适用”选项 %(value)s 不在选项中") % {"value": item.not_applicable_value},
                                "not_applicable_value"))
        elif item.not_applicable_value == item.yes_value:
            errors.append(error(_("“不适用”选项不能同时计为“是”"), "not_applicable_value"))
    if item.indicator_id:
        indicator = Indicator.objects.filter(pk=item.indicator_id).first()
        if indicator is None:
            errors.append(error(_("没有指标 %(code)s") % {"code": item.indicator_id}, "indicator"))
        elif indicator.kind != Indicator.Kind.BEHAVIOUR:
            errors.append(error(_("指标“%(name)s”不是行为指标") % {"name": indicator.name}, "indicator"))
    return errors


def _respondent_errors(item: Item, error: Callable[[str, str], ServiceError],
                       fixed: dict[str, Callable[[], set[str]]]) -> list[ServiceError]:
    field = item.respondent_field
    if not field:
        return []
    if field not in RespondentField.values:
        return [error(_("不认识的基本信息 %(field)s") % {"field": field}, "respondent_field")]
    label = RespondentField(field).label
    allowed_types = RESPONDENT_TYPES[field]
    if item.type not in allowed_types:
        return [error(_("“%(field)s”应为%(types)s题") % {"field": label, "types": _type_names(allowed_types)}, "type")]
    values = item.choice_values
    if field == RespondentField.REGION:
        known = set(Region.objects.filter(code__in=values).values_list("code", flat=True)) if values else set()
    elif field in fixed:
        known = fixed[field]()
    else:
        return []
    outside = [value for value in values if value not in known]
    if outside:
        return [error(_("“%(field)s”的选项值应为系统代码，%(values)s 不是") % {
            "field": label, "values": "、".join(outside)}, "choices")]
    return []


def questionnaire_item_errors(questionnaire: Questionnaire, items: Sequence[Item] | None = None) -> list[ServiceError]:
    """Every problem of ``items`` (by default the questionnaire's own, in order), each a ServiceError
    whose ``field`` is "<item code>.<item field>" ("#<number>.code" for an item without a code).
    Prepares the items first (items_prepare), so true/false choices are filled in."""
    if items is None:
        items = sorted(questionnaire.items.all(), key=lambda item: (item.sort_order is None, item.sort_order or 0))
    items = list(items)
    items_prepare(items)
    fixed = _fixed_values()
    errors: list[ServiceError] = []
    first_at: dict[str, int] = {}
    asked_by: dict[str, str] = {}
    codes_before: list[str] = []
    for number, item in enumerate(items, start=1):
        code = item.code
        where = code or f"#{number}"

        def error(message: str, what: str, *, where: str = where) -> ServiceError:
            return ServiceError(_("题目 %(code)s：%(message)s") % {"code": where, "message": message},
                                field=f"{where}.{what}")

        if not code:
            errors.append(ServiceError(_("第 %(number)s 题：请填写题目代码") % {"number": number}, field=f"{where}.code"))
        elif not CODE_PATTERN.match(code) or len(code) > CODE_MAX_LENGTH:
            errors.append(error(_("题目代码只能用字母、数字、下划线和连字符，以字母或下划线开头，最多 %(limit)s 个字符")
                                % {"limit": CODE_MAX_LENGTH}, "code"))
        elif code in first_at:
            errors.append(error(_("题目代码与第 %(first)s 题重复") % {"first": first_at[code]}, "code"))
        else:
            first_at[code] = number
        if item.kind not in ItemKind.values:
            errors.append(error(_("不认识的类别 %(kind)s") % {"kind": item.kind}, "kind"))
            continue
        if item.type not in ItemType.values:
            errors.append(error(_("不认识的题型 %(type)s") % {"type": item.type}, "type"))
            continue
        if not (item.label or "").strip():
            errors.append(error(_("请填写题目"), "label"))
        if (item.kind == ItemKind.NOTE) != (item.type == ItemType.NOTE):
            errors.append(error(_("说明只能用“说明文字”题型，“说明文字”题型只用于说明"), "type"))
        errors += _choice_errors(item, error)
        if item.kind == ItemKind.KNOWLEDGE:
            errors += _knowledge_errors(item, error)
        elif _answer_list(item):
            errors.append(error(_("只有知识题填写答案"), "answer"))
        if item.kind == ItemKind.BEHAVIOUR:
            errors += _behaviour_errors(item, error)
        if item.respondent_field:
            if item.kind != ItemKind.RESPONDENT:
                errors.append(error(_("只有基本情况题可以对应基本信息"), "respondent_field"))
            elif item.respondent_field in asked_by:
                errors.append(error(_("基本信息“%(field)s”已由题目 %(first)s 询问") % {
                    "field": RespondentField(item.respondent_field).label if item.respondent_field in
                    RespondentField.values else item.respondent_field,
                    "first": asked_by[item.respondent_field]}, "respondent_field"))
            else:
                asked_by[item.respondent_field] = where
                errors += _respondent_errors(item, error, fixed)
        if item.min_value is not None and item.max_value is not None and item.min_value > item.max_value:
            errors.append(error(_("最小值不能大于最大值"), "min_value"))
        if item.relevant:
            try:
                relevant_check(item.relevant, codes_before)
            except ServiceError as problem:
                errors.append(error(problem.message, "relevant"))
        if code:
            codes_before.append(code)
    if not any(item.kind == ItemKind.KNOWLEDGE for item in items):
        errors.append(ServiceError(_("问卷至少需要一道知识题"), field="items"))
    return errors


def _questionnaire_errors(questionnaire: Questionnaire) -> list[ServiceError]:
    errors: list[ServiceError] = []
    if not (questionnaire.title or "").strip():
        errors.append(ServiceError(_("请填写标题"), field="title"))
    form_id = (questionnaire.form_id or "").strip()
    if not form_id:
        errors.append(ServiceError(_("请填写表单代码"), field="form_id"))
    elif not re.match(r"^[A-Za-z0-9_\-]{1,60}$", form_id):
        errors.append(ServiceError(_("表单代码只能用字母、数字、下划线和连字符，最多 60 个字符"), field="form_id"))
    else:
        clash = Questionnaire.objects.filter(form_id=form_id).exclude(pk=questionnaire.pk).first()
        if clash is not None:
            errors.append(ServiceError(_("表单代码 %(form_id)s 已被问卷“%(title)s”使用") % {
                "form_id": form_id, "title": clash.title}, field="form_id"))
    threshold = questionnaire.threshold
    if threshold is None or not 0 < float(threshold) <= 1:
        errors.append(ServiceError(_("知晓标准应为 0.01–1 之间的比例，例如 0.80"), field="threshold"))
    return errors


# -- freezing ----------------------------------------------------------------------------------
def _scoring_key(item: Item) -> dict[str, Any]:
    return {
        "kind": item.kind, "type": item.type, "answer": sorted(_answer_list(item)),
        "points": int(item.points or 0) if item.kind == ItemKind.KNOWLEDGE else 0,
        "dimension": item.dimension_id or "", "choices": item.choice_values, "relevant": (item.relevant or "").strip(),
        "respondent_field": item.respondent_field or "", "yes_value": item.yes_value or "",
        "not_applicable_value": item.not_applicable_value or "", "indicator": item.indicator_id or "",
    }


def scoring_changes(stored: Questionnaire, stored_items: Sequence[Item], questionnaire: Questionnaire,
                    items: Sequence[Item]) -> list[str]:
    """What in ``items`` changes how a response scores, compared with what is stored, in words."""
    changes: list[str] = []
    old = {item.code: _scoring_key(item) for item in stored_items}
    new = {item.code: _scoring_key(item) for item in items}
    added = [code for code in new if code not in old]
    removed = [code for code in old if code not in new]
    if added:
        changes.append(_("新增题目 %(codes)s") % {"codes": "、".join(added)})
    if removed:
        changes.append(_("删除题目 %(codes)s") % {"codes": "、".join(removed)})
    for code, key in new.items():
        if code in old and old[code] != key:
            names = "、".join(str(SCORING_FIELDS[name]) for name in SCORING_FIELDS if old[code][name] != key[name])
            changes.append(_("题目 %(code)s 的%(fields)s") % {"code": code, "fields": names})
    if stored.threshold is not None and questionnaire.threshold is not None and \
            float(stored.threshold) != float(questionnaire.threshold):
        changes.append(_("知晓标准"))
    return changes


def questionnaire_response_count(questionnaire: Questionnaire) -> int:
    if questionnaire.pk is None:
        return 0
    return Response.objects.filter(wave__questionnaire_id=questionnaire.pk).count()


# -- saving ------------------------------------------------------------------------------------
def may_edit_questionnaires(actor: Any) -> bool:
    """Editors (the 内容编辑 group holds the permissions) and superusers; the system (no actor:
    the demo seeder, a migration) too."""
    if actor is None:
        return True
    return bool(getattr(actor, "is_active", False)) and (
        actor.is_superuser or actor.has_perm("surveys.add_questionnaire") or actor.has_perm("surveys.change_questionnaire"))


def _ordered_items(questionnaire: Questionnaire) -> list[Item]:
    items = list(questionnaire.items.all())
    for position, item in enumerate(items):
        if item.sort_order is None:
            item.sort_order = position
    return sorted(items, key=lambda item: item.sort_order)


def questionnaire_save(*, actor: Any, questionnaire: Questionnaire, create: bool,
                       audit_data: dict[str, Any] | None = None) -> Questionnaire:
    """Create or change a questionnaire with the items it carries (in memory or stored).

    Raises QuestionnaireInvalid listing every problem, or ServiceError when the change would alter
    the scoring of a questionnaire that already has responses."""
    if not may_edit_questionnaires(actor):
        raise ServiceError(_("只有内容编辑可以修改调查问卷"))
    if create and questionnaire.pk is not None:
        raise ServiceError(_("这份问卷已经存在"))
    if not create and questionnaire.pk is None:
        raise ServiceError(_("这份问卷还不存在"))
    with transaction.atomic():
        stored: Questionnaire | None = None
        if not create:
            # Locked: a second editor's save waits, and responses are counted against what is stored.
            stored = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
        items = _ordered_items(questionnaire)
        questionnaire.title = (questionnaire.title or "").strip()
        questionnaire.form_id = (questionnaire.form_id or "").strip()
        errors = _questionnaire_errors(questionnaire) + questionnaire_item_errors(questionnaire, items)
        if errors:
            raise QuestionnaireInvalid(errors)
        if stored is not None:
            responses = questionnaire_response_count(stored)
            if responses:
                stored_items = list(Item.objects.filter(questionnaire_id=stored.pk))
                changes = scoring_changes(stored, stored_items, questionnaire, items)
                if changes:
                    raise ServiceError(_(
                        "这份问卷已有 %(count)s 份答卷，它们按现在的题目计分，不能再修改计分内容（%(changes)s）；"
                        "题目文字、提示、说明和标题仍可修改。如需修改计分内容，请复制问卷，在副本中修改后用于新的调查轮次。"
                    ) % {"count": responses, "changes": "；".join(changes)}, field="items")
        if create:
            questionnaire.created_by = actor if getattr(actor, "pk", None) else None
        else:
            assert stored is not None
            questionnaire.created_by_id = stored.created_by_id
            questionnaire.code = stored.code
        try:
            with transaction.atomic():
                questionnaire.save()
        except IntegrityError:
            # Two items swapping codes collide row by row; the set itself was checked above.
            raise ServiceError(_("题目代码冲突，请先保存改名后的题目，再交换代码"), field="items") from None
        counts = {kind: sum(1 for item in items if item.kind == kind) for kind in ItemKind.values}
        audit(actor, "surveys.questionnaire.create" if create else "surveys.questionnaire.edit", questionnaire,
              data={"form_id": questionnaire.form_id, "items": len(items), "knowledge": counts[ItemKind.KNOWLEDGE],
                    "behaviour": counts[ItemKind.BEHAVIOUR], **(audit_data or {})})
    return questionnaire


# -- copying -----------------------------------------------------------------------------------
ITEM_COPY_FIELDS = ("code", "kind", "type", "label", "hint", "choices", "answer", "points", "dimension_id",
                    "respondent_field", "indicator_id", "yes_value", "not_applicable_value", "relevant", "required",
                    "min_value", "max_value", "source_version_id", "sort_order")


def _free_form_id(base: str) -> str:
    for number in range(1, 1000):
        suffix = "_copy" if number == 1 else f"_copy{number}"
        candidate = base[:60 - len(suffix)] + suffix
        if not Questionnaire.objects.filter(form_id=candidate).exists():
            return candidate
    raise ServiceError(_("这份问卷的副本太多，请先修改表单代码"), field="form_id")


def questionnaire_copy(*, actor: Any, questionnaire: Questionnaire) -> Questionnaire:
    """A new questionnaire with the same items (their bank versions kept), no waves and no
    responses, free to change: how a frozen questionnaire gets a new version."""
    source = Questionnaire.objects.get(pk=questionnaire.pk)
    title_suffix = _("（副本）")
    copy = Questionnaire(title=source.title[:120 - len(title_suffix)] + title_suffix, intro=source.intro,
                         form_id=_free_form_id(source.form_id), version=source.version, threshold=source.threshold)
    copy.items = [Item(**{name: getattr(item, name) for name in ITEM_COPY_FIELDS})
                  for item in source.items.order_by("sort_order", "pk")]
    return questionnaire_save(actor=actor, questionnaire=copy, create=True, audit_data={"copied_from": source.code})


# -- the exam bank -----------------------------------------------------------------------------
def item_from_question(*, question: Question) -> dict[str, Any]:
    """Item fields for a knowledge item made from the bank question's current version: its stem,
    options (values a, b, c… for the letters A, B, C…; true/false as true/对, false/错), answer and
    dimension, with ``source_version_id`` kept so the item says which wording it was taken from."""
    version = question.current_version
    if version is None:
        raise ServiceError(_("试题“%(stem)s”还没有版本") % {"stem": question.stem[:30]})
    item_type = BANK_KIND_TYPES.get(QuestionKind(version.kind)) if version.kind in QuestionKind.values else None
    if item_type is None:
        raise ServiceError(_("不认识的题型 %(kind)s") % {"kind": version.kind})
    if item_type == ItemType.TRUE_FALSE:
        choices = [dict(choice) for choice in TRUE_FALSE_CHOICES]
        answer = ["true" if version.answer == "A" else "false"]
    else:
        choices = [{"value": OPTION_LETTERS[index].lower(), "label": text} for index, text in enumerate(version.options)]
        answer = [letter.lower() for letter in version.answer]
    return {
        "code": f"{BANK_CODE_PREFIX}{question.pk}", "kind": ItemKind.KNOWLEDGE, "type": item_type, "label": version.stem,
        "hint": "", "choices": choices, "answer": answer, "points": 1, "dimension_id": question.dimension_id,
        "required": True, "source_version_id": version.pk,
    }


def questionnaire_add_questions(*, actor: Any, questionnaire: Questionnaire,
                                questions: Iterable[Question]) -> list[Item]:
    """Append knowledge items taken from bank questions (each question once per questionnaire),
    through questionnaire_save; returns the items added."""
    questionnaire = Questionnaire.objects.get(pk=questionnaire.pk)
    items = list(questionnaire.items.order_by("sort_order", "pk"))
    taken = {item.source_version.question_id for item in items if item.source_version_id and item.source_version}
    codes = {item.code for item in items}
    added: list[Item] = []
    next_order = max((item.sort_order or 0 for item in items), default=-1) + 1
    for question in questions:
        if question.pk in taken:
            continue
        fields = item_from_question(question=question)
        code, number = fields["code"], 2
        while fields["code"] in codes:
            fields["code"] = f"{code}_{number}"
            number += 1
        item = Item(**fields, sort_order=next_order)
        next_order += 1
        codes.add(item.code)
        taken.add(question.pk)
        added.append(item)
    if not added:
        return []
    questionnaire.items = [*items, *added]
    questionnaire_save(actor=actor, questionnaire=questionnaire, create=False,
                       audit_data={"from_bank": [item.source_version_id for item in added]})
    return added
