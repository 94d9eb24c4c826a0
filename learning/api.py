"""The study client's API: heartbeats, the same service as the lesson page's script.

The lesson page (static/learning/study.js) posts here every STUDY_HEARTBEAT_SECONDS while it is
visible and the worker active, and posts the beats it queued offline when the phone is back online.
Every rule (one device, gaps, caps, overlap, video) is learning.services.study's: this view checks
the shape of the request, names the signed-in worker and the session's device token, and answers
with what the service decided. A refused beat is still an answer of 200: it is recorded as evidence
with its reason, and the page shows the message.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from core.api import error_response
from core.text import strip_control
from learning.services.study import Beat, BeatResult, StudyRefused, device_token_for, heartbeats_record
from orgs.selectors import signed_in_worker

MAX_BEATS = 100
# Model bounds: seq and lesson ids are 32-bit columns; a video longer than a day is not a lesson.
MAX_INT = 2**31 - 1
MAX_VIDEO_SECONDS = 86_400.0
USER_AGENT_LENGTH = 200


class AwareDateTimeField(serializers.DateTimeField):
    """A datetime that says its offset: a phone's clock without one cannot be placed in time
    (DRF would read it in the server's zone, which a phone in another zone does not share)."""

    default_error_messages = {"naive": gettext_lazy("时间须带时区，例如 2026-12-02T10:00:00+08:00")}

    def enforce_timezone(self, value: Any) -> Any:
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class StudyBeatSerializer(serializers.Serializer):
    """One heartbeat as the lesson page makes it."""

    lesson = serializers.IntegerField(min_value=1, max_value=MAX_INT, help_text=gettext_lazy("课时页面的 id"))
    session = serializers.RegexField(
        r"^[A-Za-z0-9_-]{8,64}$", max_length=64,
        error_messages={"invalid": gettext_lazy("应为 8–64 个字母、数字、- 或 _（页面每次打开时随机生成）")},
        help_text=gettext_lazy("页面每次打开课时时随机生成的会话键（base64url，8–64 个字符）"))
    seq = serializers.IntegerField(min_value=0, max_value=MAX_INT, help_text=gettext_lazy("会话内的序号，从 0 递增"))
    at = AwareDateTimeField(required=False, allow_null=True,
                            help_text=gettext_lazy("手机产生这次心跳时的时间（带时区）；离线补发的心跳必填"))
    active = serializers.BooleanField(default=True, help_text=gettext_lazy("最近有触摸、滚动、按键，或视频正在播放"))
    visible = serializers.BooleanField(default=True, help_text=gettext_lazy("页面在前台"))
    queued = serializers.BooleanField(default=False, help_text=gettext_lazy("离线时产生、联网后补发"))
    position = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=MAX_VIDEO_SECONDS,
                                      help_text=gettext_lazy("视频当前位置（秒）"))
    duration = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=MAX_VIDEO_SECONDS,
                                      help_text=gettext_lazy("视频总长（秒）"))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A queued beat is placed in time by the phone's clock alone: without it there is nothing
        # to place (a live beat is placed by the server's clock).
        if attrs.get("queued") and attrs.get("at") is None:
            raise serializers.ValidationError({"at": [_("离线补发的心跳必须带产生时间 at")]})
        return attrs


class StudyBeatBatchSerializer(serializers.Serializer):
    beats = StudyBeatSerializer(many=True, min_length=1, max_length=MAX_BEATS, help_text=gettext_lazy(
        "1–100 次心跳；离线排队的心跳按产生时间从早到晚"))


class StudyBeatResultSerializer(serializers.Serializer):
    """What the server made of one beat, and where the lesson and the course stand after it."""

    credited = serializers.IntegerField(help_text=gettext_lazy("这次心跳计入的秒数"))
    reason = serializers.CharField(allow_blank=True, help_text=gettext_lazy(
        "未计入（或只部分计入）的原因代码；计入时为空：not_enrolled, wrong_lesson, other_device, replay, future, "
        "too_old, gap, idle, hidden, overlap, lesson_cap, seek, start"))
    message = serializers.CharField(allow_blank=True, help_text=gettext_lazy("给学员看的说明；计入时为空"))
    lesson_credited = serializers.IntegerField(help_text=gettext_lazy("本课时已计入的秒数"))
    lesson_required = serializers.IntegerField(help_text=gettext_lazy("本课时要求的秒数"))
    lesson_completed = serializers.BooleanField()
    video_furthest = serializers.FloatField(help_text=gettext_lazy("服务器记下的视频最远观看位置（秒）"))
    course_completed = serializers.IntegerField(help_text=gettext_lazy("本课程已完成的课时数"))
    course_total = serializers.IntegerField(help_text=gettext_lazy("本课程的课时数"))
    year_seconds = serializers.IntegerField(help_text=gettext_lazy("本人今年在本课程计入的秒数"))


