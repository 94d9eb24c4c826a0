"""The site's URLs with one bare Django view in front: the floor a page of ours is compared with.
The bare view still passes through every middleware, so the difference is the page's own work."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare, name="bench-bare"),
    path("", include("config.urls")),
]
