"""The roster's columns: the headers of the template and of exports, and what each accepts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.text import nfkc
from orgs.models import PostRole


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool
    aliases: tuple[str, ...] = ()
    hint: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", True, ("名字", "员工姓名", "职工姓名"), "必填"),
    Column("id_number", "身份证号", True, ("身份证号码", "公民身份号码", "身份证", "证件号码"), "必填，18位；请设为文本格式"),
    Column("phone", "手机号", True, ("手机号码", "手机", "联系电话", "移动电话"), "必填，11位，用于登录"),
    Column("department", "部门", False, ("所在部门", "车间", "部门/车间"), "不存在的部门会自动建立"),
    Column("post", "岗位", False, ("岗位名称", "工种", "职务"), ""),
    Column("post_role", "岗位角色", True, ("人员类别", "角色", "人员类型"), "主要负责人、职业卫生管理人员、接害劳动者、其他"),
    Column("exposures", "接触危害因素", False, ("接触职业病危害因素", "危害因素", "职业病危害因素"), "多个用、或，分隔"),
    Column("hire_date", "入职日期", False, ("入职时间", "入厂日期", "参加工作日期"), "如 2024-03-01"),
    Column("is_active", "在岗", False, ("是否在岗", "在职", "是否在职"), "是 或 否；空白为“是”"),
)
ACTIVE_WORDS = {"": True, "是": True, "在岗": True, "在职": True, "Y": True, "YES": True, "1": True,
                "否": False, "离职": False, "N": False, "NO": False, "0": False}
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}

POST_ROLE_WORDS: dict[str, str] = {
    "主要负责人": PostRole.PRINCIPAL,
    "负责人": PostRole.PRINCIPAL,
    "职业卫生管理人员": PostRole.MANAGER,
    "职业健康管理人员": PostRole.MANAGER,
    "管理人员": PostRole.MANAGER,
    "接害劳动者": PostRole.EXPOSED,
    "接触职业病危害劳动者": PostRole.EXPOSED,
    "接触职业病危害的劳动者": PostRole.EXPOSED,
    "接害人员": PostRole.EXPOSED,
    "劳动者": PostRole.EXPOSED,
    "其他": PostRole.OTHER,
    "其它": PostRole.OTHER,
}
POST_ROLE_LABELS = {PostRole.PRINCIPAL: "主要负责人", PostRole.MANAGER: "职业卫生管理人员",
                    PostRole.EXPOSED: "接害劳动者", PostRole.OTHER: "其他"}


def header_key(text: object) -> str:
    """Fold a header cell: full-width to half-width, no spaces, no '*' marks, no bracketed notes
    such as （必填）."""
    folded = nfkc(text or "")
    folded = re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", folded)
    return re.sub(r"[\s*＊:：]", "", folded)


HEADER_LOOKUP: dict[str, str] = {}
for _column in COLUMNS:
    for _word in (_column.header, *_column.aliases):
        HEADER_LOOKUP[header_key(_word)] = _column.key
