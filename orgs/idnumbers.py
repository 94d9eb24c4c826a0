"""Resident identity numbers (GB 11643-1999) and unified social credit codes (GB 32100-2015).

Both end in a check character; a number that fails it was mistyped or mangled by a spreadsheet,
so it is refused rather than stored.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext as _

from core.errors import ServiceError
from core.masking import id_number_mask  # noqa: F401 - re-exported for callers of orgs.idnumbers
from core.text import fold_upper

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"  # ISO 7064 MOD 11-2: index = sum % 11
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


class InvalidIdNumber(ServiceError):
    """The message says what is wrong, in words an office clerk can act on."""


def normalise_text(value: object) -> str:
    """Full-width digits and letters to half-width, spaces removed, letters upper-cased."""
    return fold_upper(value)


def id_check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_clean(value: object) -> str:
    """Return the canonical 18-character ID number or raise InvalidIdNumber saying why."""
    if isinstance(value, float):
        # Excel stores an ID typed as a number as a float with 15 significant digits: the last
        # three digits are already gone and cannot be recovered.
        raise InvalidIdNumber(_("身份证号被表格软件存成了数字，末几位已丢失；请把该列设为“文本”后重新填写"))
    text = normalise_text(value)
    if re.fullmatch(r"\d\.\d+E\+\d+", text):
        raise InvalidIdNumber(_("身份证号被表格软件显示成科学计数法，末几位已丢失；请把该列设为“文本”后重新填写"))
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if len(text) == 15 and text.isdigit():
        raise InvalidIdNumber(_("这是15位旧身份证号，请填写18位身份证号"))
    if len(text) != 18:
        raise InvalidIdNumber(_("身份证号应为18位，这里是%(count)s位") % {"count": len(text)})
    if not _ID_SHAPE.match(text):
        raise InvalidIdNumber(_("身份证号前17位应为数字，最后一位为数字或X"))
    try:
        birth = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber(_("身份证号中的出生日期 %(date)s 不存在") % {"date": text[6:14]}) from exc
    if birth.year < 1900 or birth > dt.date.today():
        raise InvalidIdNumber(_("身份证号中的出生日期 %(date)s 不合理") % {"date": text[6:14]})
    expected = id_check_character(text[:17])
    if text[17] != expected:
        raise InvalidIdNumber(
            _("身份证号校验位错误（按 GB 11643 应为 %(expected)s），请核对是否输错") % {"expected": expected}
        )
    return text


def id_number_is_valid(value: object) -> bool:
    try:
        id_number_clean(value)
    except InvalidIdNumber:
        return False
    return True


def id_number_birth_date(id_number: str) -> dt.date:
    return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def id_number_sex(id_number: str) -> str:
    """'M' or 'F' from the parity of the sequence code's last digit."""
    return "M" if int(id_number[16]) % 2 else "F"


def id_number_make(region: str, birth: dt.date, sequence: int) -> str:
    """Build a valid number (demo data and tests): sequence is 0–999."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check_character(first17)


def uscc_check_character(first17: str) -> str:
    total = sum(_USCC_CHARS.index(char) * weight for char, weight in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def uscc_clean(value: object) -> str:
    """Return the canonical unified social credit code or raise ValueError saying why."""
    text = normalise_text(value)
    if len(text) != 18:
        raise ValueError(_("统一社会信用代码应为18位，这里是%(count)s位") % {"count": len(text)})
    if not _USCC_SHAPE.match(text):
        raise ValueError(_("统一社会信用代码含有不允许的字符（不使用 I、O、Z、S、V）"))
    expected = uscc_check_character(text[:17])
    if text[17] != expected:
        raise ValueError(_("统一社会信用代码校验位错误（按 GB 32100 应为 %(expected)s）") % {"expected": expected})
    return text


def uscc_make(prefix: str, region: str, body: str) -> str:
    """Build a valid code from a 2-char registration prefix, a 6-digit region and a 9-char body."""
    first17 = f"{prefix}{region}{body}"
    return first17 + uscc_check_character(first17)
