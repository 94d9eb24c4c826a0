"""The site root for anonymous visitors, served from the cache; the language switch."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from wagtail import views as wagtail_views

ANONYMOUS_HOME_SECONDS = 300
# Cookies that make a visitor's page personal (a session, pending messages); without them every
# visitor gets the same home page.
_PERSONAL_COOKIES = (settings.SESSION_COOKIE_NAME, "messages")


_GENERATION_KEY = "cms:anonymous-home:generation"


def anonymous_home_key(language: str, host: str) -> str:
    # A generation number in the key lets one cache write forget the page for every host and
    # language at once (see cms.signal_handlers).
    generation = cache.get_or_set(_GENERATION_KEY, 1, timeout=None)
    return f"cms:anonymous-home:{generation}:{host}:{language}"


def forget_anonymous_home() -> None:
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:
        cache.set(_GENERATION_KEY, 1, timeout=None)


def home(request: HttpRequest) -> HttpResponse:
    """Wagtail serves "/"; for anonymous visitors the rendered page is kept for a few minutes,
    because routing and rendering the same page for every visitor costs far more than the page."""
    personal = any(name in request.COOKIES for name in _PERSONAL_COOKIES)
    if request.method != "GET" or personal or request.GET:
        return wagtail_views.serve(request, "")
    key = anonymous_home_key(translation.get_language(), request.get_host())
    cached = cache.get(key)
    if cached is not None:
        return HttpResponse(cached, content_type="text/html; charset=utf-8")
    response = wagtail_views.serve(request, "")
    if hasattr(response, "render"):
        response.render()
    if response.status_code == 200 and not request.user.is_authenticated and not response.cookies:
        cache.set(key, response.content, ANONYMOUS_HOME_SECONDS)
    return response


def language_choose(request: HttpRequest, language: str) -> HttpResponse:
    """Switch language with a plain link: no form and no CSRF token, so anonymous pages stay
    shareable and cacheable. Choosing a language only sets a preference cookie."""
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    if language in dict(settings.LANGUAGES):
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600,
                            samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
    return response
