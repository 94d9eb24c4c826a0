"""REST API of exams (DRF): a worker's exams and graded attempts, an employer's results, and the
public certificate check. The routes read through the same selectors and services as the pages,
and resolve every employer through the request's scope as the pages do."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import NOT_SIGNED_IN, error_response, parameter_errors
from core.text import safe_parameter
from exams import selectors
from exams.models import AttemptMode, Certificate, Exam
from exams.services.certificates import CertificateError, certificate_verify
from exams.services.results_export import (
    PASSED_FILTERS,
    ResultRow,
    ResultsExportError,
    employer_results,
    result_rows,
)
from orgs.access import employer_or_404

NOT_A_WORKER = error_response(_("登录的账号没有劳动者档案，或没有这一页"))
VERIFY_STATES = ("valid", "revoked", "unknown")


class ExamRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()


class CountedResultSerializer(serializers.Serializer):
    """The attempt whose grade stands (best by default, or the first or last, as the exam says)."""

    attempt = serializers.CharField(help_text=_("答卷代码"))
    number = serializers.IntegerField(help_text=_("第几次考试"))
    score = serializers.FloatField()
    max_score = serializers.FloatField()
    percent = serializers.FloatField()
    passed = serializers.BooleanField()
    graded_at = serializers.DateTimeField()


class EligibilitySerializer(serializers.Serializer):
    allowed = serializers.BooleanField(help_text=_("现在能否开始（或继续）考试"))
    reason = serializers.CharField(help_text=_("不能开始的原因；能开始时为空"))
    attempts_used = serializers.IntegerField()
    attempts_left = serializers.IntegerField(allow_null=True, help_text=_("剩余次数；null 表示不限"))
    open_attempt = serializers.CharField(allow_null=True, help_text=_("正在作答的答卷代码"))


class MyExamSerializer(serializers.Serializer):
    code = serializers.CharField(source="exam.code")
    title = serializers.CharField(source="exam.title")
    url = serializers.CharField(help_text=_("考试页面的站内地址"))
    opens_at = serializers.DateTimeField(source="exam.opens_at")
    closes_at = serializers.DateTimeField(source="exam.closes_at")
    due_at = serializers.DateTimeField(allow_null=True, help_text=_("单位规定的完成期限"))
    minutes = serializers.IntegerField(help_text=_("考试时长（分钟），含单位给本人延长的时间"))
    questions = serializers.IntegerField(source="question_count")
    pass_percent = serializers.IntegerField(source="exam.pass_percent")
    certifies = serializers.BooleanField(source="exam.certifies")
    state = serializers.ChoiceField(choices=["not_started", "available", "in_progress", "passed", "failed", "closed"])
    eligibility = EligibilitySerializer()
    result = CountedResultSerializer(allow_null=True)
    certificate = serializers.CharField(allow_null=True, help_text=_("证书验证码"))


def _counted(attempt: Any) -> dict[str, Any] | None:
    if attempt is None:
        return None
    return {"attempt": attempt.code, "number": attempt.number, "score": attempt.score, "max_score": attempt.max_score,
            "percent": attempt.percent or 0.0, "passed": bool(attempt.passed), "graded_at": attempt.graded_at}


def _card(card: selectors.ExamCard) -> dict[str, Any]:
    from django.urls import reverse

    eligibility = card.eligibility
    return {
        "exam": card.exam, "url": reverse("exams:exam", args=[card.exam.code]), "due_at": card.due_at,
        "minutes": card.minutes, "question_count": card.question_count, "state": card.state,
        "eligibility": {"allowed": eligibility.allowed, "reason": eligibility.reason,
                        "attempts_used": eligibility.attempts_used, "attempts_left": eligibility.attempts_left,
                        "open_attempt": eligibility.open_attempt.code if eligibility.open_attempt else None},
        "result": _counted(card.counted),
        "certificate": card.certificate.verification if card.certificate else None,
    }


def _worker_or_404(request: Request) -> Any:
    worker = selectors.current_worker(request)
    if worker is None:
        raise NotFound(_("登录的账号没有劳动者档案"))
    from exams.services.attempts import attempts_grade_expired_for

    # As the pages do: a paper whose time ran out is graded before it is listed.
    attempts_grade_expired_for(worker=worker)
    return worker


class MyExamList(generics.GenericAPIView):
    """The signed-in worker's exams (assigned by the employer or open to every worker), those to
    sit first: whether each can be started now, and the result that counts."""

    serializer_class = MyExamSerializer

    @extend_schema(responses={200: MyExamSerializer(many=True), 403: NOT_SIGNED_IN, 404: NOT_A_WORKER})
    def get(self, request: Request) -> Response:
        worker = _worker_or_404(request)
        page = self.paginate_queryset(selectors.worker_exams(worker)) or []
        return self.get_paginated_response(MyExamSerializer([_card(card) for card in page], many=True).data)


class MyAttemptSerializer(serializers.Serializer):
    code = serializers.CharField()
    exam = ExamRefSerializer()
    number = serializers.IntegerField()
    score = serializers.FloatField()
    max_score = serializers.FloatField()
    percent = serializers.FloatField()
    passed = serializers.BooleanField()
    graded_at = serializers.DateTimeField()
    submitted_by_deadline = serializers.BooleanField(help_text=_("到时由系统交卷"))
    counted = serializers.BooleanField(help_text=_("是否为这场考试计分的一次"))
    certificate = serializers.CharField(allow_null=True, help_text=_("凭这次考试颁发的证书的验证码"))


class MyAttemptList(generics.GenericAPIView):
    """The signed-in worker's graded exam attempts, newest first (mock exams and practice count
    for nothing and are not listed)."""

    serializer_class = MyAttemptSerializer

    @extend_schema(responses={200: MyAttemptSerializer(many=True), 403: NOT_SIGNED_IN, 404: NOT_A_WORKER})
    def get(self, request: Request) -> Response:
        worker = _worker_or_404(request)
        rows = [row for row in selectors.worker_history(worker) if row.attempt.mode == AttemptMode.EXAM]
        page = self.paginate_queryset(rows) or []
        certificates = dict(Certificate.objects.filter(attempt__in=[row.attempt for row in page]).values_list(
            "attempt_id", "verification"))
        data = [{"code": row.attempt.code, "exam": row.attempt.exam, "number": row.attempt.number,
                 "score": row.attempt.score, "max_score": row.attempt.max_score, "percent": row.attempt.percent or 0.0,
                 "passed": bool(row.attempt.passed), "graded_at": row.attempt.graded_at,
                 "submitted_by_deadline": row.attempt.submitted_by_deadline, "counted": row.counted,
                 "certificate": certificates.get(row.attempt.pk)} for row in page]
        return self.get_paginated_response(MyAttemptSerializer(data, many=True).data)


class ResultWorkerSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    id_number = serializers.CharField(help_text=_("本单位管理员看到完整号码，其他角色看到脱敏号码"))
    department = serializers.CharField()
    post_role = serializers.CharField()
    is_active = serializers.BooleanField()


class ResultScoreSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    score = serializers.FloatField()
    max_score = serializers.FloatField()
    percent = serializers.FloatField()
    passed = serializers.BooleanField()
    graded_at = serializers.DateTimeField()


class ResultCertificateSerializer(serializers.Serializer):
    verification = serializers.CharField()
    state = serializers.ChoiceField(choices=["valid", "revoked"])


class EmployerResultSerializer(serializers.Serializer):
    worker = ResultWorkerSerializer()
    exam = ExamRefSerializer()
    assigned = serializers.BooleanField(help_text=_("是否由本单位安排（否则为向所有劳动者开放的考试）"))
    due_at = serializers.DateTimeField(allow_null=True)
    attempts_used = serializers.IntegerField()
    in_progress = serializers.BooleanField(help_text=_("正在作答"))
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    result = ResultScoreSerializer(allow_null=True, help_text=_("计分的一次；尚无成绩时为 null"))
    certificate = ResultCertificateSerializer(allow_null=True)


def _result(row: ResultRow) -> dict[str, Any]:
    graded = row.counted_number is not None
    return {
        "worker": {"code": row.worker_code, "name": row.worker_name, "id_number": row.id_number,
                   "department": row.department, "post_role": row.post_role, "is_active": row.worker_active},
        "exam": {"code": row.exam_code, "title": row.exam_title}, "assigned": row.assigned, "due_at": row.due_at,
        "attempts_used": row.attempts_used, "in_progress": row.in_progress, "last_attempt_at": row.last_attempt_at,
        "result": {"number": row.counted_number, "score": row.score, "max_score": row.max_score,
                   "percent": row.percent or 0.0, "passed": bool(row.passed), "graded_at": row.graded_at}
        if graded else None,
        "certificate": {"verification": row.certificate_verification, "state": row.certificate_state}
        if row.certificate_verification else None,
    }


class EmployerResultList(generics.GenericAPIView):
    """Exam results of the employer's own workers, one row per worker and exam (newest exam first,
    then by department and name), for the employer's admins. An evaluator of its region is refused
    (403), as on the results page; anyone else gets 404, as for an unknown employer."""

    serializer_class = EmployerResultSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("用人单位的公开代码")),
            OpenApiParameter("exam", OpenApiTypes.STR, description=_("只看一场考试：考试的公开代码")),
            OpenApiParameter("department", OpenApiTypes.STR, description=_("只看一个部门：部门名称")),
            OpenApiParameter("passed", OpenApiTypes.STR, enum=PASSED_FILTERS, description=_(
                "passed：计分成绩合格；failed：不合格；pending：尚无成绩（未考或正在考）")),
        ],
        responses={
            200: EmployerResultSerializer(many=True),
            400: parameter_errors("EmployerResultListParameterErrors", ["exam", "passed"]),
            403: error_response(_("未登录，或只读角色（评估人员）无权查看成绩名单")),
            404: error_response(_("没有这个用人单位或无权查看（两者不作区分），或没有这一页")),
        },
    )
    def get(self, request: Request, code: str) -> Response:
        owned = employer_or_404(request, code, write=True)
        params = request.query_params
        exam = None
        if params.get("exam"):
            exam_code = safe_parameter(params["exam"], 40)
            exam = (Exam.objects.exclude(status=Exam.Status.DRAFT).filter(code=exam_code).first()
                    if exam_code.isascii() and exam_code.isprintable() else None)
            if exam is None:
                raise ValidationError({"exam": [_("没有这场考试：exam 应为已发布考试的公开代码")]})
        try:
            pairs = employer_results(employer=owned.obj, exam=exam, department=params.get("department", ""),
                                     passed=params.get("passed", ""))
        except ResultsExportError as refused:
            raise ValidationError({refused.field or "detail": [str(refused)]}) from refused
        page = self.paginate_queryset(pairs) or []
        rows = result_rows(page, sees_raw=owned.sees_raw)
        return self.get_paginated_response(EmployerResultSerializer([_result(row) for row in rows], many=True).data)


class CertificateCheckSerializer(serializers.Serializer):
    """What the public check tells: valid, revoked or unknown, and what the holder agreed to show."""

    state = serializers.ChoiceField(choices=VERIFY_STATES)
    holder_name = serializers.CharField(allow_null=True, help_text=_("持证人同意显示时才有"))
    employer_name = serializers.CharField(allow_null=True, help_text=_("持证人同意显示时才有"))
    exam_title = serializers.CharField(allow_null=True)
    hours = serializers.FloatField(allow_null=True)
    issued_on = serializers.DateField(allow_null=True)
    revoked_on = serializers.DateField(allow_null=True)


_CHECK_FIELDS = ("holder_name", "employer_name", "exam_title", "hours", "issued_on", "revoked_on")
TOO_MANY = error_response(_("这个网络地址一小时内查询了过多不存在的验证码，请稍后再试"))


def _client_ip(request: Request) -> str:
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or ""


class CertificateCheck(generics.GenericAPIView):
    """Public check of a certificate's verification code (printed on it, and in its QR address), as
    the verify page answers it: a code that does not exist, or could not be one, is "unknown" in the
    same way. Unknown codes count against the caller's address, so codes cannot be guessed (429)."""

    permission_classes = [AllowAny]
    serializer_class = CertificateCheckSerializer

    @extend_schema(
        parameters=[OpenApiParameter("verification", OpenApiTypes.STR, OpenApiParameter.PATH,
                                     description=_("证书上的 12 位验证码（不区分大小写，可带空格或短横线）"))],
        responses={200: CertificateCheckSerializer, 429: TOO_MANY},
    )
    def get(self, request: Request, verification: str) -> Response:
        try:
            result = certificate_verify(verification=verification, client_ip=_client_ip(request))
        except CertificateError as refused:
            response = Response({"detail": str(refused)}, status=429)
        else:
            data: dict[str, Any] = {"state": result.state if result.state in VERIFY_STATES else "unknown"}
            for name in _CHECK_FIELDS:
                data[name] = (getattr(result, name, None) or None) if data["state"] != "unknown" else None
            response = Response(CertificateCheckSerializer(data).data)
        # The answer changes when a certificate is revoked: never kept by a cache on the way.
        response["Cache-Control"] = "no-store"
        return response