class StudyBeatAnswerSerializer(serializers.Serializer):
    results = StudyBeatResultSerializer(many=True, help_text=gettext_lazy("每次心跳一条，与请求中的顺序相同"))
    other_device = serializers.BooleanField(help_text=gettext_lazy(
        "有心跳因本账号已在另一台设备登录而不计时：本设备应停止计时"))


class StudyBeatProblemSerializer(serializers.Serializer):
    index = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("第几次心跳（从 0 起）；整个请求的问题为 null"))
    field = serializers.CharField(allow_blank=True, help_text=gettext_lazy("字段名；整个请求的问题为 beats 或空"))
    message = serializers.CharField()


class StudyBeatRefusalSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=gettext_lazy("第一个问题，写给人看"))
    errors = StudyBeatProblemSerializer(many=True)


NOT_A_WORKER = error_response(gettext_lazy(
    "未登录，已登录的请求缺少 CSRF 令牌（X-CSRFToken），或登录的账号不是劳动者（只有劳动者计学习时间）"))
NO_LESSON = error_response(gettext_lazy("没有这个课时（请求中任何一个课时不存在时，整批都不处理）"))
NOT_JSON = error_response(gettext_lazy("请求体须为 application/json"))
REFUSED = OpenApiResponse(StudyBeatRefusalSerializer, description=gettext_lazy(
    "请求不合法：每个问题指出第几次心跳、哪个字段；整批都不处理"))


def _messages(errors: Any) -> list[str]:
    if isinstance(errors, dict):
        return [message for inner in errors.values() for message in _messages(inner)]
    if isinstance(errors, list):
        return [message for inner in errors for message in _messages(inner)]
    return [str(errors)]


def _per_beat(errors: Any) -> Any:
    """The errors of each beat by its index, or None when the batch itself is wrong (missing, not
    a list, too long). DRF writes them as {index: errors}; older versions as a list."""
    if isinstance(errors, dict) and errors and all(isinstance(key, int) for key in errors):
        return errors.items()
    if isinstance(errors, list) and errors and all(isinstance(item, dict) for item in errors):
        return enumerate(errors)
    return None


def _field(name: Any) -> str:
    return "" if name == api_settings.NON_FIELD_ERRORS_KEY else str(name)


def _problems(errors: dict[str, Any]) -> list[dict[str, Any]]:
    """DRF's nested errors as a flat list naming the beat's index and the field, so a phone (or a
    person reading a log) finds the bad value at once."""
    found: list[dict[str, Any]] = []
    for name, inner in errors.items():
        beats = _per_beat(inner) if name == "beats" else None
        if beats is None:
            found += [{"index": None, "field": _field(name), "message": message} for message in _messages(inner)]
            continue
        for index, beat_errors in beats:
            for beat_field, messages in beat_errors.items():
                found += [{"index": index, "field": _field(beat_field), "message": message}
                          for message in _messages(messages)]
    return found


def _refusal(problems: list[dict[str, Any]]) -> Response:
    first = problems[0]
    where = first["field"] if first["index"] is None else f"beats[{first['index']}].{first['field']}"
    detail = f"{where}: {first['message']}" if where else first["message"]
    response = Response({"detail": detail, "errors": problems}, status=400)
    response["Cache-Control"] = "no-store"
    return response


def _beat(data: dict[str, Any]) -> Beat:
    return Beat(lesson_id=data["lesson"], session_key=data["session"], seq=data["seq"], client_at=data.get("at"),
                active=data["active"], visible=data["visible"], queued=data["queued"],
                video_position=data.get("position"), video_duration=data.get("duration"))


_SESSION_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_BEAT_FLAGS = (("active", True), ("visible", True), ("queued", False))


