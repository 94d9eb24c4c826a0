"""Language selection: zh-hans unless the person chose otherwise with the switch in the header.

Django's LocaleMiddleware also follows the browser's Accept-Language. Many workers' phones are set
to English while they read Chinese, so here only an explicit choice (the language cookie set by
/i18n/setlang/) changes the language.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
