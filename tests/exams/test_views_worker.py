"""The worker's exam pages: the list, an exam, sitting it (page, answer, state, submit), results
and review, history, practice and the 错题本 — as the worker, another worker, the employer admin,
an outsider (admin of another employer) and an anonymous visitor."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from exams.models import Attempt, AttemptMode, Exam, QuestionKind, ReviewPolicy, WrongAnswer
from exams.services.attempts import attempt_open, attempt_start, attempt_submit
from tests.conftest import Personas
from tests.exams.helpers import answer_key, make_bank, make_exam

pytestmark = pytest.mark.django_db

WORKER_PAGES = ["exams:home", "exams:history", "exams:practice", "exams:wrong_book"]


@pytest.fixture
def exam(personas: Personas) -> Exam:
    make_bank(12)
    return make_exam(workers=[personas.worker])


@pytest.fixture
def worker(personas: Personas) -> Client:
    return personas.client(personas.worker_user)


def _html(response: Any) -> str:
    return response.content.decode()


def _start(client: Client, exam: Exam) -> Attempt:
    response = client.post(reverse("exams:start", args=[exam.code]))
    assert response.status_code == 302, response
    code = response["Location"].rstrip("/").split("/")[-1]
    return Attempt.objects.get(code=code)


def _open(client: Client, attempt: Attempt) -> tuple[str, str]:
    """GET the attempt page: (html, device token)."""
    response = client.get(reverse("exams:attempt", args=[attempt.code]))
    assert response.status_code == 200
    html = _html(response)
    token = re.search(r'data-device="([0-9a-f]+)"', html)
    assert token is not None
    return html, token.group(1)


def _answer(client: Client, attempt: Attempt, body: Any, **extra: Any) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(reverse("exams:answer", args=[attempt.code]), data=data, content_type="application/json", **extra)


def _wrong_letter(attempt: Attempt, position: int) -> str:
    item = attempt.items.select_related("version").get(position=position)
    letters = "AB" if item.version.kind == QuestionKind.TRUE_FALSE else "ABCD"
    return next(letter for letter in letters if letter != item.version.answer)


# -- who may see the worker's pages ---------------------------------------------------------------


def test_every_worker_page_answers_the_worker(personas: Personas, exam: Exam, worker: Client) -> None:
    for name in WORKER_PAGES:
        assert worker.get(reverse(name)).status_code == 200, name
    assert worker.get(reverse("exams:exam", args=[exam.code])).status_code == 200


@pytest.mark.parametrize("persona", ["employer_admin", "outsider", "evaluator", "editor", "superuser"])
def test_the_worker_pages_do_not_exist_for_other_roles(personas: Personas, exam: Exam, persona: str) -> None:
    client = personas.client(getattr(personas, persona))
    for name in WORKER_PAGES:
        assert client.get(reverse(name)).status_code == 404, name
    assert client.get(reverse("exams:exam", args=[exam.code])).status_code == 404
    assert client.post(reverse("exams:start", args=[exam.code])).status_code == 404
    assert client.post(reverse("exams:mock", args=[exam.code])).status_code == 404
    assert client.post(reverse("exams:practice_start"), {"order": "random"}).status_code == 404
    assert not Attempt.objects.exists()


def test_an_anonymous_visitor_is_sent_to_log_in(exam: Exam) -> None:
    client = Client()
    for url in [reverse(name) for name in WORKER_PAGES] + [reverse("exams:exam", args=[exam.code])]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
    assert client.post(reverse("exams:start", args=[exam.code])).status_code == 302
    assert not Attempt.objects.exists()


def test_an_exam_not_given_to_the_worker_is_404(personas: Personas, exam: Exam) -> None:
    other = personas.client(personas.other_worker.user)
    assert other.get(reverse("exams:exam", args=[exam.code])).status_code == 404
    assert other.post(reverse("exams:start", args=[exam.code])).status_code == 404
    assert other.post(reverse("exams:mock", args=[exam.code])).status_code == 404
    draft = make_exam(open_to_all=True)
    draft.status = Exam.Status.DRAFT
    draft.save()
    worker = personas.client(personas.worker_user)
    for code in [draft.code, "unknown", "a\x00b", "x" * 300]:
        assert worker.get(reverse("exams:exam", args=[code])).status_code == 404


# -- 我的考试 and an exam's page -----------------------------------------------------------------


def test_the_list_shows_each_exam_with_its_state(personas: Personas, exam: Exam, worker: Client) -> None:
    now = timezone.now()
    open_to_all = make_exam(title="全员职业健康知识考试", open_to_all=True, attempts=0)
    later = make_exam(title="下月考试", workers=[personas.worker], opens=now + dt.timedelta(days=3))
    ended = make_exam(title="去年考试", workers=[personas.worker], opens=now - dt.timedelta(days=30))
    ended.closes_at = now - dt.timedelta(days=1)
    ended.save()
    make_exam(title="别人的考试", workers=[personas.other_worker])
    passed = make_exam(title="已通过的考试", workers=[personas.worker], certifies=False)
    attempt = attempt_start(worker=personas.worker, exam=passed)
    token = attempt_open(attempt=attempt)
    from exams.services.attempts import answer_save

    for position, key in answer_key(attempt).items():
        answer_save(attempt=attempt, device_token=token, position=position, response=key)
    attempt_submit(attempt=attempt)

    html = _html(worker.get(reverse("exams:home")))
    assert "别人的考试" not in html
    assert html.index(exam.title) < html.index("下月考试")  # what to sit first
    assert "可参加 2 次" in html and "可参加，不限次数" in html and open_to_all.title in html
    assert "未开始" in html and "已结束" in html and "已合格" in html
    assert later.title in html and ended.title in html


def test_the_exam_page_shows_the_rules_and_the_buttons(personas: Personas, exam: Exam, worker: Client) -> None:
    html = _html(worker.get(reverse("exams:exam", args=[exam.code])))
    assert "30 分钟" in html and "6 题" in html and "得分率 60%" in html
    assert "已考 0 次，还可考 2 次" in html
    assert f'action="{reverse("exams:start", args=[exam.code])}"' in html
    assert f'action="{reverse("exams:mock", args=[exam.code])}"' in html


def test_start_and_mock_are_post_only(exam: Exam, worker: Client) -> None:
    assert worker.get(reverse("exams:start", args=[exam.code])).status_code == 405
    assert worker.get(reverse("exams:mock", args=[exam.code])).status_code == 405
    assert worker.get(reverse("exams:practice_start")).status_code == 405
    assert not Attempt.objects.exists()


def test_a_refused_start_says_why_on_the_exam_page(personas: Personas, worker: Client) -> None:
    make_bank(12)
    later = make_exam(workers=[personas.worker], opens=timezone.now() + dt.timedelta(days=1))
    response = worker.post(reverse("exams:start", args=[later.code]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("exams:exam", args=[later.code])
    assert "考试尚未开始" in _html(response)
    assert not Attempt.objects.filter(status=Attempt.Status.OPEN).exists()


def test_a_blueprint_the_bank_cannot_fill_is_a_message(personas: Personas, worker: Client) -> None:
    make_bank(3)
    exam = make_exam(workers=[personas.worker], questions=10)
    for name in ("exams:start", "exams:mock"):
        response = worker.post(reverse(name, args=[exam.code]), follow=True)
        assert response.status_code == 200
        assert "题库中只有" in _html(response)


# -- the HTTP contract of sitting an exam (the campaign benchmark uses it) ------------------------


def test_the_contract_start_page_answer_submit(personas: Personas, exam: Exam) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.worker_user)
    home = client.get(reverse("exams:exam", args=[exam.code]))
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', _html(home)).group(1)
    started = client.post(f"/exams/{exam.code}/start/", {"csrfmiddlewaretoken": csrf})
    assert started.status_code == 302
    match = re.fullmatch(r"/exams/attempts/([\w-]+)/", started["Location"])
    assert match is not None
    code = match.group(1)
    page = client.get(f"/exams/attempts/{code}/")
    html = _html(page)
    token = re.search(r'data-device="([0-9a-f]{32})"', html).group(1)
    assert 'data-positions="1,2,3,4,5,6"' in html
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    saved = client.post(f"/exams/attempts/{code}/answer/", data=json.dumps({"device": token, "position": 1, "response": "A"}),
                        content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert saved.status_code == 200
    body = saved.json()
    assert body["ok"] is True and body["answered"] == 1 and 0 < body["remaining_seconds"] <= 30 * 60
    assert "feedback" not in body
    # Without the CSRF header the answer is refused.
    assert client.post(f"/exams/attempts/{code}/answer/", data=json.dumps({"device": token, "position": 2, "response": "A"}),
                       content_type="application/json").status_code == 403
    submitted = client.post(f"/exams/attempts/{code}/submit/", {"csrfmiddlewaretoken": csrf})
    assert submitted.status_code == 302 and submitted["Location"] == f"/exams/attempts/{code}/result/"
    assert Attempt.objects.get(code=code).status == Attempt.Status.GRADED


def test_the_page_holds_no_key_before_grading(personas: Personas, exam: Exam, worker: Client) -> None:
    exam_attempt = _start(worker, exam)
    mock = Attempt.objects.get(code=worker.post(reverse("exams:mock", args=[exam.code]))["Location"].split("/")[-2])
    assert mock.mode == AttemptMode.MOCK
    for attempt in (exam_attempt, mock):
        html, token = _open(worker, attempt)
        for item in attempt.items.select_related("version"):
            assert item.version.stem in html
            assert item.version.explanation not in html
        assert not re.search(r"data-(answer|key|correct)=", html) and not re.search(r'class="option[^"]*is-key', html)
        assert html.count('data-testid="feedback" aria-live="polite" hidden') == attempt.items.count()
        attempt.refresh_from_db()
        assert attempt.device_token == token
        # Answering tells nothing either.
        body = _answer(worker, attempt, {"device": token, "position": 1, "response": "A"}).json()
        assert body["ok"] and "feedback" not in body
        assert all(item.version.explanation not in json.dumps(body) for item in attempt.items.select_related("version"))
    script = (Path(__file__).parents[2] / "static" / "exams" / "attempt.js").read_text()
    assert "解析" not in script  # the script carries no content, only what the server sends it


def test_options_follow_the_papers_order(personas: Personas, exam: Exam, worker: Client) -> None:
    attempt = _start(worker, exam)
    html, _token = _open(worker, attempt)
    for item in attempt.items.select_related("version"):
        if item.version.kind == QuestionKind.TRUE_FALSE:
            continue
        texts = [item.version.options["ABCDEFGH".index(letter)] for letter in item.option_order]
        indexes = [html.index(text) for text in texts]
        assert indexes == sorted(indexes)
        section = html[html.index(f'id="q{item.position}"'):]
        assert f'type="{"checkbox" if item.version.kind == QuestionKind.MULTIPLE else "radio"}" name="q{item.position}"' in section


# -- saving answers ---------------------------------------------------------------------------------


def test_answers_save_as_json_and_as_form_data(exam: Exam, worker: Client) -> None:
    exam.rules.update(kind=QuestionKind.MULTIPLE, count=2)
    attempt = _start(worker, exam)
    _html_text, token = _open(worker, attempt)
    multiple = attempt.items.get(position=2)
    assert _answer(worker, attempt, {"device": token, "position": 1, "response": "A", "flagged": True}).json()["flagged"]
    form = worker.post(reverse("exams:answer", args=[attempt.code]),
                       {"device": token, "position": multiple.position, "response": ["C", "A"]})
    assert form.status_code == 200 and form.json()["response"] == "AC"
    unflag = worker.post(reverse("exams:answer", args=[attempt.code]), {"device": token, "position": 1, "flagged": "0"})
    assert unflag.json()["flagged"] is False and unflag.json()["response"] == "A"
    assert attempt.items.get(position=1).response == "A"
    # Clearing an answer.
    assert _answer(worker, attempt, {"device": token, "position": 1, "response": ""}).json()["answered"] == 1


@pytest.mark.parametrize("body", [
    {"position": 99, "response": "A"},
    {"position": "x", "response": "A"},
    {"position": None, "response": "A"},
    {"position": 1, "response": "Z"},
    {"position": 1, "response": {"a": 1}},
    {"position": 1, "response": 7},
    {"position": 1, "response": "AB" * 20},
    {"position": "1\x00", "response": "A\x00"},
])
def test_bad_values_are_400_with_a_message(exam: Exam, worker: Client, body: dict[str, Any]) -> None:
    attempt = _start(worker, exam)
    _html_text, token = _open(worker, attempt)
    response = _answer(worker, attempt, {"device": token, **body})
    assert response.status_code == 400
    assert response.json()["ok"] is False and response.json()["message"]


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", "null", "\"A\"", b"\xff\xfe", "", "{}"])
def test_malformed_json_is_400(exam: Exam, worker: Client, raw: Any) -> None:
    attempt = _start(worker, exam)
    response = _answer(worker, attempt, raw)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_a_single_choice_takes_one_letter(exam: Exam, worker: Client, personas: Personas) -> None:
    # The whole bank on the paper: a draw of 6 from it has no single choice about one time in 33.
    exam = make_exam(questions=12, workers=[personas.worker])
    attempt = _start(worker, exam)
    _html_text, token = _open(worker, attempt)
    single = attempt.items.select_related("version").filter(version__kind=QuestionKind.SINGLE).first()
    response = _answer(worker, attempt, {"device": token, "position": single.position, "response": "AB"})
    assert response.status_code == 400 and "只能选一个" in response.json()["message"]


def test_another_device_takes_over_and_the_first_is_told(exam: Exam, worker: Client, personas: Personas) -> None:
    attempt = _start(worker, exam)
    _first_html, first = _open(worker, attempt)
    phone = personas.client(personas.worker_user)
    _second_html, second = _open(phone, attempt)
    refused = _answer(worker, attempt, {"device": first, "position": 1, "response": "A"})
    assert refused.status_code == 409 and refused.json()["code"] == "taken_over"
    state = worker.get(reverse("exams:state", args=[attempt.code]), {"device": first}).json()
    assert state["device_current"] is False and state["status"] == "open"
    assert _answer(phone, attempt, {"device": second, "position": 1, "response": "A"}).status_code == 200
    assert phone.get(reverse("exams:state", args=[attempt.code]), {"device": second}).json()["device_current"] is True
    # The first device's submit is refused; the attempt stays open for the second.
    response = worker.post(reverse("exams:submit", args=[attempt.code]), {"device": first})
    assert response.status_code == 302 and response["Location"] == reverse("exams:exam", args=[exam.code])
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.OPEN


def test_after_the_deadline_an_answer_is_409_expired(exam: Exam, worker: Client) -> None:
    attempt = _start(worker, exam)
    _html_text, token = _open(worker, attempt)
    assert _answer(worker, attempt, {"device": token, "position": 1, "response": "A"}).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=32)):
        response = _answer(worker, attempt, {"device": token, "position": 2, "response": "A"})
        assert response.status_code == 409 and response.json()["code"] == "expired"
        again = _answer(worker, attempt, {"device": token, "position": 2, "response": "A"})
        assert again.status_code == 409 and again.json()["code"] == "graded"
        # Opening the page again shows the result.
        page = worker.get(reverse("exams:attempt", args=[attempt.code]))
        assert page.status_code == 302 and page["Location"] == reverse("exams:result", args=[attempt.code])
    attempt.refresh_from_db()
    assert attempt.is_graded and attempt.submitted_by_deadline
    assert attempt.items.get(position=1).response == "A"


def test_the_state_poll_grades_an_attempt_past_its_deadline(exam: Exam, worker: Client) -> None:
    attempt = _start(worker, exam)
    _html_text, token = _open(worker, attempt)
    state = worker.get(reverse("exams:state", args=[attempt.code]), {"device": token}).json()
    assert state["status"] == "open" and state["device_current"] and state["answered"] == 0
    assert 29 * 60 < state["remaining_seconds"] <= 30 * 60
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=40)):
        state = worker.get(reverse("exams:state", args=[attempt.code]), {"device": token}).json()
    assert state["status"] == "graded" and state["remaining_seconds"] == 0 and not state["device_current"]
    assert state["result_url"] == reverse("exams:result", args=[attempt.code])


def test_the_attempt_endpoints_are_404_for_everyone_else(personas: Personas, exam: Exam, worker: Client) -> None:
    attempt = _start(worker, exam)
    _html_text, token = _open(worker, attempt)
    for user in (personas.other_worker.user, personas.outsider, personas.employer_admin, personas.evaluator,
                 personas.superuser):
        client = personas.client(user)
        assert client.get(reverse("exams:attempt", args=[attempt.code])).status_code == 404
        answer = _answer(client, attempt, {"device": token, "position": 1, "response": "A"})
        assert answer.status_code == 404 and answer.json()["ok"] is False
        assert client.get(reverse("exams:state", args=[attempt.code]), {"device": token}).status_code == 404
        assert client.post(reverse("exams:submit", args=[attempt.code])).status_code == 404
    for code in ["unknown", "a\x00b"]:
        response = worker.post(reverse("exams:answer", args=[code]), data=json.dumps({"device": token, "position": 1}),
                               content_type="application/json")
        assert response.status_code == 404
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.OPEN and attempt.items.exclude(response="").count() == 0
    assert attempt.device_token == token


def test_the_json_endpoints_tell_a_signed_out_page_to_log_in(exam: Exam, worker: Client) -> None:
    attempt = _start(worker, exam)
    anonymous = Client()
    response = _answer(anonymous, attempt, {"device": "x", "position": 1, "response": "A"})
    assert response.status_code == 401 and response.json()["code"] == "login"
    assert anonymous.get(reverse("exams:state", args=[attempt.code])).status_code == 401
    assert anonymous.get(reverse("exams:attempt", args=[attempt.code])).status_code == 302
    assert anonymous.post(reverse("exams:submit", args=[attempt.code])).status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.OPEN


# -- submitting, results and review -------------------------------------------------------------------


def test_submit_grades_once_and_shows_the_result(personas: Personas, exam: Exam, worker: Client) -> None:
    attempt = _start(worker, exam)
    _html_text, token = _open(worker, attempt)
    for position, key in answer_key(attempt).items():
        assert _answer(worker, attempt, {"device": token, "position": position, "response": key}).status_code == 200
    first = worker.post(reverse("exams:submit", args=[attempt.code]), {"device": token})
    assert first["Location"] == reverse("exams:result", args=[attempt.code])
    graded_at = Attempt.objects.get(pk=attempt.pk).graded_at
    second = worker.post(reverse("exams:submit", args=[attempt.code]), {"device": token})
    assert second["Location"] == reverse("exams:result", args=[attempt.code])
    assert Attempt.objects.get(pk=attempt.pk).graded_at == graded_at
    html = _html(worker.get(first["Location"]))
    assert "合格" in html and "得分率 100%" in html
    certificate = Attempt.objects.get(pk=attempt.pk).certificate
    assert reverse("exams:certificate", args=[certificate.verification]) in html
    from django.utils.html import escapejs

    assert f'localStorage.removeItem("exams:attempt:{escapejs(attempt.code)}")' in html  # unsent answers forgotten
    # The attempt page of a graded attempt goes to the result; answers are refused.
    assert worker.get(reverse("exams:attempt", args=[attempt.code]))["Location"] == first["Location"]
    assert _answer(worker, attempt, {"device": token, "position": 1, "response": "A"}).json()["code"] == "graded"


def test_answers_posted_with_the_submit_form_are_saved_first(exam: Exam, worker: Client) -> None:
    attempt = _start(worker, exam)
    _html_text, token = _open(worker, attempt)
    key = answer_key(attempt)
    form = {"device": token, **{f"q{position}": list(letters) for position, letters in key.items()}}
    worker.post(reverse("exams:submit", args=[attempt.code]), form)
    attempt.refresh_from_db()
    assert attempt.is_graded and attempt.percent == 100.0


def test_the_result_page_before_grading_goes_back_to_the_paper(exam: Exam, worker: Client) -> None:
    attempt = _start(worker, exam)
    response = worker.get(reverse("exams:result", args=[attempt.code]))
    assert response.status_code == 302 and response["Location"] == reverse("exams:attempt", args=[attempt.code])


def _graded(worker: Client, exam: Exam, *, right: bool = True) -> Attempt:
    attempt = _start(worker, exam)
    _html_text, token = _open(worker, attempt)
    for position, key in answer_key(attempt).items():
        response = key if right else _wrong_letter(attempt, position)
        _answer(worker, attempt, {"device": token, "position": position, "response": response})
    worker.post(reverse("exams:submit", args=[attempt.code]), {"device": token})
    attempt.refresh_from_db()
    return attempt


def test_review_after_submit_shows_key_and_explanation(exam: Exam, worker: Client) -> None:
    attempt = _graded(worker, exam, right=False)
    html = _html(worker.get(reverse("exams:result", args=[attempt.code])))
    assert "不合格" in html and 'data-testid="review"' in html
    for item in attempt.items.select_related("version"):
        assert item.version.explanation in html
    assert "✗ 错误" in html and "您的选择" in html


def test_review_never_shows_no_key(personas: Personas, worker: Client) -> None:
    make_bank(12)
    exam = make_exam(workers=[personas.worker], review=ReviewPolicy.NEVER)
    attempt = _graded(worker, exam)
    html = _html(worker.get(reverse("exams:result", args=[attempt.code])))
    assert "本考试不公布答案和解析" in html and 'data-testid="review"' not in html
    assert all(item.version.explanation not in html for item in attempt.items.select_related("version"))


def test_review_after_close_waits_for_the_window_to_end(personas: Personas, worker: Client) -> None:
    make_bank(12)
    exam = make_exam(workers=[personas.worker], review=ReviewPolicy.AFTER_CLOSE)
    attempt = _graded(worker, exam)
    explanation = attempt.items.select_related("version").first().version.explanation
    html = _html(worker.get(reverse("exams:result", args=[attempt.code])))
    assert "考试结束后" in html and explanation not in html
    with time_machine.travel(exam.closes_at + dt.timedelta(minutes=1)):
        html = _html(worker.get(reverse("exams:result", args=[attempt.code])))
    assert explanation in html


def test_a_mock_is_reviewable_even_when_the_exam_is_not(personas: Personas, worker: Client) -> None:
    make_bank(12)
    exam = make_exam(workers=[personas.worker], review=ReviewPolicy.NEVER, attempts=1)
    response = worker.post(reverse("exams:mock", args=[exam.code]))
    mock = Attempt.objects.get(code=response["Location"].split("/")[-2])
    _html_text, token = _open(worker, mock)
    _answer(worker, mock, {"device": token, "position": 1, "response": "A"})
    assert worker.post(reverse("exams:submit", args=[mock.code]), {"device": token})["Location"] == \
        reverse("exams:result", args=[mock.code])
    html = _html(worker.get(reverse("exams:result", args=[mock.code])))
    assert "模拟考试，不计成绩" in html
    assert mock.items.select_related("version").first().version.explanation in html
    assert 'data-testid="certificate-link"' not in html
    detail = _html(worker.get(reverse("exams:exam", args=[exam.code])))
    assert "已考 0 次，还可考 1 次" in detail


def test_the_employer_admin_reads_a_result_and_the_outsider_does_not(personas: Personas, exam: Exam,
                                                                     worker: Client) -> None:
    attempt = _graded(worker, exam)
    admin = personas.client(personas.employer_admin).get(reverse("exams:result", args=[attempt.code]))
    assert admin.status_code == 200
    assert "返回考试" not in _html(admin)  # read-only: no buttons of the worker's
    for user in (personas.outsider, personas.other_worker.user, personas.evaluator):
        assert personas.client(user).get(reverse("exams:result", args=[attempt.code])).status_code == 404
    assert Client().get(reverse("exams:result", args=[attempt.code])).status_code == 302


def test_history_lists_graded_exams_and_mocks_and_marks_the_counted_one(personas: Personas, exam: Exam,
                                                                        worker: Client) -> None:
    low = _graded(worker, exam, right=False)
    best = _graded(worker, exam, right=True)
    mock = Attempt.objects.get(code=worker.post(reverse("exams:mock", args=[exam.code]))["Location"].split("/")[-2])
    attempt_submit(attempt=mock)
    open_mock = worker.post(reverse("exams:mock", args=[exam.code]))
    html = _html(worker.get(reverse("exams:history")))
    for attempt in (low, best, mock):
        assert reverse("exams:result", args=[attempt.code]) in html
    assert open_mock["Location"].split("/")[-2] not in html
    assert html.count("计入成绩") == 1
    rows = html.split("<li>")
    assert ["计入成绩" in row for row in rows if reverse("exams:result", args=[best.code]) in row] == [True]
    assert html.index(reverse("exams:result", args=[mock.code])) < html.index(reverse("exams:result", args=[low.code]))
    other = personas.client(personas.other_worker.user)
    assert reverse("exams:result", args=[best.code]) not in _html(other.get(reverse("exams:history")))


# -- practice and the 错题本 --------------------------------------------------------------------------


def _practise(worker: Client, **form: Any) -> Attempt:
    response = worker.post(reverse("exams:practice_start"), {"order": "sequential", "size": "5", **form})
    assert response.status_code == 302 and "/exams/attempts/" in response["Location"], response
    return Attempt.objects.get(code=response["Location"].split("/")[-2])


def test_practice_gives_feedback_at_once(personas: Personas, worker: Client) -> None:
    make_bank(12)
    attempt = _practise(worker)
    assert attempt.mode == AttemptMode.PRACTICE and attempt.items.count() == 5
    html, token = _open(worker, attempt)
    assert 'data-mode="practice"' in html and 'data-testid="timer"' not in html
    for item in attempt.items.select_related("version"):
        assert item.version.explanation not in html  # not before the answer
    wrong = _wrong_letter(attempt, 1)
    body = _answer(worker, attempt, {"device": token, "position": 1, "response": wrong}).json()
    first = attempt.items.select_related("version").get(position=1)
    assert body["ok"] and body["feedback"]["correct"] is False
    assert body["feedback"]["answer"] == first.version.answer
    assert body["feedback"]["explanation"] == first.version.explanation
    assert len(body["feedback"]["answer_shown"]) == len(first.version.answer)
    again = _answer(worker, attempt, {"device": token, "position": 1, "response": first.version.answer})
    assert again.status_code == 409 and again.json()["code"] == "answered"
    right = _answer(worker, attempt, {"device": token, "position": 2,
                                      "response": attempt.items.select_related("version").get(position=2).version.answer})
    assert right.json()["feedback"]["correct"] is True
    # After a reload the answered questions keep their feedback; the others still show nothing.
    html, _token = _open(worker, attempt)
    assert first.version.explanation in html and "回答错误" in html
    assert attempt.items.select_related("version").get(position=3).version.explanation not in html
    assert WrongAnswer.objects.filter(worker=personas.worker, question=first.version.question).exists()
    # Ending the set shows the review.
    response = worker.post(reverse("exams:submit", args=[attempt.code]))
    result = _html(worker.get(response["Location"]))
    assert "答对 1 / 5 题" in result and first.version.explanation in result


def test_practice_by_dimension_and_hazard_class(personas: Personas, worker: Client) -> None:
    make_bank(12)
    from tests.exams.helpers import make_question

    make_question(50, hazard_class="dust")
    attempt = _practise(worker, order="random", dimension="law")
    assert {item.version.question.dimension_id for item in attempt.items.select_related("version__question")} == {"law"}
    dust = _practise(worker, order="random", hazard_class="dust")
    assert [item.version.question.hazard_class_id for item in dust.items.select_related("version__question")] == ["dust"]
    assert "随机练习" in _html(worker.get(reverse("exams:practice")))


@pytest.mark.parametrize("form", [
    {"order": "bogus"}, {"order": "random", "dimension": "nonsense"}, {"order": "random", "dimension": "law\x00"},
    {"order": "random", "size": "abc"}, {"order": "random", "size": "100000"}, {"order": "wrong"},
])
def test_bad_practice_choices_are_messages(personas: Personas, worker: Client, form: dict[str, str]) -> None:
    make_bank(6)
    response = worker.post(reverse("exams:practice_start"), form, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] in (reverse("exams:practice"), reverse("exams:wrong_book"))
    assert 'class="msg error"' in _html(response)
    assert not Attempt.objects.exists()


def test_an_empty_bank_is_a_message(personas: Personas, worker: Client) -> None:
    response = worker.post(reverse("exams:practice_start"), {"order": "sequential"}, follow=True)
    assert "这个范围里还没有试题" in _html(response)


def test_the_wrong_book_lists_what_was_missed_and_redoes_it(personas: Personas, worker: Client) -> None:
    make_bank(12)
    attempt = _practise(worker)
    _html_text, token = _open(worker, attempt)
    for position in (1, 2):
        _answer(worker, attempt, {"device": token, "position": position, "response": _wrong_letter(attempt, position)})
    missed = [attempt.items.select_related("version").get(position=position).version for position in (1, 2)]
    html = _html(worker.get(reverse("exams:wrong_book")))
    assert all(version.stem in html for version in missed) and "错 1 次" in html
    assert "2 道题" in _html(worker.get(reverse("exams:home")))
    redo = _practise(worker, order="wrong", size="50")
    assert redo.practice["order"] == "wrong" and redo.items.count() == 2
    _html_text, token = _open(worker, redo)
    for item in redo.items.select_related("version"):
        _answer(worker, redo, {"device": token, "position": item.position, "response": item.version.answer})
    assert "错题本是空的" in _html(worker.get(reverse("exams:wrong_book")))
    other = personas.client(personas.other_worker.user)
    assert missed[0].stem not in _html(other.get(reverse("exams:wrong_book")))


def test_a_practice_attempt_is_only_the_workers_own(personas: Personas, worker: Client) -> None:
    make_bank(6)
    attempt = _practise(worker)
    for user in (personas.employer_admin, personas.other_worker.user, personas.outsider):
        client = personas.client(user)
        assert client.get(reverse("exams:attempt", args=[attempt.code])).status_code == 404
        assert client.get(reverse("exams:result", args=[attempt.code])).status_code == 404


# -- the home page and the header ----------------------------------------------------------------------


def test_the_home_page_lists_the_exams_to_sit_and_practice(personas: Personas, exam: Exam, worker: Client) -> None:
    later = make_exam(title="更急的考试", workers=[personas.worker])
    later.closes_at = timezone.now() + dt.timedelta(days=1)
    later.save()
    html = _html(worker.get("/"))
    assert "更急的考试" in html and exam.title in html
    assert html.index("更急的考试") < html.index(exam.title)  # the nearest deadline first
    assert "还可参加 2 次" in html and "去考试" in html and "练习题库" in html
    assert "目前没有需要您完成的培训或考试" not in html
    assert f'href="{reverse("exams:home")}"' in html and ">考试</a>" in html
    _graded(worker, exam)
    html = _html(worker.get("/"))
    assert exam.title not in html  # passed: nothing more to do


def test_the_home_page_resumes_an_attempt_first(personas: Personas, exam: Exam, worker: Client) -> None:
    make_exam(title="另一场考试", workers=[personas.worker])
    _start(worker, exam)
    html = _html(worker.get("/"))
    assert "继续作答" in html and html.index(exam.title) < html.index("另一场考试")


def test_other_roles_get_no_exam_steps_or_link(personas: Personas, exam: Exam) -> None:
    html = _html(personas.client(personas.employer_admin).get("/"))
    assert exam.title not in html and f'href="{reverse("exams:home")}"' not in html


# -- fixes after trying the pages as new users ---------------------------------------------------------


@pytest.mark.parametrize("name", ["exams:home", "exams:exam", "exams:history"])
def test_a_paper_whose_time_ran_out_is_graded_before_a_list_shows_it(exam: Exam, worker: Client, name: str) -> None:
    attempt = _start(worker, exam)
    _html_text, token = _open(worker, attempt)
    key = answer_key(attempt)
    assert _answer(worker, attempt, {"device": token, "position": 1, "response": key[1]}).status_code == 200
    attempt.refresh_from_db()
    # No sweep and no state poll since: the phone was put away and the time ran out.
    url = reverse(name, args=[exam.code]) if name == "exams:exam" else reverse(name)
    with time_machine.travel(attempt.deadline + dt.timedelta(hours=2)):
        html = _html(worker.get(url))
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.GRADED and attempt.submitted_by_deadline
    assert attempt.graded_at == attempt.deadline  # handed in at its deadline, not when the list was opened
    assert attempt.score == attempt.items.get(position=1).points_possible
    assert "作答中" not in html and f'href="{reverse("exams:attempt", args=[attempt.code])}"' not in html
    if name != "exams:home":
        assert reverse("exams:result", args=[attempt.code]) in html
    if name == "exams:exam":
        assert "已考 1 次，还可考 1 次" in html
    if name == "exams:home":
        assert "可参加 1 次" in html


def test_a_list_leaves_a_paper_within_its_time_alone(exam: Exam, worker: Client) -> None:
    attempt = _start(worker, exam)
    html = _html(worker.get(reverse("exams:exam", args=[exam.code])))
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.OPEN and "作答中，继续" in html


def test_a_second_mock_resumes_the_open_one(exam: Exam, worker: Client) -> None:
    first = worker.post(reverse("exams:mock", args=[exam.code]))["Location"]
    assert worker.post(reverse("exams:mock", args=[exam.code]))["Location"] == first
    assert Attempt.objects.filter(mode=AttemptMode.MOCK).count() == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"position": 1.5, "response": "A"}, "position"),
    ({"position": True, "response": "A"}, "position"),
    ({"position": "x", "response": "A"}, "position"),
    ({"position": 1, "flagged": "maybe"}, "flagged"),
    ({"position": 1, "flagged": 2}, "flagged"),
    ({"position": 1, "flagged": [True]}, "flagged"),
    ({"position": 1, "flagged": {"on": True}}, "flagged"),
    ({"position": 1, "response": "A", "flagged": "真"}, "flagged"),
])
def test_a_position_or_flag_that_is_not_one_is_400(exam: Exam, worker: Client, body: dict[str, Any],
                                                    field: str) -> None:
    attempt = _start(worker, exam)
    _html_text, token = _open(worker, attempt)
    response = _answer(worker, attempt, {"device": token, **body})
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    data = response.json()
    assert data["ok"] is False and data["code"] == "invalid" and data["field"] == field and data["message"]
    assert not attempt.items.exclude(response="").exists() and not attempt.items.filter(flagged=True).exists()


def test_a_flag_sent_as_a_form_field_that_is_not_one_is_400(exam: Exam, worker: Client) -> None:
    attempt = _start(worker, exam)
    _html_text, token = _open(worker, attempt)
    response = worker.post(reverse("exams:answer", args=[attempt.code]), {"device": token, "position": 1, "flagged": "maybe"})
    assert response.status_code == 400 and response.json()["field"] == "flagged"
    response = worker.post(reverse("exams:answer", args=[attempt.code]), {"device": token, "position": "1.5", "response": "A"})
    assert response.status_code == 400 and response.json()["field"] == "position"


@pytest.mark.parametrize(("flagged", "expected"), [
    (True, True), (False, False), (1, True), (0, False), ("on", True), ("off", False), ("yes", True), ("no", False),
    ("TRUE", True), ("0", False),
])
def test_every_spelling_of_a_flag_is_taken(exam: Exam, worker: Client, flagged: Any, expected: bool) -> None:
    attempt = _start(worker, exam)
    _html_text, token = _open(worker, attempt)
    response = _answer(worker, attempt, {"device": token, "position": "2", "flagged": flagged})
    assert response.status_code == 200 and response.json()["flagged"] is expected
    assert attempt.items.get(position=2).flagged is expected


def test_practice_results_say_right_or_wrong_not_points(personas: Personas, worker: Client) -> None:
    make_bank(12)
    attempt = _practise(worker)
    _html_text, token = _open(worker, attempt)
    _answer(worker, attempt, {"device": token, "position": 1, "response": _wrong_letter(attempt, 1)})
    _answer(worker, attempt, {"device": token, "position": 2,
                              "response": attempt.items.select_related("version").get(position=2).version.answer})
    html = _html(worker.get(worker.post(reverse("exams:submit", args=[attempt.code]))["Location"]))
    assert html.count('data-testid="review-item"') == 5
    assert "✓ 正确" in html and "✗ 错误" in html
    assert 'data-testid="review-points"' not in html and " 分" not in html


def test_scores_drop_a_trailing_zero(exam: Exam, worker: Client) -> None:
    attempt = _graded(worker, exam)
    assert attempt.score == attempt.max_score and attempt.score == attempt.score.to_integral_value()
    score = int(attempt.score)
    result = _html(worker.get(reverse("exams:result", args=[attempt.code])))
    assert f"{score} / {score} 分" in result and ".0 分" not in result and ".0 /" not in result
    points = re.findall(r'data-testid="review-points">([^<]+)<', result)
    assert len(points) == attempt.items.count() and all(re.fullmatch(r"\d+ / \d+ 分", text) for text in points)
    for name, args in (("exams:history", []), ("exams:exam", [exam.code])):
        html = _html(worker.get(reverse(name, args=args)))
        assert f"{score} 分" in html and f"{score}.0 分" not in html, name
    # A half point keeps its decimal.
    Attempt.objects.filter(pk=attempt.pk).update(score=Decimal("7.5"))
    assert "7.5 / " in _html(worker.get(reverse("exams:result", args=[attempt.code])))


def test_back_links_are_tap_sized(exam: Exam, worker: Client) -> None:
    for url in (reverse("exams:exam", args=[exam.code]), reverse("exams:history"), reverse("exams:practice"),
                reverse("exams:wrong_book")):
        assert re.search(r'<a class="back-link" href="[^"]+">← ', _html(worker.get(url))), url


def test_a_question_image_is_shown_as_its_rendition(exam: Exam, worker: Client) -> None:
    from wagtail.images import get_image_model
    from wagtail.images.tests.utils import get_test_image_file

    from exams.models import QuestionVersion

    attempt = _start(worker, exam)
    image = get_image_model().objects.create(title="防尘口罩", file=get_test_image_file())
    first = attempt.items.order_by("position").first()
    QuestionVersion.objects.filter(pk=first.version_id).update(image=image)
    html, _token = _open(worker, attempt)
    rendition = image.get_rendition("max-720x720")
    # The image goes with its own question, and only there.
    assert html.count('class="q-image"') == 1
    section = html[html.index(f'id="q{first.position}"'):]
    assert f'<img class="q-image" src="{rendition.url}"' in section[:section.index("</section>")]
