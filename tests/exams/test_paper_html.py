"""The attempt page's question screens, written out in exams/paper_html.py rather than looped in the
template: the markup the page's script and the browser tests rely on, and every value escaped."""

from __future__ import annotations

from html.parser import HTMLParser

from django.utils import translation

from exams import paper_html
from exams.selectors import PaperItem, PaperOption, PracticeFeedback
from exams.views import _question_texts_in


def _options(order: str, texts: list[str], chosen: str = "") -> list[PaperOption]:
    return [PaperOption(letter, "ABCDEFGH"[index], texts["ABCDEFGH".index(letter)], letter in chosen)
            for index, letter in enumerate(order)]


def _paper() -> list[PaperItem]:
    return [
        PaperItem(1, "single", "单选题", "粉尘<script>alert(1)</script>\n第二行", "", _options("BAC", ["甲<b>", "乙&", "丙"], "A"),
                  "A", False),
        PaperItem(2, "multiple", "多选题", "哪些是防护措施", '/media/q.png?a=1&b="2"', _options("ABCD", list("abcd")), "",
                  True),
        PaperItem(3, "truefalse", "判断题", "噪声可致聋", "", _options("BA", ["对", "错"], "B"), "B", False,
                  PracticeFeedback(False, "A", "B", "解析<i>x</i>")),
    ]


class _Tags(HTMLParser):
    """Start tags with their attributes, and the text, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parsed(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def _screens(practice: bool = False) -> str:
    with translation.override("zh-hans"):
        return paper_html.question_screens(_paper(), _question_texts_in("zh-hans"), practice=practice)


def test_every_value_from_the_bank_is_escaped():
    html = _screens()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;<br>第二行" in html
    assert "甲&lt;b&gt;" in html and "乙&amp;" in html
    assert 'src="/media/q.png?a=1&amp;b=&quot;2&quot;"' in html
    assert "<i>" not in _screens(practice=True)


def test_one_section_per_question_the_first_current_and_the_ends_disabled():
    tags = _parsed(_screens()).tags
    sections = [attrs for tag, attrs in tags if tag == "section"]
    assert [attrs["data-position"] for attrs in sections] == ["1", "2", "3"]
    assert [attrs["class"] for attrs in sections] == ["question current", "question", "question"]
    assert [attrs["aria-label"] for attrs in sections] == ["第 1 题", "第 2 题", "第 3 题"]
    prev = [attrs for tag, attrs in tags if tag == "button" and "data-prev" in attrs]
    following = [attrs for tag, attrs in tags if tag == "button" and "data-next" in attrs]
    assert ["disabled" in attrs for attrs in prev] == [True, False, False]
    assert ["disabled" in attrs for attrs in following] == [False, False, True]


def test_options_in_the_papers_order_with_the_choice_kept():
    tags = _parsed(_screens()).tags
    inputs = [attrs for tag, attrs in tags if tag == "input" and attrs.get("name") == "q1"]
    # The version's letters are what is saved; the shown letters follow this paper's order.
    assert [(attrs["value"], attrs["data-shown"], "checked" in attrs) for attrs in inputs] == [
        ("B", "A", False), ("A", "B", True), ("C", "C", False)]
    assert {attrs["type"] for tag, attrs in tags if tag == "input" and attrs.get("name") == "q2"} == {"checkbox"}
    labels = [attrs["class"] for tag, attrs in tags if tag == "label"]
    assert labels[:3] == ["option", "option chosen", "option"]


def test_a_flagged_question_shows_its_mark_and_offers_to_unflag():
    tags = _parsed(_screens()).tags
    marks = [attrs for tag, attrs in tags if tag == "span" and "data-flag-mark" in attrs]
    assert ["hidden" in attrs for attrs in marks] == [True, False, True]
    flags = [attrs["aria-pressed"] for tag, attrs in tags if tag == "button" and "data-flag" in attrs]
    assert flags == ["false", "true", "false"]


def test_an_exam_screen_carries_no_feedback_and_no_confirm_button():
    paper = [item for item in _paper() if item.feedback is None]
    with translation.override("zh-hans"):
        html = paper_html.question_screens(paper, _question_texts_in("zh-hans"), practice=False)
    tags = _parsed(html).tags
    assert not [attrs for tag, attrs in tags if "data-confirm-answer" in attrs]
    assert all("hidden" in attrs for tag, attrs in tags if "data-feedback" in attrs)
    assert not [attrs for tag, attrs in tags if "disabled" in attrs and tag == "input"]


def test_a_practice_question_answered_shows_the_key_and_the_explanation():
    parsed = _parsed(_screens(practice=True))
    confirm = [attrs for tag, attrs in parsed.tags if "data-confirm-answer" in attrs]
    assert len(confirm) == 1 and "hidden" not in confirm[0]  # the multiple choice, not yet answered
    feedback = [attrs for tag, attrs in parsed.tags if "data-feedback" in attrs]
    assert ["hidden" in attrs for attrs in feedback] == [True, True, False]
    labels = [attrs["class"] for tag, attrs in parsed.tags if tag == "label"][-2:]
    assert labels == ["option chosen", "option is-key"]
    text = "".join(parsed.text)
    assert "回答错误" in text and "正确答案：B" in text and "解析：解析<i>x</i>" in text


def test_the_words_follow_the_language():
    with translation.override("en"):
        html = paper_html.question_screens(_paper()[:1], _question_texts_in("en"), practice=False)
    assert ">Next<" in html
    assert "下一题" not in html


def test_the_navigator_marks_answered_flagged_and_current():
    tags = _parsed(paper_html.navigator(_paper())).tags
    assert [(attrs["data-goto"], attrs["class"]) for _tag, attrs in tags] == [
        ("1", "nav-btn is-answered is-current"), ("2", "nav-btn is-flagged"), ("3", "nav-btn is-answered")]
