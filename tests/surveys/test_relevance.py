import pytest

from core.errors import ServiceError
from surveys.services.relevance import relevant_check, relevant_evaluate, relevant_refs

ANSWERS = {"noise": "yes", "age": 30, "hazards": ["noise", "dust"], "sex": "female", "empty": ""}


@pytest.mark.parametrize(("expression", "expected"), [
    ("", True),
    ("${noise} = 'yes'", True),
    ('${noise} = "no"', False),
    ("${noise} != 'no'", True),
    ("${age} >= 25 and ${age} < 35", True),
    ("${age} > 30", False),
    ("${age} > '30'", False),
    ("selected(${hazards}, 'dust')", True),
    ("selected(${hazards}, 'chemical')", False),
    ("count-selected(${hazards}) = 2", True),
    ("count-selected(${missing}) = 0", True),
    ("not(${sex} = 'male')", True),
    ("${sex} = 'male' or (${noise} = 'yes' and ${age} < 40)", True),
    ("${missing} = ''", True),
    ("${missing} > 3", False),  # an unanswered item is no number: every order is false
    ("${empty} < 3", False),
    ("${noise}", True),
    ("${empty}", False),
    ("true()", True),
    ("false() or false()", False),
    ("${hazards} = 'noise dust'", True),  # a multiple choice reads as its values joined by spaces
])
def test_expressions_evaluate_as_xlsform_does(expression, expected):
    assert relevant_evaluate(expression, ANSWERS) is expected


@pytest.mark.parametrize(("expression", "message"), [
    ("${a} == 1", "显示条件“${a} == 1”无法识别：此处不应出现 ="),
    ("${later} = 1", "显示条件引用了前面没有的题目：later"),
    ("concat(${a}, 'x')", "显示条件“concat(${a}, 'x')”无法识别：不支持的函数 concat()"),
    ("(${a} = 1", "显示条件“(${a} = 1”无法识别：应为 )，实为 表达式结尾"),
    ("${a} = 1 ${a}", "显示条件“${a} = 1 ${a}”无法识别：多余的内容：a"),
    ("${a b} = 1", "显示条件“${a b} = 1”无法识别：题目代码 a b 不合规"),
    (". > 3", "显示条件“. > 3”无法识别：第 1 个字符附近无法识别"),
])
def test_unreadable_or_forward_expressions_are_refused_with_the_reason(expression, message):
    with pytest.raises(ServiceError) as refused:
        relevant_check(expression, ["a"])
    assert str(refused.value) == message


def test_a_long_expression_is_refused_and_refs_are_listed():
    with pytest.raises(ServiceError, match="显示条件过长"):
        relevant_check("${a} = 1 or " * 60 + "${a} = 2", ["a"])
    assert relevant_refs("${a} = 1 and selected(${b}, 'x')") == {"a", "b"}
    relevant_check("${a} = 1", ["a"])  # readable and looking back: accepted


def test_a_stored_expression_that_cannot_be_read_shows_the_item():
    assert relevant_evaluate("${a} ==", {}) is True
