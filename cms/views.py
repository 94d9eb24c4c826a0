"""Page serving with the anonymous-visitor cache; the language switch."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from wagtail import views as wagtail_views

from cms.caching import ANONYMOUS_PAGE_SECONDS, PERSONAL_COOKIES, anonymous_page_key, is_cacheable


def serve(request: HttpRequest, path: str = "") -> HttpResponse:
    """Wagtail's page serving, with a whole-page cache for anonymous visitors (cms.caching)."""
    personal = any(name in request.COOKIES for name in PERSONAL_COOKIES)
    if request.method != "GET" or personal:
        return wagtail_views.serve(request, path)
    key = anonymous_page_key(request)
    cached = cache.get(key)
    if cached is not None:
        content, content_type = cached
        return HttpResponse(content, content_type=content_type)
    response = wagtail_views.serve(request, path)
    if hasattr(response, "render"):
        response.render()
    if (response.status_code == 200 and is_cacheable(request) and not request.user.is_authenticated
            and not response.cookies):
        cache.set(key, (response.content, response["Content-Type"]), ANONYMOUS_PAGE_SECONDS)
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
