"""Demo data for the four regions of the plans: employers in priority industries, their rosters
and one login per role. Everything goes through the services, as a real admin's work would."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from orgs.idnumbers import id_number_make, uscc_make
from orgs.models import Employer, Region, User, Worker
from orgs.services import (
    activation_code_issue,
    employer_admin_grant,
    employer_create,
    evaluator_grant,
    roster_rows_import,
    staff_user_create,
    worker_account_activate,
)
from orgs.services.roster_columns import COLUMNS

DEMO_PASSWORD = "Demo@2025"  # noqa: S105 - documented in the README, demo only
WORKER_PHONE = "13800000001"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强海燕红梅文斌玉兰俊峰晓东春生德明"


@dataclass(frozen=True)
class DemoEmployer:
    name: str
    county: str
    industry: str
    size: str
    headcount: int
    departments: tuple[tuple[str, str, tuple[str, ...]], ...]  # (department, post, hazards)


def _d(name: str, post: str, *hazards: str) -> tuple[str, str, tuple[str, ...]]:
    return (name, post, hazards)


DUST_MINE = _d("综采一队", "采煤机司机", "煤尘", "噪声", "井下不良作业条件")
EMPLOYERS: tuple[DemoEmployer, ...] = (
    DemoEmployer("徐州云龙矿业有限公司", "320305", "06", "large", 90, (
        DUST_MINE, _d("掘进二队", "掘进工", "矽尘（游离SiO2含量≥10%）", "噪声", "振动"),
        _d("机电队", "维修电工", "噪声"), _d("通风区", "测风工", "煤尘"))),
    DemoEmployer("徐州铜山钢铁有限公司", "320312", "31", "large", 80, (
        _d("炼铁厂", "高炉炉前工", "高温", "一氧化碳", "噪声"), _d("炼钢厂", "转炉工", "高温", "金属烟"),
        _d("轧钢厂", "轧钢工", "噪声", "高温"))),
    DemoEmployer("徐州泉山化工有限公司", "320311", "26", "medium", 60, (
        _d("合成车间", "操作工", "苯", "甲苯", "二甲苯"), _d("储运部", "装卸工", "氨", "硫化氢"),
        _d("质检中心", "化验员", "甲醛"))),
    DemoEmployer("邳州建材股份有限公司", "320382", "30", "medium", 55, (
        _d("粉磨车间", "磨机工", "水泥粉尘", "噪声"), _d("窑炉车间", "看火工", "高温", "矽尘（游离SiO2含量≥10%）"))),
    DemoEmployer("徐州鼓楼建设工程有限公司", "320302", "47", "medium", 60, (
        _d("项目一部", "电焊工", "电焊烟尘", "锰及其化合物", "紫外线"), _d("项目二部", "木工", "木粉尘", "噪声"))),
    DemoEmployer("徐州市环境卫生服务中心", "320303", "78", "small", 35, (
        _d("清运队", "清运工", "硫化氢", "噪声"), _d("保洁队", "保洁员"))),
    DemoEmployer("徐州市第四人民医院", "320311", "84", "large", 50, (
        _d("放射科", "放射技师", "X射线装置（含CT机）产生的电离辐射"),
        _d("检验科", "检验技师", "艾滋病病毒"), _d("护理部", "护士"))),
    DemoEmployer("徐州汽车运输集团有限公司", "320303", "54", "medium", 40, (
        _d("修理厂", "汽修工", "噪声", "汽油"), _d("客运部", "驾驶员", "噪声"))),
    DemoEmployer("河源紫金矿产有限公司", "441621", "09", "medium", 55, (
        _d("采矿车间", "凿岩工", "矽尘（游离SiO2含量≥10%）", "噪声", "振动"), _d("选矿车间", "浮选工", "噪声"))),
    DemoEmployer("河源源城电子科技有限公司", "441602", "39", "medium", 55, (
        _d("SMT车间", "贴片操作员", "铅及其化合物（不包括四乙基铅）"), _d("清洗车间", "清洗工", "正己烷"),
        _d("组装车间", "装配工"))),
    DemoEmployer("东源县陶瓷有限公司", "441625", "30", "small", 40, (
        _d("原料车间", "配料工", "矽尘（游离SiO2含量≥10%）", "陶土粉尘"), _d("烧成车间", "窑工", "高温"))),
    DemoEmployer("河源市龙川家具制造有限公司", "441622", "21", "small", 30, (
        _d("木工车间", "锯木工", "木粉尘", "噪声"), _d("油漆车间", "喷漆工", "苯", "甲苯", "二甲苯"))),
    DemoEmployer("运城盐湖化工集团有限公司", "140802", "26", "large", 70, (
        _d("硫酸车间", "操作工", "二氧化硫"), _d("烧碱车间", "电解工", "氯气", "噪声"),
        _d("仪表车间", "仪表工"))),
    DemoEmployer("河津铝业有限公司", "140882", "32", "large", 60, (
        _d("电解车间", "电解工", "氟及其无机化合物", "高温"), _d("氧化铝车间", "焙烧工", "铝尘", "噪声"))),
    DemoEmployer("永济铸造有限公司", "140881", "33", "medium", 45, (
        _d("铸造车间", "造型工", "铸造粉尘", "矽尘（游离SiO2含量≥10%）"), _d("清理车间", "打磨工", "砂轮磨尘", "噪声"))),
    DemoEmployer("运城市盐湖区第二中学", "140802", "83", "small", 25, (
        _d("实验室", "化学实验员", "甲醛"), _d("教务处", "教师"))),
    DemoEmployer("包头稀土新材料有限公司", "150202", "32", "large", 60, (
        _d("冶炼车间", "冶炼工", "稀土粉尘（游离SiO2含量<10%）", "高温"), _d("萃取车间", "萃取工", "氨"))),
    DemoEmployer("鄂尔多斯准格尔煤业有限公司", "150622", "06", "large", 70, (
        _d("露天采区", "挖掘机司机", "煤尘", "噪声", "振动"), _d("洗煤厂", "洗煤工", "煤尘", "噪声"))),
    DemoEmployer("呼和浩特乳业有限公司", "150104", "14", "medium", 40, (
        _d("灌装车间", "灌装工", "噪声"), _d("冷库", "搬运工", "低温"))),
    DemoEmployer("鄂尔多斯东胜建筑工程有限公司", "150602", "48", "medium", 45, (
        _d("桥梁项目部", "电焊工", "电焊烟尘", "锰及其化合物"), _d("隧道项目部", "爆破工", "矽尘（游离SiO2含量≥10%）", "噪声"))),
)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _credit_code(index: int, region: str) -> str:
    return uscc_make("91", region, f"MA{index:07d}")


def _roster_rows(demo: DemoEmployer, rng: random.Random, used_phones: set[str], first: bool) -> list[list[Any]]:
    rows = []
    today = dt.date.today()
    for number in range(demo.headcount):
        department, post, hazards = demo.departments[number % len(demo.departments)]
        role = "接害劳动者" if hazards else "其他"
        if number == 0:
            department, post, hazards, role = "总经理办公室", "总经理", (), "主要负责人"
        elif number == 1:
            department, post, hazards, role = "安全环保部", "职业卫生专员", (), "职业卫生管理人员"
        birth = dt.date(rng.randint(1968, 2003), rng.randint(1, 12), rng.randint(1, 28))
        id_number = id_number_make(demo.county, birth, rng.randint(0, 999))
        phone = WORKER_PHONE if first and number == 2 else ""
        while not phone or phone in used_phones:
            phone = rng.choice(("135", "136", "139", "150", "158", "186", "187")) + f"{rng.randint(0, 99999999):08d}"
        used_phones.add(phone)
        hired = today - dt.timedelta(days=rng.randint(20, 365 * 15))
        rows.append([_name(rng), id_number, phone, department, post, role, "、".join(hazards), hired.isoformat()])
    return rows


@transaction.atomic
def seed_demo(*, seed: int = 2025) -> dict[str, int]:
    """Idempotent: employers that already exist are left as they are; logins are (re)set."""
    rng = random.Random(seed)
    used_phones = set(Worker.objects.values_list("phone", flat=True))
    columns = {column.key: position for position, column in enumerate(COLUMNS)}
    employers: list[Employer] = []
    created = 0
    for index, demo in enumerate(EMPLOYERS):
        credit_code = _credit_code(index + 1, demo.county)
        employer = Employer.objects.filter(credit_code=credit_code).first()
        rows = _roster_rows(demo, rng, used_phones, first=index == 0)
        if employer is None:
            employer = employer_create(actor=None, name=demo.name, credit_code=credit_code, region_code=demo.county,
                                       industry_code=demo.industry, size_class=demo.size,
                                       address=Region.objects.get(code=demo.county).name)
            check = roster_rows_import(actor=None, employer=employer, rows=enumerate(rows, start=2), columns=columns)
            if not check.ok:
                raise RuntimeError(f"demo roster for {demo.name} failed: {check.errors[:3]}")
            created += check.new
        employers.append(employer)
    _personas(employers[0])
    return {"employers": len(employers), "workers_created": created}


def _personas(first_employer: Employer) -> None:
    admin = staff_user_create(actor=None, username="admin", password=DEMO_PASSWORD, full_name="平台管理员",
                              is_superuser=True)
    employer_admin = staff_user_create(actor=admin, username="employer", password=DEMO_PASSWORD, full_name="单位管理员")
    employer_admin_grant(actor=admin, employer=first_employer, user=employer_admin)
    evaluator = staff_user_create(actor=admin, username="evaluator", password=DEMO_PASSWORD, full_name="徐州市疾控评估员")
    evaluator_grant(actor=admin, user=evaluator, region=Region.objects.get(code="320300"))
    worker = Worker.objects.get(phone=WORKER_PHONE)
    user: User = worker.user
    if not user.has_usable_password():
        # As a worker would: the admin hands out a code, the worker activates with it.
        issued = activation_code_issue(actor=employer_admin, worker=worker)
        worker_account_activate(phone=WORKER_PHONE, code=issued.code, password=DEMO_PASSWORD)
    else:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
