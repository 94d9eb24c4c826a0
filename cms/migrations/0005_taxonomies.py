"""The fixed lists articles are tagged with: readers and the four 职业健康素养 dimensions."""

from django.db import migrations

AUDIENCES = [
    ("principal", "主要负责人"),
    ("manager", "管理人员"),
    ("worker", "劳动者"),
    ("public", "公众"),
]
# 职业健康素养 has four dimensions (the national literacy monitoring questionnaire).
DIMENSIONS = [
    ("law", "职业健康法律知识"),
    ("protection_knowledge", "职业健康保护基本知识"),
    ("protection_skills", "职业健康保护基本技能"),
    ("healthy_behaviour", "健康工作方式和行为"),
]


def load(apps, schema_editor):
    Audience = apps.get_model("cms", "Audience")
    LiteracyDimension = apps.get_model("cms", "LiteracyDimension")
    for position, (code, name) in enumerate(AUDIENCES):
        Audience.objects.update_or_create(code=code, defaults={"name": name, "position": position})
    for position, (code, name) in enumerate(DIMENSIONS):
        LiteracyDimension.objects.update_or_create(code=code, defaults={"name": name, "position": position})


class Migration(migrations.Migration):
    dependencies = [("cms", "0004_knowledge_base")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
