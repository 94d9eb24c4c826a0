"""The question screens of the attempt page and its navigator, as HTML.

Written out here rather than looped in exams/attempt.html: a campaign's start opens thousands of
papers at once, and the template engine spent most of the page's time on these few lines repeated
for every question and option (about 6 ms of a 20-question paper against a fraction of a
millisecond here). The markup is the template's own; tests/exams/test_paper_html.py holds the two
equal. Everything that comes from a question or a catalogue is escaped (``html.escape``, which Django's
``escape`` calls too, without the lazy-string check that cost more than the escaping).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

from exams.selectors import PaperItem


def question_screens(paper: Sequence[PaperItem], texts: Mapping[str, str], *, practice: bool) -> SafeString:
    """One <section> per question, the first shown (the page's script moves between them)."""
    total = len(paper)
    words = {key: escape(value) for key, value in texts.items()}
    parts: list[str] = []
    for index, item in enumerate(paper):
        parts.append(_screen(item, words, texts, total, first=index == 0, last=index == total - 1,
                             practice=practice))
    return mark_safe("".join(parts))  # noqa: S308 - built from escaped values only


def navigator(paper: Sequence[PaperItem]) -> SafeString:
    """The answer sheet's buttons: answered, flagged, the current one."""
    parts = []
    for index, item in enumerate(paper):
        classes = "nav-btn"
        if item.answered:
            classes += " is-answered"
        if item.flagged:
            classes += " is-flagged"
        if index == 0:
            classes += " is-current"
        parts.append(f'<button type="button" class="{classes}" data-goto="{item.position}">{item.position}</button>')
    return mark_safe("".join(parts))  # noqa: S308 - positions are integers


def _screen(item: PaperItem, words: Mapping[str, str], texts: Mapping[str, str], total: int, *, first: bool,
            last: bool, practice: bool) -> str:
    position = int(item.position)
    feedback = item.feedback
    heading = escape(texts["heading"] % {"number": position, "total": total, "kind": item.kind_label})
    aria = escape(texts["name"] % {"number": position})
    multiple = item.multiple
    kind = "checkbox" if multiple else "radio"
    options = []
    for option in item.options:
        label = "option"
        if option.chosen:
            label += " chosen"
        if feedback is not None and option.letter in feedback.answer_letters:
            label += " is-key"
        letter, shown = escape(option.letter), escape(option.shown)
        options.append(
            f'\n      <label class="{label}">\n'
            f'        <input type="{kind}" name="q{position}" value="{letter}"\n'
            f'               data-shown="{shown}"{" checked" if option.chosen else ""}'
            f'{" disabled" if feedback is not None else ""}>\n'
            f'        <span class="letter">{shown}</span><span class="text" data-option-text>{escape(option.text)}</span>\n'
            f'      </label>\n      ')
    image = (f'<img class="q-image" src="{escape(item.image_url)}" alt="{words["image"]}" loading="lazy">'
             if item.image_url else "")
    confirm = ""
    if practice and multiple:
        confirm = (f'<button type="button" class="btn secondary block" data-confirm-answer'
                   f'{" hidden" if feedback is not None else ""}>{words["confirm"]}</button>')
    said = ""
    if feedback is not None:
        verdict = words["correct"] if feedback.is_correct else words["wrong"]
        said = f'\n        <p><b>{verdict}</b> {words["key"]}{escape(feedback.answer_shown)}</p>\n        '
        if feedback.explanation:
            said += f'<p>{words["explanation"]}{escape(feedback.explanation)}</p>'
        said += "\n      "
    return (
        f'\n  <section class="question{" current" if first else ""}" id="q{position}" data-position="{position}"\n'
        f'           data-kind="{escape(item.kind)}" data-testid="question" aria-label="{aria}">\n'
        f'    <div class="q-head">\n'
        f'      <span>{heading}\n'
        f'        <span class="flag-mark" data-flag-mark{"" if item.flagged else " hidden"}>★ {words["flagged"]}</span></span>\n'
        f'      <button type="button" class="tool-btn" data-speak hidden>{words["speak"]}</button>\n'
        f'    </div>\n'
        f'    <p class="stem" data-stem>{_lines(item.stem)}</p>\n'
        f'    {image}\n'
        f'    <fieldset class="options">\n'
        f'      <legend class="visually-hidden">{words["options_multiple"] if multiple else words["options_single"]}</legend>\n'
        f'      {"".join(options)}\n'
        f'    </fieldset>\n'
        f'    {confirm}\n'
        f'    <div class="feedback{" ok" if feedback is not None and feedback.is_correct else ""}" data-feedback '
        f'data-testid="feedback" aria-live="polite"{"" if feedback is not None else " hidden"}>\n'
        f'      {said}\n'
        f'    </div>\n'
        f'    <div class="q-actions">\n'
        f'      <button type="button" class="btn secondary" data-prev{" disabled" if first else ""}>{words["prev"]}</button>\n'
        f'      <button type="button" class="btn secondary" data-flag aria-pressed="{"true" if item.flagged else "false"}">'
        f'{words["unflag"] if item.flagged else words["flag"]}</button>\n'
        f'      <button type="button" class="btn" data-next{" disabled" if last else ""}>{words["next"]}</button>\n'
        f'    </div>\n'
        f'  </section>\n  ')


def _lines(text: str) -> str:
    """The ``linebreaksbr`` filter's output: escaped, each line break a <br>."""
    return escape(text.replace("\r\n", "\n").replace("\r", "\n")).replace("\n", "<br>")
