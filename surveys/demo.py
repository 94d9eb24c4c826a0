"""Demo data for the awareness surveys: a questionnaire on the four literacy dimensions, two waves
over the demo employers' cities (徐州 last year and now, still open; 河源 this autumn) with a frame of county × priority
industry × group strata, and a few thousand responses made through ``response_submit``.

Each simulated respondent has a latent literacy drawn around their stratum's mean; the chance of a
right answer is logistic in the difference from the item's difficulty, above a floor for guessing.
The stratum means are set so that the indicator comes out near the first national round's 52.6 %
in some strata (small employers' exposed workers, construction, sanitation) and above the 90 %
target in others (managers, large mines and hospitals), so the dashboard shows both. Last year's
wave is lower everywhere, so the trend rises.

Idempotent: a questionnaire is found by its form_id and a wave by its title; a wave that has
responses is not simulated again.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from orgs.models import Employer, PostRole, Region, User
from surveys.models import Indicator, Item, ItemKind, ItemType, Questionnaire, Response, Stratum, Wave, WaveLink
from surveys.services.responses import ResponseRefused, response_submit

FORM_ID = "ohl-awareness"
YES_NO = [{"value": "yes", "label": "是"}, {"value": "no", "label": "否"}]
TRUE_FALSE = [{"value": "true", "label": "对"}, {"value": "false", "label": "错"}]


def _choices(*labels: str) -> list[dict[str, str]]:
    return [{"value": chr(ord("a") + position), "label": label} for position, label in enumerate(labels)]


# (code, dimension, type, label, choices, answer, difficulty −2 easy … +2 hard)
KNOWLEDGE: list[tuple[str, str, str, str, list[dict[str, str]], list[str], float]] = [
    ("law_policy", "law", ItemType.SELECT_ONE, "职业病防治工作坚持的方针是？",
     _choices("预防为主、防治结合", "治疗为主、预防为辅", "先发展、后治理", "谁受害、谁负责"), ["a"], -1.5),
    ("law_exam_times", "law", ItemType.SELECT_MULTIPLE, "用人单位应当在哪些时候组织接触职业病危害的劳动者做职业健康检查？",
     _choices("上岗前", "在岗期间", "离岗时", "只在出现症状以后"), ["a", "b", "c"], 0.8),
    ("law_exam_cost", "law", ItemType.SELECT_ONE, "职业健康检查的费用由谁承担？",
     _choices("劳动者本人", "用人单位", "劳动者和单位各一半", "医疗保险"), ["b"], -0.2),
    ("law_inform", "law", ItemType.TRUE_FALSE, "订立劳动合同时，用人单位应当如实告知工作中可能产生的职业病危害及其后果。",
     TRUE_FALSE, ["true"], -1.2),
    ("law_refuse", "law", ItemType.TRUE_FALSE, "用人单位没有如实告知职业病危害时，劳动者有权拒绝从事该作业，单位不得因此解除劳动合同。",
     TRUE_FALSE, ["true"], 0.6),
    ("know_dust", "protection_knowledge", ItemType.SELECT_ONE, "长期吸入生产性粉尘，最主要可能引起的职业病是？",
     _choices("尘肺病", "近视", "胃炎", "关节炎"), ["a"], -1.4),
    ("know_noise_level", "protection_knowledge", ItemType.SELECT_ONE, "8 小时等效声级达到多少分贝（A）时，就应当采取听力保护措施？",
     _choices("60", "70", "85", "120"), ["c"], 1.0),
    ("know_hazards", "protection_knowledge", ItemType.SELECT_MULTIPLE, "下列哪些属于职业病危害因素？",
     _choices("粉尘", "噪声", "苯", "办公室绿植"), ["a", "b", "c"], 0.3),
    ("know_sign", "protection_knowledge", ItemType.TRUE_FALSE, "职业病危害警示标识中，黄色三角形的标识表示“警告”。",
     TRUE_FALSE, ["true"], 0.2),
    ("know_deafness", "protection_knowledge", ItemType.TRUE_FALSE, "职业性噪声聋一旦形成，一般很难恢复。",
     TRUE_FALSE, ["true"], -0.6),
    ("skill_mask", "protection_skills", ItemType.SELECT_ONE, "戴上防尘口罩以后，首先应当做什么？",
     _choices("检查气密性", "把鼻夹松开透气", "拉到下巴以下", "什么都不用做"), ["a"], 0.1),
    ("skill_earplug", "protection_skills", ItemType.SELECT_ONE, "泡沫耳塞的正确戴法是？",
     _choices("直接塞进耳朵", "搓细后塞入耳道，按住等它膨胀", "只塞进一半", "用纸巾代替"), ["b"], 0.7),
    ("skill_confined", "protection_skills", ItemType.SELECT_ONE, "发现工友在有限空间内晕倒，正确的做法是？",
     _choices("马上进去把人拉出来", "先报告，通风检测并做好防护后再施救", "离开现场", "在外面大声呼喊即可"), ["b"], 0.4),
    ("skill_eyewash", "protection_skills", ItemType.TRUE_FALSE, "化学品溅入眼睛，应立即用大量流动清水冲洗至少 15 分钟。",
     TRUE_FALSE, ["true"], -0.3),
    ("skill_ppe_broken", "protection_skills", ItemType.TRUE_FALSE, "防护用品损坏了，可以先凑合用到下次发放。",
     TRUE_FALSE, ["false"], -0.8),
    ("habit_healthy", "healthy_behaviour", ItemType.SELECT_MULTIPLE, "下列哪些属于健康的工作方式？",
     _choices("工间适当活动", "不在作业场所进食、吸烟", "下班前更衣、洗手", "为赶工长时间连续加班"), ["a", "b", "c"], 0.9),
    ("habit_eating", "healthy_behaviour", ItemType.TRUE_FALSE, "在有毒作业场所可以喝水、吃东西。",
     TRUE_FALSE, ["false"], -1.0),
    ("habit_stress", "healthy_behaviour", ItemType.SELECT_ONE, "感到工作压力过大时，比较合适的做法是？",
     _choices("向同事、家人或专业人员求助", "喝酒解压", "一个人硬扛", "自行服用安眠药"), ["a"], -0.9),
    ("habit_screen", "healthy_behaviour", ItemType.TRUE_FALSE, "长时间看屏幕工作，每隔一段时间应当远眺休息。",
     TRUE_FALSE, ["true"], -1.3),
    ("habit_workwear", "healthy_behaviour", ItemType.TRUE_FALSE, "沾染粉尘或化学品的工作服可以带回家和家人衣物一起洗。",
     TRUE_FALSE, ["false"], 0.5),
]

GROUP_CHOICES = [{"value": value, "label": str(label)} for value, label in PostRole.choices if value != PostRole.OTHER]


def questionnaire_items() -> list[dict[str, Any]]:
    """The demo questionnaire's items, in order, as Item fields."""
    from surveys.models import AgeGroup, Education, Sex

    rows: list[dict[str, Any]] = [
        dict(code="group", kind=ItemKind.RESPONDENT, type=ItemType.SELECT_ONE, label="您的岗位类别",
             respondent_field="group", choices=GROUP_CHOICES),
        dict(code="sex", kind=ItemKind.RESPONDENT, type=ItemType.SELECT_ONE, label="性别", respondent_field="sex",
             choices=[{"value": value, "label": str(label)} for value, label in Sex.choices]),
        dict(code="age", kind=ItemKind.RESPONDENT, type=ItemType.SELECT_ONE, label="年龄", respondent_field="age_group",
             choices=[{"value": value, "label": str(label)} for value, label in AgeGroup.choices]),
        dict(code="education", kind=ItemKind.RESPONDENT, type=ItemType.SELECT_ONE, label="文化程度",
             respondent_field="education",
             choices=[{"value": value, "label": str(label)} for value, label in Education.choices]),
        dict(code="years", kind=ItemKind.RESPONDENT, type=ItemType.INTEGER, label="接触职业病危害因素的工龄（年）",
             respondent_field="years_exposed", min_value=0, max_value=60, required=False),
        dict(code="noise", kind=ItemKind.RESPONDENT, type=ItemType.SELECT_ONE, label="您的工作岗位是否接触噪声？",
             choices=YES_NO),
        dict(code="intro_knowledge", kind=ItemKind.NOTE, type=ItemType.NOTE, required=False,
             label="以下是职业健康知识题，请按您的理解作答，不会的可以不答。"),
    ]
    for code, dimension, kind, label, choices, answer, _difficulty in KNOWLEDGE:
        rows.append(dict(code=code, kind=ItemKind.KNOWLEDGE, type=kind, label=label, choices=choices, answer=answer,
                         points=1, dimension_id=dimension, required=False))
    rows.append(dict(code="earplug", kind=ItemKind.BEHAVIOUR, type=ItemType.SELECT_ONE,
                     label="在噪声岗位工作时，您是否正确佩戴防噪音耳塞或耳罩？", relevant="${noise} = 'yes'",
                     choices=[*YES_NO, {"value": "na", "label": "单位未配发 / 不适用"}], yes_value="yes",
                     not_applicable_value="na", indicator_code="earplug"))
    return rows


