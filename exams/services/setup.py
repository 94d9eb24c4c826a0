"""Setting exams up (editors, in the Wagtail admin): checking an exam and its blueprint, saving it,
and what a change of blueprint or a publication sets off.

An exam's blueprint is its rules, its points per question type and its target facility range:
everything a drawn paper depends on. Changing any of them bumps ``Exam.blueprint_version``; papers
drawn ahead under the older blueprint are discarded (never handed out), while attempts already open
keep the paper they showed (exams.services.papers). Publishing and opening an exam to every worker
are editors' decisions, checked here whoever calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ServiceError
from core.scope import scope_for
from exams.models import Attempt, BlueprintRule, Category, Exam, QuestionKind
from exams.services.papers import PREPARE_AHEAD, blueprint_check, papers_discard_stale, papers_prepare_start


class SetupError(ServiceError):
    pass


@dataclass(frozen=True)
class RuleData:
    """One blueprint rule as it arrives from a form: draw ``count`` questions matching the rest."""

    count: int
    category_id: int | None = None
    dimension_id: str | None = None
    hazard_class_id: str | None = None
    kind: str = ""
    difficulty: int | None = None

    def key(self) -> tuple[Any, ...]:
        return (self.category_id, self.dimension_id or None, self.hazard_class_id or None, self.kind or "",
                self.difficulty or None, int(self.count))


@dataclass(frozen=True)
class SaveResult:
    exam: Exam
    blueprint_changed: bool
    papers_discarded: int


def rule_data_from(rule: BlueprintRule) -> RuleData:
    return RuleData(count=rule.count, category_id=rule.category_id, dimension_id=rule.dimension_id,
                    hazard_class_id=rule.hazard_class_id, kind=rule.kind, difficulty=rule.difficulty)


def _blueprint_key(exam: Exam, rules: Sequence[RuleData]) -> tuple[Any, ...]:
    """Everything a drawn paper depends on: its rules in order, points per type, facility range."""
    points = tuple(Decimal(str(value)) for value in (exam.points_single, exam.points_multiple, exam.points_truefalse))
    return (tuple(rule.key() for rule in rules), points, exam.facility_min, exam.facility_max)


def may_publish(actor: Any) -> bool:
    """Publishing an exam and opening it to every worker: editors and superusers (and the system,
    e.g. the demo seeder, which passes no actor)."""
    if actor is None or not getattr(actor, "pk", None):
        return actor is None
    return scope_for(actor).has("editor", "superuser")


def _check_values(exam: Exam) -> None:
    if not (exam.title or "").strip():
        raise SetupError(_("请填写考试名称"), field="title")
    if exam.opens_at is None or exam.closes_at is None:
        raise SetupError(_("请填写开始时间和结束时间"), field="opens_at" if exam.opens_at is None else "closes_at")
    if exam.closes_at <= exam.opens_at:
        raise SetupError(_("结束时间应晚于开始时间"), field="closes_at")
    if not 1 <= int(exam.pass_percent) <= 100:
        raise SetupError(_("及格线应为 1–100 之间的整数"), field="pass_percent")
    if int(exam.time_limit_minutes) < 1:
        raise SetupError(_("考试时长至少 1 分钟"), field="time_limit_minutes")
    for name in ("points_single", "points_multiple", "points_truefalse"):
        if Decimal(str(getattr(exam, name))) <= 0:
            raise SetupError(_("分值应大于 0"), field=name)
    for name in ("facility_min", "facility_max"):
        value = getattr(exam, name)
        if value is not None and not 0 <= value <= 1:
            raise SetupError(_("通过率应为 0–1 之间的小数，例如 0.3"), field=name)
    if exam.facility_min is not None and exam.facility_max is not None and exam.facility_min > exam.facility_max:
        raise SetupError(_("优先通过率下限不能大于上限"), field="facility_max")
    if exam.status not in Exam.Status.values:
        raise SetupError(_("不认识的状态"), field="status")


def _rules_build(rules: Sequence[RuleData]) -> list[BlueprintRule]:
    """Unsaved rules (for the check and for writing), each reference checked to exist."""
    from orgs.models import HazardClass, LiteracyDimension

    built = []
    for number, rule in enumerate(rules, start=1):
        where = _("第 %(number)s 条组卷规则：") % {"number": number}
        if int(rule.count) < 1:
            raise SetupError(where + _("题数至少为 1"), field="rules")
        if rule.kind and rule.kind not in QuestionKind.values:
            raise SetupError(where + _("不认识的题型 %(kind)s") % {"kind": rule.kind}, field="rules")
        if rule.difficulty is not None and not 1 <= int(rule.difficulty) <= 5:
            raise SetupError(where + _("难度应为 1–5"), field="rules")
        if rule.category_id is not None and not Category.objects.filter(pk=rule.category_id).exists():
            raise SetupError(where + _("没有这个分类"), field="rules")
        if rule.dimension_id and not LiteracyDimension.objects.filter(pk=rule.dimension_id).exists():
            raise SetupError(where + _("没有这个素养维度"), field="rules")
        if rule.hazard_class_id and not HazardClass.objects.filter(pk=rule.hazard_class_id).exists():
            raise SetupError(where + _("没有这个危害因素类别"), field="rules")
        built.append(BlueprintRule(
            category_id=rule.category_id, dimension_id=rule.dimension_id or None, hazard_class_id=rule.hazard_class_id or None,
            kind=rule.kind or "", difficulty=rule.difficulty or None, count=int(rule.count), position=number))
    return built


def exam_prepare_if_due(*, exam: Exam, actor: Any = None, now: Any = None) -> bool:
    """A published exam that opens within two hours (or is open): draw its papers ahead now, so
    the synchronized start only claims rows. False when not due or a job is already waiting."""
    now = now or timezone.now()
    if exam.status != Exam.Status.PUBLISHED or not (exam.opens_at <= now + PREPARE_AHEAD and exam.closes_at > now):
        return False
    return papers_prepare_start(exam=exam, actor=actor) is not None


@transaction.atomic
def exam_save(*, actor: Any, exam: Exam, rules: Sequence[RuleData], audiences: Iterable[Any] | None = None) -> SaveResult:
    """Create or change an exam with its blueprint. ``exam`` carries the new values (unsaved);
    ``rules`` replace the exam's rules. Raises SetupError naming the field that is wrong."""
    creating = exam.pk is None
    stored: Exam | None = None
    stored_rules: list[RuleData] = []
    if not creating:
        # Locked: two editors saving at once bump the version once each, never lose a bump.
        stored = Exam.objects.select_for_update().get(pk=exam.pk)
        stored_rules = [rule_data_from(rule) for rule in stored.rules.all()]
    _check_values(exam)
    rules = list(rules)
    built = _rules_build(rules)
    if not built:
        raise SetupError(_("组卷规则为空：至少需要一条规则"), field="rules")
    publishing = exam.status == Exam.Status.PUBLISHED and (stored is None or stored.status != Exam.Status.PUBLISHED)
    opening = exam.open_to_all and (stored is None or not stored.open_to_all)
    if (publishing or opening) and not may_publish(actor):
        field = "status" if publishing else "open_to_all"
        raise SetupError(_("只有内容编辑可以发布考试或向所有劳动者开放"), field=field)
    # A draft may wait for its questions; a published exam must draw a paper for everyone.
    if exam.status == Exam.Status.PUBLISHED:
        problems = blueprint_check(exam, built)
        if problems:
            raise SetupError("；".join(problems), field="rules")
    changed = stored is not None and _blueprint_key(stored, stored_rules) != _blueprint_key(exam, rules)
    if creating:
        exam.created_by = actor if getattr(actor, "pk", None) else None
        exam.blueprint_version = 1
    else:
        assert stored is not None
        exam.blueprint_version = stored.blueprint_version + (1 if changed else 0)
        # Fields the form never sends stay as they are in the database.
        exam.papers_generated_at = stored.papers_generated_at if not changed else None
        exam.kr20, exam.stats_attempts, exam.stats_at = stored.kr20, stored.stats_attempts, stored.stats_at
    exam.save()
    if audiences is not None:
        exam.audiences.set(list(audiences))
    if creating or changed:
        BlueprintRule.objects.filter(exam=exam).delete()
        for rule in built:
            rule.exam = exam
        BlueprintRule.objects.bulk_create(built)
    discarded = 0
    if changed:
        # Counted here: a delete's own count includes the papers' items.
        discarded = Attempt.objects.filter(exam=exam, status=Attempt.Status.READY).exclude(
            blueprint_version=exam.blueprint_version).count()
        papers_discard_stale(exam)
    audit(actor, "exams.exam.create" if creating else "exams.exam.edit", exam,
          data={"blueprint_version": exam.blueprint_version, "blueprint_changed": changed, "papers_discarded": discarded,
                "status": exam.status})
    exam_prepare_if_due(exam=exam, actor=actor)
    return SaveResult(exam=exam, blueprint_changed=changed, papers_discarded=discarded)


