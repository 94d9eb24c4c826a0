"""The statutory training programmes (shipped as data; editors link their courses and exams and
may add more), and the day ledger filled from the heartbeats already credited."""

from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import migrations
from django.db.models import F, Sum
from django.db.models.functions import TruncDate

LAW = "《中华人民共和国职业病防治法》第三十四条；《工作场所职业卫生管理规定》（2020）第十条、第十一条"
# code, name, role, kind, hours, due days, basis
STATUTORY = [
    ("principal-initial", "主要负责人初次职业卫生培训", "principal", "initial", "16", 90,
     f"{LAW}。主要负责人应当接受职业卫生培训，初次培训不少于 16 学时。"),
    ("principal-annual", "主要负责人年度职业卫生继续教育", "principal", "annual", "8", 365,
     f"{LAW}。主要负责人此后每年接受继续教育不少于 8 学时。"),
    ("manager-initial", "职业卫生管理人员初次培训", "manager", "initial", "16", 90,
     f"{LAW}。职业卫生管理人员应当接受职业卫生培训，初次培训不少于 16 学时。"),
    ("manager-annual", "职业卫生管理人员年度继续教育", "manager", "annual", "8", 365,
     f"{LAW}。职业卫生管理人员此后每年接受继续教育不少于 8 学时。"),
    ("exposed-pre-job", "接害劳动者上岗前职业卫生培训", "exposed", "pre_job", "8", 30,
     f"{LAW}。接触职业病危害的劳动者上岗前应当接受职业卫生培训，不少于 8 学时。"),
    ("exposed-annual", "接害劳动者在岗期间定期培训", "exposed", "annual", "4", 365,
     f"{LAW}。在岗期间每年接受定期培训不少于 4 学时。"),
    ("exposed-retraining", "接害劳动者岗位变更再培训", "exposed", "retraining", "8", 30,
     f"{LAW}。因变更工艺、技术、设备、材料或者岗位调整导致接触的职业病危害因素发生变化的，"
     "应当重新进行上岗前的职业卫生培训。"),
]


def programmes_add(apps, schema_editor):
    Programme = apps.get_model("learning", "Programme")
    for position, (code, name, role, kind, hours, due_days, basis) in enumerate(STATUTORY, start=1):
        Programme.objects.update_or_create(code=code, defaults={
            "name": name, "role": role, "kind": kind, "required_hours": Decimal(hours), "due_days": due_days,
            "auto_assign": True, "statutory": True, "legal_basis": basis, "position": position * 10})


def programmes_remove(apps, schema_editor):
    apps.get_model("learning", "Programme").objects.filter(code__in=[row[0] for row in STATUTORY]).delete()


def days_fill(apps, schema_editor):
    Heartbeat = apps.get_model("learning", "Heartbeat")
    StudyDay = apps.get_model("learning", "StudyDay")
    rows = (Heartbeat.objects.filter(credited_seconds__gt=0, session__isnull=False)
            .annotate(day=TruncDate("credited_to", tzinfo=ZoneInfo("Asia/Shanghai")))
            .values("worker_id", "day", course=F("session__enrolment__course_id"))
            .annotate(seconds=Sum("credited_seconds")).order_by())
    StudyDay.objects.bulk_create([StudyDay(worker_id=row["worker_id"], course_id=row["course"], day=row["day"],
                                           seconds=row["seconds"]) for row in rows.iterator()], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("learning", "0005_programmes")]

    operations = [
        migrations.RunPython(programmes_add, programmes_remove),
        migrations.RunPython(days_fill, migrations.RunPython.noop),
    ]