def questionnaire_seed(*, actor: User | None) -> tuple[Questionnaire, bool]:
    existing = Questionnaire.objects.filter(form_id=FORM_ID).first()
    if existing is not None:
        return existing, False
    from surveys.services.questionnaires import questionnaire_save

    questionnaire = Questionnaire(title="劳动者职业健康素养（知晓率）调查问卷", form_id=FORM_ID, version="2026.1",
                                  threshold=Decimal("0.80"),
                                  intro="本问卷用于了解重点人群的职业健康知识知晓情况，匿名填写，约 5 分钟。"
                                        "结果只做统计，不会用于考核个人。")
    indicators = {indicator.code: indicator for indicator in Indicator.objects.all()}
    items = []
    for position, row in enumerate(questionnaire_items()):
        indicator_code = row.pop("indicator_code", "")
        items.append(Item(sort_order=position, indicator=indicators.get(indicator_code), **row))
    questionnaire.items = items
    return questionnaire_save(actor=actor, questionnaire=questionnaire, create=True), True


@dataclass(frozen=True)
class DemoWave:
    title: str  # {year} is the year the wave opens
    region: str
    opens_days_ago: int
    days: int
    shift: float  # added to every respondent's literacy: last year's wave knew less
    sample: float  # share of each stratum's quota that has answered


