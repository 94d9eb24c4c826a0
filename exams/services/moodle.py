"""Moodle XML (question/format/xml in Moodle): reading a bank exported from Moodle, writing ours.

Only the XML is here; checking and saving is exams.services.bank_files. What maps:

- ``multichoice`` with ``<single>true</single>`` → 单选题, otherwise 多选题; an ``<answer>`` with
  ``fraction`` > 0 is a correct option. ``truefalse`` → 判断题 (answers ``true`` / ``false``).
  Every other type (essay, shortanswer, matching, numerical, cloze, …) is skipped and listed.
- ``<question type="category">`` paths (``$course$/top/法律法规/职业病防治法``) → Category.path
  (``法律法规/职业病防治法``) for the questions after it.
- ``generalfeedback`` → 解析; ``<hidden>1</hidden>`` → 停用; our difficulty, dimension, hazard class,
  hazard factor and audiences travel as ``<tags>``: ``difficulty:3``, ``dimension:law``,
  ``hazard_class:dust``, ``hazard_factor:煤尘``, ``disease:噪声聋``,
  ``audience:worker``.
- ``<idnumber>`` carries our question's code out (Moodle keeps it as the question's ID number). On
  import it is read as information only: an imported question always gets a code of its own, as a
  file's ID numbers are another system's and may collide with ours.
- HTML becomes plain text: tags stripped (a paragraph or ``<br>`` is a line break), entities
  unescaped, scripts and styles dropped with their content, images (``@@PLUGINFILE@@``) dropped
  with a note. Exported text is escaped, with line breaks as ``<br>``, so a round trip is exact.

The parser refuses DTDs, entities and external references (defusedxml), and files are size-limited
by the caller before they get here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.utils.translation import gettext as _

from core.errors import ServiceError
from exams.models import OPTION_LETTERS, QuestionKind

SUPPORTED_TYPES = ("multichoice", "truefalse")
CATEGORY_PREFIX = "$course$/top/"
_CONTEXT_TOKEN = re.compile(r"^\$[a-z]+\$(/|$)")
_SPACES = re.compile(r"[ \t\n\r\f\v]+")
_ASCII_SPACES = re.compile(r" {2,}")
# Characters XML 1.0 cannot carry at all, even in CDATA.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BLOCK_TAGS = frozenset({"p", "div", "li", "ul", "ol", "tr", "table", "blockquote", "pre", "section", "article",
                         "header", "footer", "dl", "dt", "dd", "hr", "h1", "h2", "h3", "h4", "h5", "h6"})
# Their content is never text for a worker to read.
_DROPPED_TAGS = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg", "math", "head",
                           "title", "textarea", "select"})


class MoodleFileError(ServiceError):
    """The file as a whole is not a Moodle XML bank we can read."""


@dataclass
class MoodleQuestion:
    """One question of a Moodle file, or one of ours on its way out. ``answer`` is option letters
    (``B``, ``ACD``) or 对 / 错; ``problems`` are (field, message) found while reading, with the
    fields of exams.services.bank.BankError."""

    index: int
    qtype: str
    name: str
    kind: str = ""
    stem: str = ""
    options: list[str] = field(default_factory=list)
    answer: str = ""
    explanation: str = ""
    category_path: str = ""
    tags: list[str] = field(default_factory=list)
    hidden: bool = False
    idnumber: str = ""
    problems: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class MoodleBank:
    questions: list[MoodleQuestion]
    skipped: list[tuple[int, str, str]]  # (index of the <question>, its type, its name)
    elements: int  # <question> elements, categories included


# --- HTML ---

class _TextExtractor(HTMLParser):
    """HTML → text a worker reads: markup gone, line breaks kept, nothing executable left."""

    def __init__(self) -> None:
        # Character references are kept apart from source text: the source's own whitespace is
        # layout and collapses, an &nbsp; or &#9; was written on purpose and stays.
        super().__init__(convert_charrefs=False)
        self.parts: list[str] = []
        self.dropping = 0
        self.images: list[str] = []

    def _newline(self) -> None:
        # Layout whitespace between two blocks is no text of its own.
        while self.parts and not self.parts[-1].strip(" "):
            self.parts.pop()
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED_TAGS:
            self.dropping += 1
        elif self.dropping:
            return
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "img":
            source = dict(attrs).get("src") or ""
            self.images.append(unquote(source.rsplit("/", 1)[-1]) or source or "?")
        elif tag in _BLOCK_TAGS:
            self._newline()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED_TAGS:
            return  # <script/> has no content to drop
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_TAGS:
            self.dropping = max(0, self.dropping - 1)
        elif not self.dropping and tag in _BLOCK_TAGS:
            self._newline()

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.parts.append(_SPACES.sub(" ", data))

    def handle_entityref(self, name: str) -> None:
        if not self.dropping:
            self.parts.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        if not self.dropping:
            self.parts.append(html.unescape(f"&#{name};"))

    def text(self) -> str:
        joined = _ASCII_SPACES.sub(" ", "".join(self.parts))
        # An &nbsp; kept a space HTML would have collapsed; as text it is an ordinary space.
        lines = [line.strip(" ").replace("\xa0", " ") for line in joined.split("\n")]
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        return "\n".join(lines)


def html_to_text(markup: str) -> tuple[str, list[str]]:
    """The text of ``markup`` and the names of the images it referred to (dropped)."""
    parser = _TextExtractor()
    parser.feed(markup or "")
    parser.close()
    return parser.text(), parser.images


def _html_line(line: str) -> str:
    """One line of text as HTML whose spaces survive: a space HTML would collapse (leading,
    trailing, or next to another) is written as &nbsp;, a tab as &#9;."""
    escaped = html.escape(line, quote=False)
    out: list[str] = []
    for position, char in enumerate(escaped):
        if char == "\t":
            out.append("&#9;")
        elif char == " " and (position == 0 or position == len(escaped) - 1
                              or escaped[position - 1] in " \t" or escaped[position + 1] in " \t"):
            out.append("&nbsp;")
        else:
            out.append(char)
    return "".join(out)


