"""The public answering API (DRF): a link's questionnaire, a one-time token for a phone that opened
an open link, and the submission of a response. The answering page (surveys.views) posts here;
a field app (ODK Collect, a kiosk) may too. The same rules as the page: surveys.views.submit,
which is surveys.services.responses.response_submit made idempotent for a phone that sends again.

Anonymous calls need no CSRF token (the one-time token is the credential, and DRF's session
authentication checks CSRF only for a signed-in session); a signed-in worker's call carries the
page's CSRF token in X-CSRFToken, as every session-authenticated call of our API does.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import error_response
from exams.selectors import current_worker
from surveys import views
from surveys.services.responses import ResponseRefused

MAX_ANSWERS = 500
LINK_PARAMETER = OpenApiParameter("link_code", OpenApiTypes.STR, OpenApiParameter.PATH,
                                  description=gettext_lazy("调查链接（或二维码）上的公开代码"))
NO_LINK = error_response(gettext_lazy("没有这个调查链接"))
# A signed-in session must send its CSRF token (X-CSRFToken); an anonymous phone needs none.
CSRF_REFUSED = error_response(gettext_lazy("已登录的请求缺少 CSRF 令牌（X-CSRFToken）"))


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class QuestionnaireItemSerializer(serializers.Serializer):
    """An item as the respondent sees it: never its correct answer, points or dimension."""

    code = serializers.CharField(help_text=gettext_lazy("题目代码：answers 的键"))
    kind = serializers.ChoiceField(choices=["respondent", "knowledge", "behaviour", "note"])
    type = serializers.ChoiceField(choices=["select_one", "select_multiple", "true_false", "integer", "text", "note"])
    label = serializers.CharField()
    hint = serializers.CharField(allow_blank=True)
    choices = ChoiceSerializer(many=True)
    required = serializers.BooleanField()
    relevant = serializers.CharField(allow_blank=True, help_text=gettext_lazy("XLSForm 的 relevant 表达式（跳题规则）"))
    min_value = serializers.IntegerField(allow_null=True)
    max_value = serializers.IntegerField(allow_null=True)


class AnsweringWaveSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=["not_open", "open", "closed"])
    open_link = serializers.BooleanField(help_text=gettext_lazy("未登录、没有答题码的手机能否领取一次性答题码"))


class QuestionnaireSerializer(serializers.Serializer):
    title = serializers.CharField()
    intro = serializers.CharField(allow_blank=True)
    version = serializers.CharField(allow_blank=True)


class SurveySerializer(serializers.Serializer):
    link = serializers.CharField()
    wave = AnsweringWaveSerializer()
    questionnaire = QuestionnaireSerializer()
    fixed = serializers.ListField(child=serializers.CharField(),
                                  help_text=gettext_lazy("链接（用人单位）或登录已确定、不再询问的基本信息"))
    items = QuestionnaireItemSerializer(many=True)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=gettext_lazy("一次性答题码：随答卷提交，只能用一次"))


class SubmissionSerializer(serializers.Serializer):
    token = serializers.CharField(required=False, allow_blank=True, max_length=40,
                                  help_text=gettext_lazy("答题码；登录的劳动者不需要"))
    answers = serializers.DictField(child=serializers.JSONField(),
                                    help_text=gettext_lazy("题目代码 → 答案：单选为选项值，多选为选项值列表，整数，文本"))
    started_at = serializers.CharField(required=False, allow_blank=True, max_length=40,
                                       help_text=gettext_lazy("开始作答的时间（ISO 8601）"))


class SubmittedSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy("答卷代码"))
    already_received = serializers.BooleanField(
        help_text=gettext_lazy("同一答题码（或劳动者）以相同答案重发：此前已收到，不重复计入"))


class ProblemSerializer(serializers.Serializer):
    code = serializers.CharField()
    field = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class RefusalSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy(
        "not_open, closed, duplicate, token_unknown, token_used, token_other_wave, sign_in_required, unknown_item, "
        "invalid_value, required, out_of_frame, quota_full, group_not_in_wave, invalid"))
    field = serializers.CharField(allow_blank=True, help_text=gettext_lazy("题目代码；整份答卷的问题为空"))
    message = serializers.CharField()
    errors = ProblemSerializer(many=True)


REFUSED = OpenApiResponse(RefusalSerializer, description=gettext_lazy("拒收：原因写给答题的人看，field 指出哪一题"))
TOO_MANY = OpenApiResponse(RefusalSerializer, description=gettext_lazy("这个网络地址的请求过多，请稍后再试"))


def _link(link_code: str) -> Any:

    try:
        return views.link_or_404(link_code)
    except Http404:
        raise NotFound(_("没有这个调查链接")) from None


def _state(wave: Any) -> str:
    now = timezone.now()
    if now < wave.opens_at:
        return "not_open"
    return "closed" if now >= wave.closes_at else "open"


def _refusal(refused: ResponseRefused, status: int = 400) -> Response:
    response = Response(views.refusal_body(refused), status=status)
    response["Cache-Control"] = "no-store"
    return response


class SurveyDefinition(generics.GenericAPIView):
    """A link's questionnaire as a phone shows it: the wave's period, the items still to ask (those
    an employer's link or the signed-in worker's record settle are left out) with their choices and
    skip logic, never the knowledge items' answers."""

    permission_classes = [AllowAny]
    serializer_class = SurveySerializer

    @extend_schema(parameters=[LINK_PARAMETER], responses={200: SurveySerializer, 404: NO_LINK})
    def get(self, request: Request, link_code: str) -> Response:
        link = _link(link_code)
        wave = link.wave
        fixed = views.fixed_facts(link, current_worker(request))
        items = views.page_items(wave, fixed)
        data = {
            "link": link.code,
            "wave": {"code": wave.code, "title": wave.title, "opens_at": wave.opens_at, "closes_at": wave.closes_at,
                     "state": _state(wave), "open_link": wave.open_link},
            "questionnaire": {"title": wave.questionnaire.title, "intro": wave.questionnaire.intro,
                              "version": wave.questionnaire.version},
            "fixed": sorted(str(key) for key in fixed),
            "items": [item.as_api() for item in items],
        }
        response = Response(SurveySerializer(data).data)
        response["Cache-Control"] = "no-store"
        return response