# The current 徐州 wave is still open (a worker can answer it on the demo); the others are closed.
WAVES = [
    DemoWave("{year} 年徐州市重点人群职业健康知识知晓率调查", "320300", 395, 45, -0.55, 0.8),
    DemoWave("{year} 年徐州市重点人群职业健康知识知晓率调查", "320300", 25, 60, 0.0, 0.92),
    DemoWave("{year} 年河源市重点人群职业健康知识知晓率调查", "441600", 50, 40, -0.2, 0.9),
]

# Literacy means by group and by employer size: managers know most, small employers' exposed
# workers least (as the national round found).
GROUP_MEAN = {PostRole.MANAGER: 2.4, PostRole.PRINCIPAL: 1.7, PostRole.EXPOSED: 0.9}
SIZE_SHIFT = {"large": 0.6, "medium": 0.0, "small": -0.55, "micro": -0.8}
POPULATION = {PostRole.EXPOSED: (1800, 6000), PostRole.MANAGER: (60, 220), PostRole.PRINCIPAL: (30, 120)}
QUOTA = {PostRole.EXPOSED: 90, PostRole.MANAGER: 20, PostRole.PRINCIPAL: 14}
NOISY_SECTIONS = {"B", "C", "E"}


def _section(employer: Employer) -> str:
    industry = employer.industry
    return industry.parent_id or industry.code


def _wave_seed(spec: DemoWave, questionnaire: Questionnaire, actor: User | None,
               rng: random.Random, now: dt.datetime) -> tuple[Wave, bool]:
    opens = timezone.localtime(now - dt.timedelta(days=spec.opens_days_ago)).replace(hour=8, minute=0, second=0,
                                                                                      microsecond=0)
    title = spec.title.format(year=opens.year)
    existing = Wave.objects.filter(title=title).first()
    if existing is not None:
        return existing, False
    from surveys.services.waves import wave_save

    wave = Wave(questionnaire=questionnaire, title=title, region=Region.objects.get(code=spec.region),
                opens_at=opens, closes_at=opens + dt.timedelta(days=spec.days),
                groups=[PostRole.EXPOSED, PostRole.MANAGER, PostRole.PRINCIPAL], open_link=True)
    wave = wave_save(actor=actor, wave=wave, create=True)
    for employer in _employers(wave):
        for group, (low, high) in POPULATION.items():
            Stratum.objects.get_or_create(
                wave=wave, region=employer.region, industry_id=_section(employer), group=group,
                defaults={"population": rng.randint(low, high), "quota": QUOTA[group]},
            )
    return wave, True