def text_to_html(text: str) -> str:
    return "<br>".join(_html_line(line) for line in (text or "").split("\n"))


# --- reading ---

def moodle_category_path(raw: str) -> str:
    """``$course$/top/法律法规/职业病防治法`` → ``法律法规/职业病防治法``; ``$course$/top`` → "".
    Moodle writes a / inside a category name as //; our paths cannot hold one, so it becomes -."""
    path = (raw or "").strip()
    path = _CONTEXT_TOKEN.sub("", path)
    parts = [part.strip().replace("\x00", "-") for part in path.replace("//", "\x00").split("/")]
    parts = [part for part in parts if part]
    if parts and parts[0] == "top":
        parts = parts[1:]
    return "/".join(parts)


def _text_of(element: Element | None, path: str = "text") -> str:
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "") if found is not None else ""


def _rich_text(element: Element | None, question: MoodleQuestion, what: str) -> str:
    text, images = html_to_text(_text_of(element))
    for image in images:
        question.notes.append(_("%(what)s中的图片“%(image)s”未导入") % {"what": what, "image": image})
    return text


def _fraction(answer: Element, question: MoodleQuestion) -> float:
    raw = (answer.get("fraction") or "0").strip()
    try:
        return float(raw)
    except ValueError:
        question.problems.append(("answer", _("fraction “%(value)s” 不是数字") % {"value": raw}))
        return 0.0


def _read_multichoice(element: Element, question: MoodleQuestion) -> None:
    single = (_text_of(element, "single") if element.find("single") is not None else "true").strip().lower()
    options: list[str] = []
    correct: list[int] = []
    for answer in element.findall("answer"):
        text = _rich_text(answer, question, _("选项"))
        fraction = _fraction(answer, question)
        if not text.strip():
            # Moodle ignores blank answers when it saves a question; so do we.
            if fraction > 0:
                question.problems.append(("answer", _("有一个正确选项的内容为空")))
            continue
        if fraction > 0:
            correct.append(len(options))
        options.append(text)
    question.options = options
    letters = OPTION_LETTERS + "IJKLMNOPQRSTUVWXYZ"
    question.answer = "".join(letters[index] for index in correct if index < len(letters))
    if single not in ("false", "0", ""):
        question.kind = QuestionKind.SINGLE
    elif len(correct) == 1:
        question.kind = QuestionKind.SINGLE
        question.notes.append(_("Moodle 多选题只有一个正确选项，已作为单选题导入"))
    else:
        question.kind = QuestionKind.MULTIPLE
    if not correct and not question.problems:
        question.problems.append(("answer", _("没有 fraction 大于 0 的选项，无法确定正确答案")))


