"""GB 11643 resident ID numbers and GB 32100 unified social credit codes."""

from __future__ import annotations

import datetime as dt

import pytest

from orgs.idnumbers import (
    InvalidIdNumber,
    id_check_character,
    id_number_birth_date,
    id_number_clean,
    id_number_is_valid,
    id_number_make,
    id_number_mask,
    id_number_sex,
    uscc_check_character,
    uscc_clean,
    uscc_make,
)

# The worked example printed in GB 11643-1999 (and on every explanation of it): check character X.
STANDARD_EXAMPLE = "11010519491231002X"
VALID = id_number_make("320303", dt.date(1985, 6, 1), 11)
# A code widely cited as a GB 32100 example (Fujian, organisation code M000100Y4).
USCC_EXAMPLE = "91350100M000100Y43"


def _with_wrong_check(number: str) -> tuple[str, str]:
    expected = number[17]
    wrong = "0" if expected != "0" else "1"
    return number[:17] + wrong, expected


def test_it_accepts_the_standard_example_with_x_check() -> None:
    assert id_check_character(STANDARD_EXAMPLE[:17]) == "X"
    assert id_number_clean(STANDARD_EXAMPLE) == STANDARD_EXAMPLE


def test_it_computes_the_mod_11_2_check_character() -> None:
    # 11010519491231002: weighted sum 167, 167 % 11 = 2 → "X"; with the sequence 003 the sum is 169
    # → 169 % 11 = 4 → "8".
    assert id_check_character("11010519491231003") == "8"
    assert id_number_make("110105", dt.date(1949, 12, 31), 2) == STANDARD_EXAMPLE


@pytest.mark.parametrize("sequence", [0, 7, 11, 500, 999])
def test_it_accepts_numbers_built_with_id_number_make(sequence: int) -> None:
    number = id_number_make("440304", dt.date(1990, 1, 1), sequence)
    assert len(number) == 18
    assert id_number_clean(number) == number
    assert id_number_is_valid(number)


def test_it_accepts_a_lower_case_x() -> None:
    assert id_number_clean(STANDARD_EXAMPLE.lower()) == STANDARD_EXAMPLE


def test_it_accepts_full_width_digits_and_spaces() -> None:
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in VALID)
    assert id_number_clean(f" {full_width[:6]} {full_width[6:]}\u3000") == VALID


def test_it_accepts_a_trailing_dot_zero_from_a_text_export() -> None:
    assert id_number_clean(VALID + ".0") == VALID


def test_it_refuses_a_float_from_excel_and_says_to_use_text() -> None:
    with pytest.raises(InvalidIdNumber) as excinfo:
        id_number_clean(float(VALID))
    assert "数字" in str(excinfo.value)
    assert "文本" in str(excinfo.value)


@pytest.mark.parametrize("shown", ["3.20303E+17", "3.20303198506011E+17", "３.２０３０３Ｅ＋１７"])
def test_it_refuses_scientific_notation(shown: str) -> None:
    with pytest.raises(InvalidIdNumber) as excinfo:
        id_number_clean(shown)
    assert "科学计数法" in str(excinfo.value)
    assert "文本" in str(excinfo.value)


def test_it_refuses_a_15_digit_number() -> None:
    with pytest.raises(InvalidIdNumber) as excinfo:
        id_number_clean("320303850601011")
    assert "15位" in str(excinfo.value)
    assert "18位" in str(excinfo.value)


@pytest.mark.parametrize(("value", "length"), [("3203031985060101", 16), ("32030319850601011X1", 19)])
def test_it_says_how_many_characters_it_got(value: str, length: int) -> None:
    with pytest.raises(InvalidIdNumber, match=f"应为18位，这里是{length}位"):
        id_number_clean(value)


def test_it_refuses_letters_inside_the_number() -> None:
    with pytest.raises(InvalidIdNumber, match="前17位应为数字"):
        id_number_clean("32030319850A011234")


def test_it_refuses_a_birth_date_that_does_not_exist() -> None:
    first17 = "32030319850230011"  # 30 February
    with pytest.raises(InvalidIdNumber) as excinfo:
        id_number_clean(first17 + id_check_character(first17))
    assert "19850230" in str(excinfo.value)
    assert "不存在" in str(excinfo.value)


@pytest.mark.parametrize("birth", ["18991231", "tomorrow"])
def test_it_refuses_an_unreasonable_birth_date(birth: str) -> None:
    if birth == "tomorrow":
        # Worked out when the test runs, not when it is collected: a suite that crosses midnight
        # (in TIME_ZONE, which Django makes the process's own) would otherwise test today.
        birth = (dt.date.today() + dt.timedelta(days=1)).strftime("%Y%m%d")
    first17 = f"320303{birth}011"
    with pytest.raises(InvalidIdNumber) as excinfo:
        id_number_clean(first17 + id_check_character(first17))
    assert birth in str(excinfo.value)
    assert "不合理" in str(excinfo.value)


def test_it_names_the_expected_check_character() -> None:
    wrong, expected = _with_wrong_check(VALID)
    with pytest.raises(InvalidIdNumber) as excinfo:
        id_number_clean(wrong)
    assert "校验位" in str(excinfo.value)
    assert f"应为 {expected}" in str(excinfo.value)
    assert not id_number_is_valid(wrong)


def test_it_names_x_when_x_is_the_expected_check_character() -> None:
    with pytest.raises(InvalidIdNumber, match="应为 X"):
        id_number_clean(STANDARD_EXAMPLE[:17] + "0")


def test_it_masks_all_but_the_first_six_and_last_four() -> None:
    assert id_number_mask(STANDARD_EXAMPLE) == "110105********002X"
    assert len(id_number_mask(VALID)) == 18


def test_it_masks_short_values_entirely() -> None:
    assert id_number_mask("123456789") == "*********"


def test_it_reads_birth_date_and_sex() -> None:
    assert id_number_birth_date(STANDARD_EXAMPLE) == dt.date(1949, 12, 31)
    assert id_number_sex(STANDARD_EXAMPLE) == "F"  # sequence 002: even
    assert id_number_sex(id_number_make("110105", dt.date(1949, 12, 31), 3)) == "M"


def test_it_accepts_a_known_credit_code() -> None:
    assert uscc_check_character(USCC_EXAMPLE[:17]) == "3"
    assert uscc_clean(USCC_EXAMPLE) == USCC_EXAMPLE


def test_it_accepts_a_credit_code_in_lower_case_with_spaces() -> None:
    assert uscc_clean(" 91350100m000100y43 ") == USCC_EXAMPLE


def test_it_accepts_credit_codes_built_with_uscc_make() -> None:
    code = uscc_make("91", "320303", "MA1XYW7K0")
    assert len(code) == 18
    assert uscc_clean(code) == code


def test_it_names_the_expected_credit_code_check_character() -> None:
    wrong = USCC_EXAMPLE[:17] + "4"
    with pytest.raises(ValueError, match="GB 32100 应为 3"):
        uscc_clean(wrong)


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_it_refuses_letters_the_credit_code_never_uses(letter: str) -> None:
    with pytest.raises(ValueError, match="不允许的字符"):
        uscc_clean(USCC_EXAMPLE[:8] + letter + USCC_EXAMPLE[9:])


def test_it_refuses_a_credit_code_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="应为18位，这里是17位"):
        uscc_clean(USCC_EXAMPLE[:17])
