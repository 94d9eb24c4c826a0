"""The indicators the plans set and their targets (docs/indicators.md):

- 重点人群职业健康知识知晓率: ≥ 85 % nationally and ≥ 90 % in Xuzhou, for 2025 (indicator 5 of
  国家职业病防治规划（2021-2025年） and of 徐州市职业病防治规划（2021-2025年）);
- 防噪音耳塞或耳罩正确佩戴率: ≥ 80 % in Heyuan for 2025 (indicator 10 of 河源市职业病防治“十四五”规划).

A target stands after its year until a new one is entered (surveys.services.targets), so the
2025 values are those of 2026 too. Reversing removes exactly these rows.
"""

from decimal import Decimal

from django.db import migrations

INDICATORS = [
    {
        "code": "awareness",
        "name": "重点人群职业健康知识知晓率",
        "kind": "awareness",
        "definition": (
            "调查对象为重点人群（用人单位主要负责人、职业卫生管理人员和接触职业病危害的劳动者）。"
            "每名调查对象的得分率 = 答对知识题的得分 ÷ 应答知识题的总分（多选题全对才得分，漏答按答错计，"
            "因跳题逻辑不适用的题目不计入分子和分母）；得分率达到问卷规定的知晓标准（默认 80%）即为知晓。"
            "知晓率 = 知晓人数 ÷ 调查人数；有抽样框时按层加权，权重 = 该层总体人数 ÷ 该层答卷数。"
            "同时给出按 Wilson 方法计算的 95% 置信区间（加权时基于 Kish 有效样本量）。"
        ),
    },
    {
        "code": "earplug",
        "name": "防噪音耳塞或耳罩正确佩戴率",
        "kind": "behaviour",
        "definition": (
            "调查对象为重点行业用人单位接触噪声的劳动者。"
            "防噪音耳塞或耳罩正确佩戴率 = 回答“正确佩戴”的人数 ÷ 该题适用的人数；"
            "回答“不适用”或因跳题逻辑未作答的人不计入分母。有抽样框时按层加权，权重同知晓率。"
        ),
    },
]

TARGETS = [
    ("awareness", None, 2025, Decimal("0.8500"), "国家职业病防治规划（2021-2025年），主要指标（5）"),
    ("awareness", "320300", 2025, Decimal("0.9000"), "徐州市职业病防治规划（2021-2025年），主要指标（5）"),
    ("earplug", "441600", 2025, Decimal("0.8000"), "河源市职业病防治“十四五”规划（征求意见稿），主要指标 10"),
]


def seed(apps, schema_editor):
    Indicator = apps.get_model("surveys", "Indicator")
    Target = apps.get_model("surveys", "Target")
    Region = apps.get_model("orgs", "Region")
    for values in INDICATORS:
        Indicator.objects.update_or_create(code=values["code"], defaults=values)
    for indicator, region, year, value, source in TARGETS:
        if region is not None and not Region.objects.filter(code=region).exists():
            continue  # a trimmed catalogue (tests of other apps): no region, no target
        Target.objects.update_or_create(indicator_id=indicator, region_id=region, year=year,
                                        defaults={"value": value, "source": source})


def unseed(apps, schema_editor):
    Indicator = apps.get_model("surveys", "Indicator")
    Target = apps.get_model("surveys", "Target")
    for indicator, region, year, _value, _source in TARGETS:
        Target.objects.filter(indicator_id=indicator, region_id=region, year=year).delete()
    codes = [values["code"] for values in INDICATORS]
    # An indicator that items or later targets use stays: removing it would take their data along.
    for code in codes:
        if not Target.objects.filter(indicator_id=code).exists():
            Indicator.objects.filter(code=code, items__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0001_initial"),
        ("orgs", "0005_shared_layer_activation_transfers"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
