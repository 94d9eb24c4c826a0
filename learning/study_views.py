"""The study client's files served by Django: the service worker (it must be served from the scope
it controls, /courses/, which is why it is not a static file), the web app manifest and its icon,
and the texts the lesson page's script shows (translated here: the script has no catalogue)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

SCOPE = "/courses/"
THEME = "#0b6b3a"
ICON_SIZES = (192, 512)
_SW_TEMPLATE = Path(__file__).parent / "templates" / "learning" / "sw.js"
_STUDY_JS = Path(settings.BASE_DIR) / "static" / "learning" / "study.js"


def study_texts() -> dict[str, str]:
    """What static/learning/study.js says, in the request's language. The lesson page puts it in
    ``{{ study_texts|json_script:"study-texts" }}``; without it the script speaks zh-hans."""
    return {
        "counted": _("已计时 %(credited)s 分钟 / 需 %(required)s 分钟"),
        "done": _("本课已完成"),
        "offline": _("网络未连接：学习时间先记在本机，联网后自动发送"),
        "sending": _("正在发送离线记录…"),
        "other_device": _("您已在另一台设备登录，本设备不再计时"),
        "no_skip": _("不能快进到未看过的部分"),
        "idle": _("已暂停计时：长时间没有操作"),
        "signed_out": _("登录已过期，请重新登录后继续计时"),
    }


@functools.cache
def _version() -> str:
    """Changes whenever the worker or the page's script does, so phones drop copies made with the
    old ones (static names are not hashed in development and tests)."""
    digest = hashlib.sha256(_SW_TEMPLATE.read_bytes())
    if _STUDY_JS.exists():
        digest.update(_STUDY_JS.read_bytes())
    return digest.hexdigest()[:12]


def _offline_page() -> str:
    """What a phone shows for a course page it never opened, with no connection."""
    return format_html(
        '<!DOCTYPE html><html lang="{}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>{}</title></head>'
        '<body style="font-family:sans-serif;margin:0;padding:2rem 1rem;color:#1f2a24;background:#f5f7f6">'
        '<h1 style="font-size:1.3rem">{}</h1><p>{}</p>'
        '<p><a href="{}" style="display:inline-block;min-height:44px;line-height:44px;color:{}">{}</a></p>'
        '</body></html>',
        get_language() or settings.LANGUAGE_CODE, _("未联网"), _("未联网"),
        _("这一页还没有在本机打开过，联网后才能阅读。已打开过的课时可以离线阅读。"), SCOPE, THEME, _("课程目录"))


# One source per language (the offline page is translated); the version is the same for all.
@functools.cache
def _service_worker_source(language: str) -> str:
    offline_page = _offline_page()
    return render_to_string("learning/sw.js", {"version": _version(),
                                               "offline_page": mark_safe(json.dumps(offline_page))})  # noqa: S308


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_service_worker_source(get_language() or settings.LANGUAGE_CODE),
                            content_type="text/javascript; charset=utf-8")
    # The header lets it control /courses/ (its own folder, stated for any proxy that rewrites
    # paths); no-cache so a phone picks a new version up on its next visit.
    response["Service-Worker-Allowed"] = SCOPE
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def manifest(request: HttpRequest) -> JsonResponse:
    icons = [{"src": static("learning/icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"}]
    # The PNG route is optional: browsers that take SVG icons need nothing more.
    with contextlib.suppress(NoReverseMatch):
        icons += [{"src": reverse("learning:study_icon", args=[size]), "sizes": f"{size}x{size}",
                   "type": "image/png", "purpose": "any"} for size in ICON_SIZES]
    data = {
        "name": _("职业健康培训课程"),
        "short_name": _("培训课程"),
        "description": _("在手机上学习职业健康课程，学时自动记录，离线也能阅读已打开的课时"),
        "lang": get_language() or settings.LANGUAGE_CODE,
        "start_url": SCOPE,
        "scope": SCOPE,
        "display": "standalone",
        "background_color": "#f5f7f6",
        "theme_color": THEME,
        "icons": icons,
    }
    response = JsonResponse(data, content_type="application/manifest+json",
                            json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-cache"
    return response


@functools.cache
def icon_png(size: int) -> bytes:
    """The app icon (static/learning/icon.svg) drawn again with Pillow, for launchers that want a
    PNG: an open book on the site's green, our own drawing, no outside asset."""
    from PIL import Image, ImageDraw

    scale = 4  # drawn large and reduced, so the edges are smooth
    unit = size * scale / 512
    image = Image.new("RGBA", (size * scale, size * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    def at(*points: float) -> list[tuple[float, float]]:
        return [(points[i] * unit, points[i + 1] * unit) for i in range(0, len(points), 2)]

    draw.rounded_rectangle((0, 0, size * scale - 1, size * scale - 1), radius=96 * unit, fill=THEME)
    draw.polygon(at(256, 150, 180, 122, 100, 120, 100, 360, 180, 362, 256, 390), fill="#ffffff")
    draw.polygon(at(256, 150, 332, 122, 412, 120, 412, 360, 332, 362, 256, 390), fill="#e6f4ea")
    draw.line(at(256, 150, 256, 390), fill=THEME, width=max(1, round(8 * unit)))
    draw.ellipse((226 * unit, 66 * unit, 286 * unit, 126 * unit), fill="#f5c542")
    buffer = io.BytesIO()
    image.resize((size, size), Image.Resampling.LANCZOS).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


@require_safe
def icon(request: HttpRequest, size: int) -> HttpResponse:
    if size not in ICON_SIZES:
        return HttpResponse(status=404)
    response = HttpResponse(icon_png(size), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response
