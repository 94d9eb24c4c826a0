"""Being built (issue 8): every view answers 404 until its page lands."""

from django.http import Http404, HttpRequest, HttpResponse


def exam_home(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def history(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def practice_home(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def practice_start(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def wrong_book(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def attempt_page(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def attempt_answer(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def attempt_submit(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def attempt_state(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def attempt_result(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def exam_detail(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def exam_start(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def mock_start(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
