"""Being built (issue 8): every view answers 404 until its page lands."""

from django.http import Http404, HttpRequest, HttpResponse


def certificate_page(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def certificate_file(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def verify_form(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def verify(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def certificate_revoke(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
