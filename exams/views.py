"""The worker's exam pages: the list, an exam, sitting it on a phone, results, history, practice.

Every attempt is resolved through the request's scope and must be the signed-in worker's own:
another worker's attempt, an outsider's request or an employer admin's answers 404, as an unknown
code does. The rules (who may start, one device, the deadline, grading) are the services'.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core import sessions
from core.errors import ServiceError
from core.pagination import ParamPageLinks, page_of
from core.scope import request_scope
from exams import paper_html, selectors
from exams.forms import PracticeForm
from exams.models import Attempt, AttemptItem, AttemptMode, Exam
from exams.services import attempts as attempt_services
from exams.services.attempts import AttemptError, AttemptMissing
from exams.services.practice import MAX_PRACTICE_SIZE
from exams.services.practice import practice_start as practice_start_service

# Refusals a page cannot fix by changing the answer: it must stop, reload or go to the result.
CONFLICTS = {"taken_over", "expired", "graded", "stale", "answered"}
HISTORY_PAGE_SIZE = 30
WRONG_PAGE_SIZE = 30


def _worker_or_404(request: HttpRequest) -> Any:
    worker = selectors.current_worker(request)
    if worker is None:
        raise Http404
    return worker


def _exam_or_404(request: HttpRequest, code: str) -> tuple[Any, Exam]:
    worker = _worker_or_404(request)
    exam = selectors.visible_exam(worker, code)
    if exam is None:
        raise Http404
    return worker, exam


def _attempt_owned(request: HttpRequest, code: str) -> tuple[Attempt, bool]:
    """The attempt and whether it is the signed-in worker's own. Anyone the scope does not reach
    gets 404; an employer admin reaches their workers' attempts, read-only."""
    scope = request_scope(request)
    owned = scope.owned_or_404(Attempt.objects.select_related("exam"), code=code)
    attempt: Attempt = owned.obj
    mine = attempt.worker_id is not None and attempt.worker_id == scope.extra.get("worker_id")
    if not mine and not (owned.can_write and attempt.mode == AttemptMode.EXAM):
        raise Http404
    return attempt, mine


def _own_attempt(request: HttpRequest, code: str) -> Attempt:
    own = selectors.own_attempt(selectors.current_worker(request), code)
    if own is not None:
        return own
    attempt, mine = _attempt_owned(request, code)
    if not mine:
        raise Http404
    return attempt


def _back_url(attempt: Attempt) -> str:
    if attempt.exam is not None and attempt.mode != AttemptMode.PRACTICE:
        return reverse("exams:exam", args=[attempt.exam.code])
    return reverse("exams:practice")


def _json_error(code: str, message: str, status: int, field: str = "") -> JsonResponse:
    return JsonResponse({"ok": False, "code": code, "message": message, "field": field}, status=status)