def _read_truefalse(element: Element, question: MoodleQuestion) -> None:
    question.kind = QuestionKind.TRUE_FALSE
    correct: set[bool] = set()
    for position, answer in enumerate(element.findall("answer")):
        label = _text_of(answer).strip().lower()
        if label not in ("true", "false"):
            # Old Moodle files wrote the answers in the site's language, true first.
            label = "true" if position == 0 else "false"
        if _fraction(answer, question) > 0:
            correct.add(label == "true")
    if len(correct) == 1:
        question.answer = "对" if correct.pop() else "错"
    elif not question.problems:
        question.problems.append(("answer", _("判断题应恰好有一个 fraction 大于 0 的答案（true 或 false）")))


def _read_question(element: Element, index: int, qtype: str, category: str) -> MoodleQuestion:
    question = MoodleQuestion(index=index, qtype=qtype, name=_text_of(element.find("name")).strip(),
                              category_path=category)
    question.stem = _rich_text(element.find("questiontext"), question, _("题干"))
    if element.find("questiontext/file") is not None or element.find("image_base64") is not None:
        question.notes.append(_("题干附带的文件未导入"))
    question.explanation = _rich_text(element.find("generalfeedback"), question, _("解析"))
    question.hidden = (_text_of(element, "hidden") if element.find("hidden") is not None else "0").strip() == "1"
    question.idnumber = _text_of(element, "idnumber").strip()
    question.tags = [_text_of(tag).strip() for tag in element.findall("tags/tag") if _text_of(tag).strip()]
    if qtype == "multichoice":
        _read_multichoice(element, question)
    else:
        _read_truefalse(element, question)
    return question


def moodle_read(content: bytes) -> MoodleBank:
    """The questions of a Moodle XML file, in file order, and the ones we skip."""
    if not content.strip():
        raise MoodleFileError(_("文件是空的"))
    try:
        root = fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise MoodleFileError(_("文件含有 DTD 或实体声明，出于安全原因不予读取")) from exc
    except (ParseError, ValueError) as exc:
        raise MoodleFileError(_("不是有效的 XML 文件：%(error)s") % {"error": exc}) from exc
    if root.tag != "quiz":
        raise MoodleFileError(_("不是 Moodle XML 题库文件（根元素应为 <quiz>，而不是 <%(tag)s>）") % {"tag": root.tag})
    questions: list[MoodleQuestion] = []
    skipped: list[tuple[int, str, str]] = []
    category = ""
    elements = root.findall("question")
    for index, element in enumerate(elements, 1):
        qtype = (element.get("type") or "").strip()
        if qtype == "category":
            category = moodle_category_path(_text_of(element.find("category")))
        elif qtype in SUPPORTED_TYPES:
            questions.append(_read_question(element, index, qtype, category))
        else:
            skipped.append((index, qtype or "?", _text_of(element.find("name")).strip()))
    if not elements:
        raise MoodleFileError(_("文件中没有 <question>"))
    return MoodleBank(questions=questions, skipped=skipped, elements=len(elements))


# --- writing ---

def _cdata(text: str) -> str:
    text = _XML_INVALID.sub("", text or "")
    if not text:
        return ""
    # "]]>" would end the section early: Moodle splits it across two sections the same way.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _escaped(text: str) -> str:
    return html.escape(_XML_INVALID.sub("", text or ""), quote=False)