def _plain_number(value: Any, low: float, high: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high


def _plain_beat(item: Any) -> Beat | None:
    """One beat that is plainly what StudyBeatSerializer accepts (JSON's own types, in range), as
    that serializer would give it; None for anything else, which the serializer then reads and
    names. A page sends such beats every few seconds: they skip DRF's per-request field copies."""
    if not isinstance(item, dict):
        return None
    lesson, session, seq = item.get("lesson"), item.get("session"), item.get("seq")
    if not (isinstance(lesson, int) and not isinstance(lesson, bool) and 1 <= lesson <= MAX_INT):
        return None
    if not (isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq <= MAX_INT):
        return None
    if not (isinstance(session, str) and _SESSION_KEY.match(session)):
        return None
    flags = {}
    for name, default in _BEAT_FLAGS:
        value = item.get(name, default)
        if not isinstance(value, bool):
            return None
        flags[name] = value
    video = {}
    for name in ("position", "duration"):
        value = item.get(name)
        if value is not None and not _plain_number(value, 0, MAX_VIDEO_SECONDS):
            return None
        video[name] = None if value is None else float(value)
    at = item.get("at")
    if at is not None:
        if not isinstance(at, str):
            return None
        try:
            parsed = parse_datetime(at)
        except ValueError:
            return None
        if parsed is None or timezone.is_naive(parsed):
            return None
        try:
            at = parsed.astimezone(timezone.get_current_timezone())
        except OverflowError:
            return None
    elif flags["queued"]:
        return None
    return Beat(lesson_id=lesson, session_key=session, seq=seq, client_at=at, active=flags["active"],
                visible=flags["visible"], queued=flags["queued"], video_position=video["position"],
                video_duration=video["duration"])


def _plain_beats(data: dict[str, Any]) -> list[Beat] | None:
    items = data.get("beats")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BEATS:
        return None
    beats = [_plain_beat(item) for item in items]
    return None if any(beat is None for beat in beats) else beats  # type: ignore[return-value]


def _result(result: BeatResult) -> dict[str, Any]:
    return {"credited": result.credited_seconds, "reason": result.reason, "message": str(result.message),
            "lesson_credited": result.lesson_credited_seconds, "lesson_required": result.lesson_required_seconds,
            "lesson_completed": result.lesson_completed, "video_furthest": result.video_furthest,
            "course_completed": result.course_completed, "course_total": result.course_total,
            "year_seconds": result.year_seconds}


class StudyHeartbeats(APIView):
    """Heartbeats of the signed-in worker's lesson page: live ones every so many seconds, and the
    ones the phone queued offline (oldest first). Each beat is credited or refused by the same
    rules as every other (one device at a time, the gap since the previous beat, the lesson's cap,
    no time credited twice, the furthest point of the video watched); a refused beat is kept with
    its reason and answered with a message. A lesson that does not exist refuses the whole batch."""

    parser_classes = [JSONParser]
    serializer_class = StudyBeatBatchSerializer

    def handle_exception(self, exc: Exception) -> Response:
        # The body is parsed the first time anything reads it, and with a signed-in session that is
        # the CSRF check, before post() runs: a body that is not JSON is answered here, as the
        # schema documents, wherever it was found out.
        if isinstance(exc, ParseError | RequestDataTooBig):
            return _refusal([{"index": None, "field": "", "message": _("请求体不是合法的 JSON")}])
        return super().handle_exception(exc)

    @extend_schema(
        request=StudyBeatBatchSerializer,
        responses={200: StudyBeatAnswerSerializer, 400: REFUSED, 403: NOT_A_WORKER, 404: NO_LESSON, 415: NOT_JSON},
    )
    def post(self, request: Request) -> Response:
        # The worker row alone, read with the session: a beat comes every few seconds from every learner.
        worker = signed_in_worker(request)
        if worker is None:
            raise PermissionDenied(_("登录的账号不是劳动者：只有劳动者计学习时间"))
        data = request.data
        if not isinstance(data, dict):
            return _refusal([{"index": None, "field": "", "message": _("请求体应为 JSON 对象：{\"beats\": [...]}")}])
        beats = _plain_beats(data)
        if beats is None:
            payload = StudyBeatBatchSerializer(data=data)
            if not payload.is_valid():
                return _refusal(_problems(payload.errors))
            beats = [_beat(item) for item in payload.validated_data["beats"]]
        user_agent = strip_control(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_LENGTH]
        try:
            # The whole batch or nothing: the service checks every lesson before recording a beat.
            results = heartbeats_record(worker=worker, device_token=device_token_for(request.session),
                                        beats=beats, user_agent=user_agent)
        except StudyRefused as refused:
            if refused.code == "unknown_lesson":
                raise NotFound(str(refused)) from refused
            return _refusal([{"index": None, "field": refused.field, "message": str(refused)}])
        response = Response({"results": [_result(result) for result in results],
                             "other_device": any(result.reason == "other_device" for result in results)})
        response["Cache-Control"] = "no-store"
        return response


# Routed by config/urls.py under /api/v1/.
api_patterns = [
    path("learning/heartbeats/", StudyHeartbeats.as_view(), name="api-learning-heartbeats"),
]