def exam_create(*, actor: Any, exam: Exam, rules: Sequence[RuleData], audiences: Iterable[Any] | None = None) -> Exam:
    if exam.pk is not None:
        raise SetupError(_("这场考试已经存在"))
    return exam_save(actor=actor, exam=exam, rules=rules, audiences=audiences).exam


def exam_update(*, actor: Any, exam: Exam, rules: Sequence[RuleData] | None = None,
                audiences: Iterable[Any] | None = None) -> SaveResult:
    """Change an exam; ``rules=None`` keeps its rules as they are."""
    if exam.pk is None:
        raise SetupError(_("这场考试还不存在"))
    if rules is None:
        rules = [rule_data_from(rule) for rule in BlueprintRule.objects.filter(exam_id=exam.pk)]
    return exam_save(actor=actor, exam=exam, rules=rules, audiences=audiences)


@transaction.atomic
def category_save(*, actor: Any, path: str, category: Category | None = None) -> Category:
    """Create a category (and its parents), or move one to a new path with its sub-categories.

    The bank's own ``category_for_path`` makes categories for imports; the admin also renames
    them, which must carry the sub-categories along so rules and questions stay where they were.
    """
    from core.text import clean_text

    parts = [part.strip() for part in clean_text(path or "").replace("\\", "/").split("/") if part.strip()]
    if not parts:
        raise SetupError(_("请填写分类"), field="path")
    if any(len(part) > 60 for part in parts):
        raise SetupError(_("分类名称过长（每级最多 60 字）"), field="path")
    full = "/".join(parts)
    if len(full) > 200:
        raise SetupError(_("分类路径过长（最多 200 字）"), field="path")
    clash = Category.objects.filter(path=full)
    if category is not None:
        clash = clash.exclude(pk=category.pk)
    if clash.exists():
        raise SetupError(_("已有分类“%(path)s”") % {"path": full}, field="path")
    if category is None:
        from exams.services.bank import category_for_path

        created = category_for_path(full, create=True)
        assert created is not None
        audit(actor, "exams.category.create", created, data={"path": full})
        return created
    old = Category.objects.get(pk=category.pk).path
    if old != full:
        if full.startswith(old + "/"):
            raise SetupError(_("不能把分类移到它自己的下级"), field="path")
        children = list(Category.objects.filter(path__startswith=old + "/"))
        moved = {child.pk: full + child.path[len(old):] for child in children}
        if Category.objects.filter(path__in=moved.values()).exclude(pk__in=moved.keys()).exists():
            raise SetupError(_("新路径下已有同名的下级分类"), field="path")
        for child in children:
            child.path = moved[child.pk]
            child.depth = child.path.count("/") + 1
            child.save(update_fields=["path", "depth"])
        # The new path's parents exist, as they do for categories made by imports.
        if len(parts) > 1:
            from exams.services.bank import category_for_path

            category_for_path("/".join(parts[:-1]), create=True)
    category.path, category.name, category.depth = full, parts[-1], len(parts)
    category.save()
    audit(actor, "exams.category.edit", category, data={"from": old, "to": full})
    return category
