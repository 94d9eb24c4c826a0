"""Paging that answers a wrong page number with a 404, and previous/next links that keep the
other parameters of the address."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import InvalidPage, Page, Paginator
from django.http import Http404
from django.utils.translation import gettext as _

from core.text import ascii_int


def page_of(items: Sequence[Any] | Any, params: Mapping[str, str], per_page: int) -> Page:
    paginator = Paginator(items, per_page)
    raw = params.get("page") or "1"
    number = ascii_int(raw)
    if number is None:
        raise Http404(_("没有这一页"))
    try:
        return paginator.page(number)
    except InvalidPage as error:
        raise Http404(_("没有这一页")) from error


class PageLinks:
    """Previous/next links of a paged result that keep its other parameters."""

    page: Page | None

    def link_params(self) -> dict[str, str]:
        raise NotImplementedError

    def page_url(self, number: int) -> str:
        return f"?{urlencode({**self.link_params(), 'page': str(number)})}"

    @property
    def previous_url(self) -> str | None:
        if self.page is None or not self.page.has_previous():
            return None
        return self.page_url(self.page.previous_page_number())

    @property
    def next_url(self) -> str | None:
        if self.page is None or not self.page.has_next():
            return None
        return self.page_url(self.page.next_page_number())


class ParamPageLinks(PageLinks):
    """Links for a page of any list whose other parameters are given as they are."""

    def __init__(self, page: Page, params: Mapping[str, str]) -> None:
        self.page = page
        self._params = {key: value for key, value in params.items() if key != "page" and value}

    def link_params(self) -> dict[str, str]:
        return dict(self._params)
