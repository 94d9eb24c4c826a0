"""Deployment checks (``manage.py check --deploy``) for settings whose mistakes outlive a fix:
the site's own address is printed on certificates and in e-mails."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}  # noqa: S104 - names compared, nothing bound


@register(Tags.security, deploy=True)
def base_url_check(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    parts = urlsplit(settings.WAGTAILADMIN_BASE_URL or "")
    problems = []
    if not parts.hostname or parts.hostname in LOCAL_HOSTS:
        problems.append(Warning(
            f"BASE_URL is {settings.WAGTAILADMIN_BASE_URL!r}: certificates' QR codes, verify links and e-mails would "
            "point there, and printed certificates keep it for good.",
            hint="Set BASE_URL to the site's public address, e.g. https://training.example.cn", id="core.W001"))
    elif parts.scheme != "https":
        problems.append(Warning(
            f"BASE_URL {settings.WAGTAILADMIN_BASE_URL!r} is not https: verify links on certificates would be plain http.",
            hint="Serve the site over https and set BASE_URL to its https address.", id="core.W002"))
    return problems