def _employers(wave: Wave) -> list[Employer]:
    prefix = Region.prefix_of(wave.region.code, wave.region.level)
    return list(Employer.objects.filter(region__code__startswith=prefix).select_related("region", "industry")
                .order_by("pk"))


def _answers(rng: random.Random, literacy: float, group: str, noisy: bool) -> dict[str, Any]:
    from surveys.models import AgeGroup, Education, Sex

    answers: dict[str, Any] = {
        "group": group,
        "sex": rng.choices(Sex.values, weights=(68, 32))[0],
        "age": rng.choices(AgeGroup.values, weights=(10, 30, 30, 22, 8))[0],
        "education": rng.choices(Education.values, weights=(8, 30, 32, 18, 12) if group == PostRole.EXPOSED
                                 else (1, 6, 18, 30, 45))[0],
        "years": rng.randint(0, 25),
        "noise": "yes" if noisy and rng.random() < 0.8 else "no",
    }
    for code, _dimension, kind, _label, choices, answer, difficulty in KNOWLEDGE:
        right = rng.random() < 0.2 + 0.8 / (1 + math.exp(-1.6 * (literacy - difficulty)))
        if right:
            answers[code] = list(answer) if kind == ItemType.SELECT_MULTIPLE else answer[0]
        elif rng.random() < 0.1:
            continue  # left blank: scored wrong
        elif kind == ItemType.SELECT_MULTIPLE:
            answers[code] = [value for value in answer[:-1]] or [choices[-1]["value"]]
        else:
            wrong = [choice["value"] for choice in choices if choice["value"] not in answer]
            answers[code] = rng.choice(wrong)
    if answers["noise"] == "yes":
        # Wearing follows knowing how, mostly.
        chance = 0.45 + 0.45 / (1 + math.exp(-(literacy - 0.8)))
        answers["earplug"] = "yes" if rng.random() < chance else rng.choice(["no", "no", "na"])
    return answers


def _responses_seed(wave: Wave, spec: DemoWave, actor: User | None, rng: random.Random, now: dt.datetime) -> int:
    from surveys.services.waves import link_for, tokens_issue

    if Response.objects.filter(wave=wave).exists():
        return 0
    created = 0
    span = (min(wave.closes_at, now) - wave.opens_at).total_seconds()
    for employer in _employers(wave):
        link: WaveLink = link_for(actor=actor, wave=wave, employer=employer)
        section = _section(employer)
        for group, mean in GROUP_MEAN.items():
            stratum = Stratum.objects.filter(wave=wave, region=employer.region, industry_id=section, group=group).first()
            if stratum is None or stratum.quota is None:
                continue
            count = round(stratum.quota * spec.sample * rng.uniform(0.85, 1.0))
            # The system back-fills past waves; a person may not issue codes for a closed one.
            tokens = tokens_issue(actor=None, wave=wave, count=count, link=link)
            centre = mean + SIZE_SHIFT.get(employer.size_class, 0.0) + spec.shift
            for token in tokens:
                literacy = rng.gauss(centre, 0.9)
                answers = _answers(rng, literacy, group, section in NOISY_SECTIONS)
                moment = wave.opens_at + dt.timedelta(seconds=rng.uniform(0, span * 0.98))
                try:
                    response_submit(wave=wave, answers=answers, link=link, token=token.token,
                                    started_at=moment - dt.timedelta(minutes=rng.uniform(3, 9)), now=moment)
                except ResponseRefused as refused:
                    if refused.code != "quota_full":
                        raise RuntimeError(f"demo response refused: {refused.code} {refused}") from refused
                    continue
                created += 1
    return created


def seed_demo(*, seed: int = 2026, now: dt.datetime | None = None) -> dict[str, int]:
    """Seed the questionnaire, the waves with their frames and the responses (see the module docstring)."""
    now = now or timezone.now()
    rng = random.Random(seed)  # noqa: S311 - simulation, not secrets
    editor = User.objects.filter(username="editor").first()
    admin = User.objects.filter(username="admin").first()
    questionnaire, created = questionnaire_seed(actor=editor)
    counts = {"questionnaires_created": int(created), "waves_created": 0, "responses_created": 0}
    for spec in WAVES:
        wave, was_created = _wave_seed(spec, questionnaire, admin, rng, now)
        counts["waves_created"] += int(was_created)
        counts["responses_created"] += _responses_seed(wave, spec, admin, rng, now)
    return counts
