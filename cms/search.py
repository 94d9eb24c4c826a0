"""Chinese full-text search on Wagtail's database backends (SQLite FTS5 and PostgreSQL tsvector).

Neither backend segments Chinese: both see "工作场所噪声危害" as one token, so searching 噪声 finds
nothing. We index overlapping n-grams instead: every Han character (unigram) and every pair of
neighbouring characters (bigram), written out as space-separated tokens that both backends split
the same way. A query is cut the same way and all of its grams must match, so any word of one or
two characters inside running text is found, and a longer word matches only where all of its
bigrams occur. No dictionary is involved, so new hazard names (正己烷, 三氯乙烯) are found without
anyone maintaining a word list. Latin letters and digits are kept as lowercase words (PM2.5 → pm2 5).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.utils.html import escape
from wagtail.search import index

# CJK Unified Ideographs with extension A and the compatibility block: what Chinese text uses.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_HAN}]+|[a-z0-9]+")
_HAN_RUN = re.compile(rf"[{_HAN}]+")

# Longer queries are cut: nobody types more, and every gram is one more index lookup.
MAX_QUERY_CHARS = 64


def normalise(text: str) -> str:
    # NFKC folds full-width letters and digits (ＰＭ２．５) into ASCII, as phones often type them.
    return unicodedata.normalize("NFKC", text).lower()


def index_tokens(text: str) -> str:
    """What goes into the search index for ``text``: Han unigrams and bigrams, Latin words."""
    tokens: list[str] = []
    for run in _RUN.findall(normalise(text)):
        if _HAN_RUN.fullmatch(run):
            tokens.extend(run)
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            tokens.append(run)
    return " ".join(tokens)


def query_terms(query: str) -> list[str]:
    """The words a visitor searched for, as typed (normalised), for highlighting and ranking."""
    return _RUN.findall(normalise(query[:MAX_QUERY_CHARS]))


def query_tokens(query: str) -> list[str]:
    """The index tokens that must all be present for a document to match ``query``."""
    tokens: list[str] = []
    for term in query_terms(query):
        if _HAN_RUN.fullmatch(term) and len(term) > 1:
            tokens.extend(term[i : i + 2] for i in range(len(term) - 1))
        else:
            tokens.append(term)
    return list(dict.fromkeys(tokens))


class NgramSearchField(index.SearchField):
    """A SearchField whose value is indexed as n-grams. Declared under the model field's own name,
    so the backends still treat ``title`` as the title (its own column and weight)."""

    def get_value(self, obj: Any) -> str:
        value = super().get_value(obj)
        if isinstance(value, list | tuple):
            value = " ".join(str(item) for item in value)
        return index_tokens(str(value or ""))


def highlight(text: str, terms: Iterable[str], *, limit: int | None = None) -> str:
    """HTML-escaped ``text`` with every occurrence of ``terms`` wrapped in <mark>.

    With ``limit``, an excerpt of about that many characters around the first match (or the start).
    """
    ordered = sorted({t for t in terms if t}, key=len, reverse=True)
    folded = normalise(text)
    if len(folded) != len(text):
        # NFKC changed the length (rare ligatures): match on the text as it is.
        folded = text.lower()
    prefix = suffix = ""
    if limit is not None and len(text) > limit:
        hits = [found for found in (folded.find(t) for t in ordered) if found >= 0]
        start = max(0, min(min(hits, default=0) - limit // 4, len(text) - limit))
        prefix = "…" if start else ""
        suffix = "…" if start + limit < len(text) else ""
        text, folded = text[start : start + limit], folded[start : start + limit]
    if not ordered:
        return prefix + escape(text) + suffix
    pattern = re.compile("|".join(re.escape(t) for t in ordered))
    parts: list[str] = []
    position = 0
    for match in pattern.finditer(folded):
        parts.append(escape(text[position : match.start()]))
        parts.append(f"<mark>{escape(text[match.start() : match.end()])}</mark>")
        position = match.end()
    parts.append(escape(text[position:]))
    return prefix + "".join(parts) + suffix
