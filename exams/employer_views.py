"""Being built (issue 8): every view answers 404 until its page lands."""

from django.http import Http404, HttpRequest, HttpResponse


def employer_exams(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def exam_assign(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def exam_results(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def exam_overrides(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def results_export(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
