"""Skip logic: the subset of XLSForm's ``relevant`` expressions a questionnaire may use.

Parsed into a small tree and evaluated by walking it, never with eval(): an expression comes from an
uploaded file. The phone evaluates the same grammar in surveys/static/surveys/answer.js; the server
evaluates it again when a response arrives, so a hidden item can be neither required nor answered.

    expr    := and ('or' and)*
    and     := compare ('and' compare)*
    compare := operand (('=' | '!=' | '<' | '<=' | '>' | '>=') operand)?
    operand := '(' expr ')' | 'not' '(' expr ')' | 'selected' '(' ref ',' literal ')'
             | 'count-selected' '(' ref ')' | 'true' '(' ')' | 'false' '(' ')' | ref | literal
    ref     := '${' code '}'      literal := 'text' | "text" | number
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _

from core.errors import ServiceError

MAX_EXPRESSION_LENGTH = 500

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<ref>\$\{(?P<code>[^}]*)\})
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>!=|<=|>=|=|<|>)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z][A-Za-z\-]*)
    )""",
    re.VERBOSE,
)
_CODE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


@dataclass(frozen=True)
class Ref:
    code: str


@dataclass(frozen=True)
class Literal:
    value: str | float


@dataclass(frozen=True)
class Compare:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Logic:
    op: str  # "and" | "or"
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


@dataclass(frozen=True)
class Call:
    name: str  # "selected" | "count-selected" | "true" | "false"
    args: tuple[Node, ...]


Node = Ref | Literal | Compare | Logic | Not | Call


class _Syntax(Exception):
    pass


def _tokens(expression: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = expression.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise _Syntax(_("第 %(position)s 个字符附近无法识别") % {"position": position + 1})
        kind = match.lastgroup or ""
        if kind == "code":
            kind = "ref"
        value = match.group("code") if match.group("ref") else match.group(kind)
        tokens.append((kind, value))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None) -> str:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            expected = value or kind
            found = token[1] if token else _("表达式结尾")
            raise _Syntax(_("应为 %(expected)s，实为 %(found)s") % {"expected": expected, "found": found})
        self.position += 1
        return token[1]

    def at(self, kind: str, value: str | None = None) -> bool:
        token = self.peek()
        return token is not None and token[0] == kind and (value is None or token[1] == value)

    def expression(self) -> Node:
        parts = [self.conjunction()]
        while self.at("word", "or"):
            self.position += 1
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Logic("or", tuple(parts))

    def conjunction(self) -> Node:
        parts = [self.comparison()]
        while self.at("word", "and"):
            self.position += 1
            parts.append(self.comparison())
        return parts[0] if len(parts) == 1 else Logic("and", tuple(parts))

    def comparison(self) -> Node:
        left = self.operand()
        if self.at("op"):
            op = self.take("op")
            return Compare(op, left, self.operand())
        return left

    def operand(self) -> Node:
        token = self.peek()
        if token is None:
            raise _Syntax(_("表达式不完整"))
        kind, value = token
        if kind == "punct" and value == "(":
            self.position += 1
            inner = self.expression()
            self.take("punct", ")")
            return inner
        if kind == "ref":
            self.position += 1
            if not _CODE.match(value):
                raise _Syntax(_("题目代码 %(code)s 不合规") % {"code": value})
            return Ref(value)
        if kind == "string":
            self.position += 1
            return Literal(value[1:-1])
        if kind == "number":
            self.position += 1
            return Literal(float(value))
        if kind == "word":
            return self.call(value)
        raise _Syntax(_("此处不应出现 %(token)s") % {"token": value})

    def call(self, name: str) -> Node:
        self.position += 1
        self.take("punct", "(")
        if name == "not":
            inner = self.expression()
            self.take("punct", ")")
            return Not(inner)
        if name in {"true", "false"}:
            self.take("punct", ")")
            return Call(name, ())
        if name == "selected":
            ref = self.operand()
            self.take("punct", ",")
            literal = self.operand()
            self.take("punct", ")")
            if not isinstance(ref, Ref) or not isinstance(literal, Literal):
                raise _Syntax(_("selected() 的写法应为 selected(${题目}, '选项')"))
            return Call(name, (ref, literal))
        if name == "count-selected":
            ref = self.operand()
            self.take("punct", ")")
            if not isinstance(ref, Ref):
                raise _Syntax(_("count-selected() 的写法应为 count-selected(${题目})"))
            return Call(name, (ref,))
        raise _Syntax(_("不支持的函数 %(name)s()") % {"name": name})


