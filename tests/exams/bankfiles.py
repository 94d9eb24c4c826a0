"""Building blocks for bank-file tests: xlsx workbooks and Moodle XML written the way the people
who send them write them, and a way to empty the bank for a round trip."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook

from exams.models import Category, Question, QuestionVersion
from exams.resources import HEADERS

# Column letters of the template's columns, for asserting where an error is reported.
LETTER = {header: chr(ord("A") + position) for position, header in enumerate(HEADERS)}


def row(kind: str = "单选题", stem: str = "职业病防治法自哪一年起施行？", options: Sequence[str] = ("2001年", "2002年", "2003年"),
        answer: str = "B", explanation: str = "2002年5月1日起施行", category: str = "", difficulty: Any = 3,
        **extra: Any) -> dict[str, Any]:
    """One row of the template as a header → value mapping."""
    values: dict[str, Any] = {"题型": kind, "题干": stem, "答案": answer, "解析": explanation, "分类": category,
                              "难度": difficulty}
    for letter, option in zip("ABCDEFGH", options, strict=False):
        values[f"选项{letter}"] = option
    values.update(extra)
    return values


def xlsx_bytes(rows: Iterable[dict[str, Any]], headers: Sequence[str] = HEADERS, *, title_rows: int = 0) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "题库"
    for _index in range(title_rows):
        sheet.append(["某某单位职业健康题库"])
    sheet.append(list(headers))
    for values in rows:
        sheet.append([values.get(header) for header in headers])
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def read_sheet(content: bytes, sheet_name: str = "题库") -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content))
    return list(workbook[sheet_name].iter_rows(values_only=True))


# --- Moodle XML ---

def quiz(*questions: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "\n".join(questions) + "\n</quiz>\n").encode()


def category(path: str) -> str:
    return f'<question type="category"><category><text>{path}</text></category></question>'


def multichoice(name: str, text: str, answers: Sequence[tuple[float, str]], *, single: bool | None = True,
                feedback: str = "", tags: Sequence[str] = (), hidden: bool = False) -> str:
    single_xml = "" if single is None else f"<single>{'true' if single else 'false'}</single>"
    answer_xml = "".join(f'<answer fraction="{fraction}" format="html"><text><![CDATA[{answer}]]></text>'
                         f'<feedback format="html"><text></text></feedback></answer>' for fraction, answer in answers)
    return (f'<question type="multichoice"><name><text>{name}</text></name>'
            f'<questiontext format="html"><text><![CDATA[{text}]]></text></questiontext>'
            f'<generalfeedback format="html"><text><![CDATA[{feedback}]]></text></generalfeedback>'
            f"<defaultgrade>1.0000000</defaultgrade><penalty>0.3333333</penalty><hidden>{int(hidden)}</hidden>"
            f"{single_xml}<shuffleanswers>true</shuffleanswers><answernumbering>abc</answernumbering>"
            f"{answer_xml}{tags_xml(tags)}</question>")


def truefalse(name: str, text: str, correct: bool, *, feedback: str = "", tags: Sequence[str] = ()) -> str:
    return (f'<question type="truefalse"><name><text>{name}</text></name>'
            f'<questiontext format="html"><text><![CDATA[{text}]]></text></questiontext>'
            f'<generalfeedback format="html"><text><![CDATA[{feedback}]]></text></generalfeedback>'
            f'<answer fraction="{100 if correct else 0}" format="moodle_auto_format"><text>true</text></answer>'
            f'<answer fraction="{0 if correct else 100}" format="moodle_auto_format"><text>false</text></answer>'
            f"{tags_xml(tags)}</question>")


def other_type(qtype: str, name: str) -> str:
    """A question of a type we do not have, with the parts that type has in Moodle's files."""
    return (f'<question type="{qtype}"><name><text>{name}</text></name>'
            f'<questiontext format="html"><text>{name} 的题干</text></questiontext>'
            f'<answer fraction="100"><text>42</text></answer></question>')


def tags_xml(tags: Sequence[str]) -> str:
    if not tags:
        return ""
    return "<tags>" + "".join(f"<tag><text>{tag}</text></tag>" for tag in tags) + "</tags>"


# --- the bank ---

def bank_snapshot() -> set[tuple[Any, ...]]:
    """What a round trip must keep of every question, comparable across two banks."""
    return {
        (question.kind, question.stem, tuple(question.options), question.answer, question.explanation,
         question.category.path if question.category else "", question.difficulty, question.dimension_id or "",
         question.hazard_class_id or "", question.hazard_factor.name if question.hazard_factor else "",
         question.disease.name if question.disease else "",
         tuple(sorted(audience.code for audience in question.audiences.all())), question.is_active)
        for question in Question.objects.select_related("category", "hazard_factor", "disease")
        .prefetch_related("audiences")
    }


def empty_bank() -> None:
    """Remove every question, version and category (versions are protected in real use: never
    deleted outside a test)."""
    Question.objects.update(current_version=None)
    QuestionVersion.objects.all().delete()
    Question.objects.all().delete()
    Category.objects.all().delete()