class SurveyTokenIssue(generics.GenericAPIView):
    """A one-time token for a phone that opened an open link (the phone keeps it with its answers,
    so a reload resumes rather than answering again). At most so many per address an hour (429)."""

    permission_classes = [AllowAny]
    serializer_class = TokenSerializer

    @extend_schema(parameters=[LINK_PARAMETER], request=None,
                   responses={201: TokenSerializer, 400: REFUSED, 403: CSRF_REFUSED, 404: NO_LINK,
                              429: TOO_MANY})
    def post(self, request: Request, link_code: str) -> Response:
        link = _link(link_code)
        try:
            token = views.issue_open_token(link=link, ip=views.client_ip(request))
        except ResponseRefused as refused:
            return _refusal(refused, 429 if refused.code == "throttled" else 400)
        response = Response({"token": token.token}, status=201)
        response["Cache-Control"] = "no-store"
        return response


class SurveyResponseCreate(generics.GenericAPIView):
    """Submit a response: with a token, or as the signed-in worker. Sending the same answers again
    with the same token (a reply lost on the way back) answers 200 with the response received
    before; every refusal is 400 with its code, the item it is about and a message to show."""

    permission_classes = [AllowAny]
    serializer_class = SubmissionSerializer

    @extend_schema(parameters=[LINK_PARAMETER], request=SubmissionSerializer,
                   responses={201: SubmittedSerializer, 200: SubmittedSerializer, 400: REFUSED,
                              403: CSRF_REFUSED, 404: NO_LINK})
    def post(self, request: Request, link_code: str) -> Response:
        link = _link(link_code)
        try:
            data = request.data
        except ParseError:
            # Refused in the shape of every other refusal, so the phone reads one kind of answer.
            return _refusal(ResponseRefused(_("请求格式不对：不是合法的 JSON"), code="invalid"))
        payload = SubmissionSerializer(data=data if isinstance(data, dict) else {})
        if not payload.is_valid():
            name, problems = next(iter(payload.errors.items()))
            message = _("请求格式不对：%(field)s %(problem)s") % {"field": name, "problem": problems[0]}
            return _refusal(ResponseRefused(message, code="invalid", field=""))
        answers = payload.validated_data["answers"]
        if len(answers) > MAX_ANSWERS:
            return _refusal(ResponseRefused(_("答案过多：最多 %(limit)s 题") % {"limit": MAX_ANSWERS}, code="invalid"))
        worker = current_worker(request)
        try:
            response, already = views.submit(
                link=link, answers=answers, token="" if worker else payload.validated_data.get("token", ""),
                worker=worker, started_at=views.parse_started(payload.validated_data.get("started_at"), link.wave),
                ip=views.client_ip(request))
        except ResponseRefused as refused:
            return _refusal(refused)
        body = Response({"code": response.code, "already_received": already}, status=200 if already else 201)
        body["Cache-Control"] = "no-store"
        return body


# Routed by config/urls.py under /api/v1/.
api_patterns = [
    path("surveys/<str:link_code>/", SurveyDefinition.as_view(), name="api-survey"),
    path("surveys/<str:link_code>/tokens/", SurveyTokenIssue.as_view(), name="api-survey-tokens"),
    path("surveys/<str:link_code>/responses/", SurveyResponseCreate.as_view(), name="api-survey-responses"),
]