def _fraction_text(value: float) -> str:
    text = f"{value:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _answer_xml(fraction: float, text: str, text_format: str = "html") -> list[str]:
    return [f'    <answer fraction="{_fraction_text(fraction)}" format="{text_format}">',
            f"      <text>{_cdata(text)}</text>",
            '      <feedback format="html">', "        <text></text>", "      </feedback>",
            "    </answer>"]


def _choice_fractions(kind: str, options: list[str], answer: str) -> list[float]:
    """Moodle's grades per option: a single choice 100 for the right one; a multiple choice shares
    100 among the right ones and takes as much off across the wrong ones, so choosing every
    option scores nothing there, as all-or-nothing grading does here."""
    right = [OPTION_LETTERS[index] in answer for index in range(len(options))]
    if kind == QuestionKind.SINGLE:
        return [100.0 if is_right else 0.0 for is_right in right]
    rights = sum(right)
    wrongs = len(right) - rights
    return [100.0 / rights if is_right else -100.0 / wrongs for is_right in right]


def _question_xml(question: MoodleQuestion) -> list[str]:
    moodle_type = "truefalse" if question.kind == QuestionKind.TRUE_FALSE else "multichoice"
    # No "<!-- question: code -->" comment as Moodle writes one: a public code may hold "--", which
    # XML forbids inside a comment. The code travels as <idnumber>, escaped like any text.
    lines = [f'  <question type="{moodle_type}">',
             "    <name>", f"      <text>{_cdata(question.name)}</text>", "    </name>",
             '    <questiontext format="html">', f"      <text>{_cdata(text_to_html(question.stem))}</text>",
             "    </questiontext>",
             '    <generalfeedback format="html">', f"      <text>{_cdata(text_to_html(question.explanation))}</text>",
             "    </generalfeedback>",
             "    <defaultgrade>1.0000000</defaultgrade>",
             f"    <penalty>{'1.0000000' if moodle_type == 'truefalse' else '0.3333333'}</penalty>",
             f"    <hidden>{1 if question.hidden else 0}</hidden>",
             f"    <idnumber>{_escaped(question.idnumber)}</idnumber>"]
    if moodle_type == "truefalse":
        is_true = question.answer == "对"
        lines += _answer_xml(100.0 if is_true else 0.0, "true", "moodle_auto_format")
        lines += _answer_xml(0.0 if is_true else 100.0, "false", "moodle_auto_format")
    else:
        lines += [f"    <single>{'true' if question.kind == QuestionKind.SINGLE else 'false'}</single>",
                  "    <shuffleanswers>true</shuffleanswers>", "    <answernumbering>ABCD</answernumbering>",
                  "    <showstandardinstruction>0</showstandardinstruction>"]
        for feedback in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
            lines += [f'    <{feedback} format="html">', "      <text></text>", f"    </{feedback}>"]
        lines.append("    <shownumcorrect/>")
        for option, fraction in zip(question.options,
                                    _choice_fractions(question.kind, question.options, question.answer), strict=True):
            lines += _answer_xml(fraction, text_to_html(option))
    if question.tags:
        lines.append("    <tags>")
        lines += [f"      <tag><text>{_cdata(tag)}</text></tag>" for tag in question.tags]
        lines.append("    </tags>")
    lines.append("  </question>")
    return lines


def _category_xml(path: str) -> list[str]:
    return ['  <question type="category">', "    <category>",
            f"      <text>{_cdata(CATEGORY_PREFIX + path)}</text>", "    </category>",
            '    <info format="html">', "      <text></text>", "    </info>", "    <idnumber></idnumber>",
            "  </question>"]


def moodle_write(questions: Iterable[MoodleQuestion]) -> Iterator[str]:
    """Moodle XML, a line at a time. Questions without a category come first, before any category
    question, so Moodle puts them in the category chosen on its import form and we leave them
    without one; then each category's questions follow its category question."""
    yield '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n'
    current: str | None = ""
    for question in sorted(questions, key=lambda item: item.category_path):
        if question.category_path != current:
            current = question.category_path
            yield "\n".join(_category_xml(current)) + "\n"
        yield "\n".join(_question_xml(question)) + "\n"
    yield "</quiz>\n"