@lru_cache(maxsize=512)
def _parse(expression: str) -> Node:
    parser = _Parser(_tokens(expression))
    node = parser.expression()
    if parser.peek() is not None:
        raise _Syntax(_("多余的内容：%(token)s") % {"token": parser.peek()[1]})  # type: ignore[index]
    return node


def _refs(node: Node) -> set[str]:
    if isinstance(node, Ref):
        return {node.code}
    if isinstance(node, Compare):
        return _refs(node.left) | _refs(node.right)
    if isinstance(node, Logic):
        return set().union(*(_refs(part) for part in node.parts))
    if isinstance(node, Not):
        return _refs(node.part)
    if isinstance(node, Call):
        return set().union(set(), *(_refs(arg) for arg in node.args))
    return set()


def relevant_refs(expression: str) -> set[str]:
    """The item codes an expression reads (empty for an empty or unreadable one)."""
    try:
        return _refs(_parse(expression)) if expression.strip() else set()
    except _Syntax:
        return set()


def relevant_check(expression: str, codes: Collection[str]) -> None:
    """Refuse an expression this grammar cannot read, or one naming an item not in ``codes``
    (the items before it: skip logic looks back, never forward)."""
    if not expression.strip():
        return
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise ServiceError(_("显示条件过长（最多 %(limit)s 个字符）") % {"limit": MAX_EXPRESSION_LENGTH})
    try:
        node = _parse(expression)
    except _Syntax as error:
        raise ServiceError(_("显示条件“%(expression)s”无法识别：%(detail)s") % {
            "expression": expression, "detail": error}) from None
    unknown = sorted(_refs(node) - set(codes))
    if unknown:
        raise ServiceError(_("显示条件引用了前面没有的题目：%(codes)s") % {"codes": "、".join(unknown)})


def _scalar(value: Any) -> str:
    """An answer as XPath sees it: a multiple choice is its values joined by spaces; none is ''."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(str(part) for part in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _value(node: Node, answers: Mapping[str, Any]) -> Any:
    if isinstance(node, Ref):
        return _scalar(answers.get(node.code))
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Call) and node.name == "count-selected":
        value = answers.get(node.args[0].code)  # type: ignore[union-attr]
        if isinstance(value, list | tuple):
            return float(len(value))
        return float(len(_scalar(value).split()))
    return _truth(node, answers)


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        left_truth = left if isinstance(left, bool) else bool(left)
        right_truth = right if isinstance(right, bool) else bool(right)
        return {"=": left_truth == right_truth, "!=": left_truth != right_truth}.get(op, False)
    left_text = left if isinstance(left, str) else _scalar(left)
    right_text = right if isinstance(right, str) else _scalar(right)
    left_number = left if isinstance(left, float) else _number(left_text)
    right_number = right if isinstance(right, float) else _number(right_text)
    if left_number is not None and right_number is not None:
        a, b = left_number, right_number
        return {"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    if op == "=":
        return left_text == right_text
    if op == "!=":
        return left_text != right_text
    # An order between texts (or with an unanswered item) is false, as XPath's number('') is NaN.
    return False


def _truth(node: Node, answers: Mapping[str, Any]) -> bool:
    if isinstance(node, Logic):
        if node.op == "and":
            return all(_truth(part, answers) for part in node.parts)
        return any(_truth(part, answers) for part in node.parts)
    if isinstance(node, Not):
        return not _truth(node.part, answers)
    if isinstance(node, Compare):
        return _compare(node.op, _value(node.left, answers), _value(node.right, answers))
    if isinstance(node, Call):
        if node.name == "true":
            return True
        if node.name == "false":
            return False
        if node.name == "selected":
            ref, literal = node.args
            value = answers.get(ref.code)  # type: ignore[union-attr]
            chosen = [str(part) for part in value] if isinstance(value, list | tuple) else _scalar(value).split()
            return _scalar(literal.value) in chosen  # type: ignore[union-attr]
        return bool(_value(node, answers))
    if isinstance(node, Ref):
        return _scalar(answers.get(node.code)) != ""
    if isinstance(node, Literal):
        return bool(node.value)
    return False


def relevant_evaluate(expression: str, answers: Mapping[str, Any]) -> bool:
    """Does the item apply, given the answers so far? An empty expression always applies; one that
    cannot be read applies too (it was refused when the questionnaire was saved, so this only
    guards old rows: showing an item is the safe side)."""
    if not expression.strip():
        return True
    try:
        return _truth(_parse(expression), answers)
    except _Syntax:
        return True