def _json_endpoint(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    """Answers a page's fetch in JSON, also when it is refused: a signed-out page is told to sign
    in (it keeps its unsent answers), an attempt out of reach is a 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        if not request.user.is_authenticated:
            return _json_error("login", _("登录已过期，请重新登录。已选的答案保存在本机，登录后会自动提交。"), 401)
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return _json_error("not_found", _("没有找到这份答卷"), 404)

    return wrapper


# -- the worker's exams -----------------------------------------------------------------------


def _grade_expired(worker: Any) -> None:
    # A paper whose time ran out while the page was closed is graded before a list shows it, so it
    # never reads 作答中 / 继续 and its attempt is counted; the beat sweep may not have run yet.
    attempt_services.attempts_grade_expired_for(worker=worker)


@never_cache
@login_required
@require_GET
def exam_home(request: HttpRequest) -> HttpResponse:
    """我的考试."""
    worker = _worker_or_404(request)
    _grade_expired(worker)
    return render(request, "exams/home.html", {
        "cards": selectors.worker_exams(worker),
        "wrong_count": selectors.wrong_book_count(worker),
        "certificates": selectors.worker_certificates(worker)[:20],
    })


@never_cache
@login_required
@require_GET
def exam_detail(request: HttpRequest, code: str) -> HttpResponse:
    worker, exam = _exam_or_404(request, code)
    _grade_expired(worker)
    card = selectors.exam_card(worker, exam)
    return render(request, "exams/exam_detail.html", {
        "card": card, "exam": exam, "attempts": selectors.exam_attempts(worker, exam)[:30],
    })


@login_required
@require_POST
def exam_start(request: HttpRequest, code: str) -> HttpResponse:
    worker, exam = _exam_or_404(request, code)
    try:
        attempt = attempt_services.attempt_start(worker=worker, exam=exam)
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect("exams:exam", exam.code)
    return redirect("exams:attempt", attempt.code)


@login_required
@require_POST
def mock_start(request: HttpRequest, code: str) -> HttpResponse:
    worker, exam = _exam_or_404(request, code)
    try:
        attempt = attempt_services.mock_start(worker=worker, exam=exam)
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect("exams:exam", exam.code)
    return redirect("exams:attempt", attempt.code)


@never_cache
@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    worker = _worker_or_404(request)
    _grade_expired(worker)
    page = page_of(selectors.worker_history(worker), request.GET, HISTORY_PAGE_SIZE)
    return render(request, "exams/history.html", {"page": page, "links": ParamPageLinks(page, request.GET)})


# -- practice ---------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def practice_home(request: HttpRequest) -> HttpResponse:
    worker = _worker_or_404(request)
    return render(request, "exams/practice.html", {
        "form": PracticeForm(), "wrong_count": selectors.wrong_book_count(worker),
        "recent": [(attempt, selectors.practice_title(attempt)) for attempt in selectors.practice_sets(worker)],
        "max_size": MAX_PRACTICE_SIZE,
    })


@login_required
@require_POST
def practice_start(request: HttpRequest) -> HttpResponse:
    worker = _worker_or_404(request)
    form = PracticeForm(request.POST)
    back = "exams:wrong_book" if request.POST.get("order") == "wrong" else "exams:practice"
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            text = " ".join(str(error) for error in errors)
            messages.error(request, f"{label}：{text}" if label else text)
        return redirect(back)
    try:
        attempt = practice_start_service(worker=worker, choice=form.choice())
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect(back)
    return redirect("exams:attempt", attempt.code)


@never_cache
@login_required
@require_GET
def wrong_book(request: HttpRequest) -> HttpResponse:
    """错题本: the questions this worker got wrong and has not answered right since."""
    worker = _worker_or_404(request)
    page = page_of(selectors.wrong_book_entries(worker), request.GET, WRONG_PAGE_SIZE)
    return render(request, "exams/wrong_book.html", {
        "page": page, "links": ParamPageLinks(page, request.GET), "max_size": MAX_PRACTICE_SIZE,
    })


# -- sitting an attempt -----------------------------------------------------------------------


def _page_texts() -> dict[str, str]:
    return _page_texts_in(get_language())


@cache
def _question_texts_in(language: str | None) -> dict[str, str]:
    """The words of every question's screen, translated once per language and process: a paper
    repeats them for each of its questions, and a campaign's start opens thousands of papers."""
    return {
        "flagged": _("已标记"), "speak": _("朗读"), "image": _("题图"),
        "options_single": _("选项（单选）"), "options_multiple": _("选项（可多选）"),
        "confirm": _("确认答案"), "correct": _("回答正确"), "wrong": _("回答错误"), "key": _("正确答案："),
        "explanation": _("解析："), "prev": _("上一题"), "next": _("下一题"), "flag": _("标记"), "unflag": _("取消标记"),
        "heading": _("第 %(number)s / %(total)s 题 · %(kind)s"), "name": _("第 %(number)s 题"),
    }


@cache
def _page_texts_in(language: str | None) -> dict[str, str]:
    """What the page's script says, translated here (the script has no catalogue of its own),
    once per language and process."""
    return {
        "saved": _("已保存"),
        "saving": _("正在保存…"),
        "offline": _("未保存，网络恢复后自动提交"),
        "taken_over": _("这份答卷已在另一台设备上打开，本页面已停止作答。"),
        "take_back": _("在本设备继续作答"),
        "expired": _("考试时间已到，系统已自动交卷，此前保存的答案都已计分。"),
        "graded": _("这份答卷已经交卷。"),
        "view_result": _("查看成绩"),
        "login": _("登录已过期，请重新登录。已选的答案保存在本机，登录后会自动提交。"),
        "unanswered": _("还有 %(count)s 题未作答。"),
        "all_answered": _("全部题目都已作答。"),
        "confirm_exam": _("交卷后不能再修改答案。确定交卷吗？"),
        "confirm_practice": _("确定结束这组练习吗？"),
        "offline_submit": _("网络未连接：答案保存在本机，网络恢复后再交卷。"),
        "time_up": _("时间到，正在交卷…"),
        "correct": _("回答正确"),
        "wrong": _("回答错误"),
        "key": _("正确答案："),
        "explanation": _("解析："),
        "speak": _("朗读"),
        "stop": _("停止朗读"),
        "flag": _("标记"),
        "unflag": _("取消标记"),
        "state_answered": _("已作答"),
        "state_flagged": _("已标记"),
        "state_empty": _("未作答"),
        "question": _("第 %(number)s 题"),
        "choose": _("请先选择答案"),
        "error": _("没有保存："),
        "log_in": _("重新登录"),
        "reload": _("页面已过期，请刷新后继续作答；已选的答案保存在本机，刷新后会自动提交。"),
        "reload_button": _("刷新页面"),
        "time_up_offline": _("时间到，但网络未连接：网络恢复后会立即补交本机上的答案，在宽限时间内送达的仍然计分。"),
        "stale": _("这份答卷的状态已经变化（可能已在另一台设备上打开或已经交卷），本页面不再保存。请刷新页面。"),
        "discarded": _("本页面最后没能保存的选择未被计入，已撤销。"),
        # The save bar once the page has stopped: what became of the answers, in a few words.
        "status_taken_over": _("已在另一台设备上作答，本页面不再保存"),
        "status_expired": _("时间已到，已交卷，本页面不再保存"),
        "status_graded": _("已交卷，本页面不再保存"),
        "status_stale": _("答卷状态已变化，本页面不再保存"),
        "status_login": _("未保存：重新登录后自动提交"),
        "status_reload": _("未保存：刷新页面后自动提交"),
    }


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    minutes, rest = divmod(seconds, 60)
    if minutes:
        return _("%(minutes)s 分 %(seconds)s 秒") % {"minutes": minutes, "seconds": rest}
    return _("%(seconds)s 秒") % {"seconds": rest}


def _clock(seconds: int | None) -> str:
    if seconds is None:
        return ""
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


@never_cache
@login_required
@require_GET
def attempt_page(request: HttpRequest, code: str) -> HttpResponse:
    """One question per screen. Opening the page makes this device the one that answers."""
    attempt = _own_attempt(request, code)
    if attempt.status == Attempt.Status.READY:
        return redirect(_back_url(attempt))
    if attempt.is_graded:
        return redirect("exams:result", attempt.code)
    try:
        token = attempt_services.attempt_open(attempt=attempt)
    except AttemptError as error:
        messages.info(request, str(error))
        return redirect("exams:result", attempt.code)
    paper = selectors.attempt_paper(attempt)
    remaining = attempt_services.remaining_seconds(attempt)
    texts = _question_texts_in(get_language())
    practice = attempt.mode == AttemptMode.PRACTICE
    return render(request, "exams/attempt.html", {
        "attempt": attempt, "token": token,
        "screens": paper_html.question_screens(paper, texts, practice=practice),
        "navigator": paper_html.navigator(paper), "title": selectors.attempt_title(attempt),
        "positions": ",".join(str(item.position) for item in paper),
        "remaining": remaining, "clock": _clock(remaining),
        "practice": practice, "texts": _page_texts(), "back_url": _back_url(attempt),
    })


def _payload(request: HttpRequest) -> dict[str, Any]:
    """The answer as JSON ({device, position, response, flagged}) or as form fields."""
    if request.content_type == "application/json":
        data = json.loads(request.body or b"null")
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return data
    post = request.POST
    fields: dict[str, Any] = {"device": post.get("device", ""), "position": post.get("position")}
    if "response" in post:
        fields["response"] = "".join(post.getlist("response"))
    if "flagged" in post:
        fields["flagged"] = post.get("flagged")
    return fields


def attempt_answer(request: HttpRequest, code: str) -> HttpResponse:
    """Each choice as it is made, by every examinee at once in a campaign: a session this process
    already accepted is not read again, the answer's own statement re-checks it
    (``answer_save_signed_in``). Anything else takes Django's path, which says why."""
    signed_in = sessions.signed_in(request) if request.method == "POST" else None
    if signed_in is not None:
        try:
            data: dict[str, Any] | None = _payload(request)
        except ValueError:
            data = None
        if data is not None:
            saved = attempt_services.answer_save_signed_in(
                signed_in=signed_in, code=code, device_token=data.get("device"), position=data.get("position"),
                response=data.get("response"), flagged=data.get("flagged"))
            if saved is not None:
                return _saved_answer(saved, code)
    return _attempt_answer_checked(request, code)


@_json_endpoint
@require_POST
def _attempt_answer_checked(request: HttpRequest, code: str) -> HttpResponse:
    try:
        data = _payload(request)
    except ValueError:
        return _json_error("invalid", _("请求格式不对：应为 JSON 对象 {device, position, response, flagged}"), 400)
    if not data.get("device"):
        return _json_error("invalid", _("缺少设备标识 device：请重新打开答卷页面"), 400, "device")
    try:
        saved = attempt_services.answer_save_own(user_id=request.user.pk, code=code,
                                                 device_token=str(data.get("device") or ""),
                                                 position=data.get("position"), response=data.get("response"),
                                                 flagged=data.get("flagged"))
    except AttemptMissing as missing:
        raise Http404 from missing
    except AttemptError as error:
        return _json_error(error.code, str(error), 409 if error.code in CONFLICTS else 400, error.field)
    return _saved_answer(saved, code)


def _saved_answer(saved: attempt_services.Saved, code: str) -> HttpResponse:
    body: dict[str, Any] = {"ok": True, "position": saved.position, "response": saved.response,
                            "flagged": saved.flagged, "answered": saved.answered,
                            "remaining_seconds": saved.remaining_seconds}
    if saved.feedback is None:
        # Plain values only, so the json module's own encoder serves (JsonResponse builds one
        # for Django's types on every call, each answer of a campaign included).
        response = HttpResponse(json.dumps(body), content_type="application/json")
        # The reply depends on the session, though the fast path never marks it read (which is
        # what makes Django's session middleware add this).
        response["Vary"] = "Cookie"
        return response
    order = AttemptItem.objects.filter(attempt__code=code, position=saved.position).values_list(
        "option_order", flat=True).first() or ""
    body["feedback"] = {"correct": saved.feedback.is_correct, "answer": saved.feedback.answer,
                        "answer_shown": selectors.shown_letters(order, saved.feedback.answer),
                        "explanation": saved.feedback.explanation}
    return JsonResponse(body)


@_json_endpoint
@never_cache
@require_GET
def attempt_state(request: HttpRequest, code: str) -> JsonResponse:
    """Polled by the page: the server's clock, whether this device still holds the attempt."""
    attempt = _own_attempt(request, code)
    if attempt.status == Attempt.Status.OPEN and attempt.is_expired():
        # Nobody submitted by the deadline: grade now rather than wait for the scheduled task.
        attempt_services.attempt_grade_if_due(attempt_id=attempt.pk)
        attempt.refresh_from_db()
    device = request.GET.get("device", "")
    current = bool(device) and attempt.status == Attempt.Status.OPEN and secrets.compare_digest(
        device, attempt.device_token or "")
    return JsonResponse({
        "status": attempt.status, "remaining_seconds": attempt_services.remaining_seconds(attempt),
        "answered": AttemptItem.objects.filter(attempt=attempt).exclude(response="").count(),
        "device_current": current, "result_url": reverse("exams:result", args=[attempt.code]),
    })


def _save_posted_answers(request: HttpRequest, attempt: Attempt, device: str) -> None:
    """Answers that came with the submit form (a page without script, or an autosave that never
    arrived) are saved before grading; those already saved are not sent again."""
    for position, saved in AttemptItem.objects.filter(attempt=attempt).values_list("position", "response"):
        name = f"q{position}"
        if name not in request.POST:
            continue
        value = "".join(sorted(set("".join(request.POST.getlist(name)).upper())))
        if value == saved:
            continue
        try:
            attempt_services.answer_save(attempt=attempt, device_token=device, position=position, response=value)
        except AttemptError as error:
            if error.code in CONFLICTS:
                return


@login_required
@require_POST
def attempt_submit(request: HttpRequest, code: str) -> HttpResponse:
    """交卷. Idempotent: a double tap, a retry or a second device's submit grades once."""
    attempt = _own_attempt(request, code)
    if attempt.status == Attempt.Status.READY:
        return redirect(_back_url(attempt))
    device = request.POST.get("device")
    if attempt.status == Attempt.Status.OPEN and device is not None:
        if not secrets.compare_digest(device, attempt.device_token or ""):
            messages.error(request, _("这份答卷已在另一台设备上打开，请在那台设备上交卷，或重新打开答卷。"))
            return redirect(_back_url(attempt))
        _save_posted_answers(request, attempt, device)
    attempt_services.attempt_submit(attempt=attempt)
    return redirect("exams:result", attempt.code)


@never_cache
@login_required
@require_GET
def attempt_result(request: HttpRequest, code: str) -> HttpResponse:
    """Score, pass, time used and the review as the exam allows. The worker's employer admin may
    read it too (no buttons for them)."""
    attempt, mine = _attempt_owned(request, code)
    if not attempt.is_graded:
        if mine and attempt.status == Attempt.Status.OPEN:
            return redirect("exams:attempt", attempt.code)
        if mine:
            return redirect(_back_url(attempt))
        return render(request, "exams/result.html", {"attempt": attempt, "pending": True, "mine": False,
                                                     "title": selectors.attempt_title(attempt)})
    summary = selectors.attempt_result(attempt)
    return render(request, "exams/result.html", {
        "attempt": attempt, "summary": summary, "mine": mine, "used": _duration(summary.seconds_used),
        "title": selectors.attempt_title(attempt), "review_message": selectors.review_message(attempt),
        "back_url": _back_url(attempt),
    })
