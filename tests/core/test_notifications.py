"""Notifications: the inbox, the header's count, e-mail once, SMS through a provider, and an
outsider who can neither read nor mark another person's messages."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.http import Http404
from django.template.loader import render_to_string
from django.test import Client

from core import nextsteps
from core.context_processors import HeaderContext
from core.models import Notification
from core.nextsteps import NavItem
from core.notifications import (
    EMAIL,
    INBOX,
    SMS,
    SmsChannelBase,
    inbox_for,
    is_site_relative,
    notification_mark_read,
    notifications_mark_all_read,
    notify,
    unread_count,
)
from tests.conftest import Personas

pytestmark = pytest.mark.django_db

COUNT = re.compile(r'data-testid="unread-count">([^<]+)<')


def header_count(client: Client, path: str = "/inbox/") -> str | None:
    match = COUNT.search(client.get(path).content.decode())
    return match.group(1) if match else None


def send(user: Any, key: str = "course-due:A1", url: str = "/learning/", **kwargs: Any) -> int:
    return notify(recipients=[user], key=key, title="培训即将到期", body="请在 12 月 31 日前完成", url=url, **kwargs)


class FakeSms(SmsChannelBase):
    sent: ClassVar[list[tuple[str, str]]] = []

    def send(self, *, phone: str, notification: Notification) -> None:
        self.sent.append((phone, notification.key))


@pytest.fixture
def email_on(settings: Any, mailoutbox: list[Any]) -> list[Any]:
    settings.NOTIFY_EMAIL = True
    settings.DEFAULT_FROM_EMAIL = "职业健康达人 <noreply@example.cn>"
    settings.WAGTAILADMIN_BASE_URL = "https://training.example.cn"
    return mailoutbox


# -- sent once per key ---------------------------------------------------------------------------

def test_it_keeps_one_notification_per_recipient_and_key(personas: Personas) -> None:
    worker = personas.worker_user
    assert send(worker) == 1
    assert send(worker) == 0
    assert notify(recipients=[worker, personas.outsider, worker.pk], key="course-due:A1", title="t", body="") == 1

    client = personas.client(worker)
    html = client.get("/inbox/").content.decode()
    assert html.count("培训即将到期") == 1
    assert inbox_for(worker).count() == 1
    assert unread_count(personas.outsider) == 1


def test_it_writes_only_the_missing_rows_when_another_run_raced_it(personas: Personas, monkeypatch: pytest.MonkeyPatch,
                                                                    email_on: list[Any],
                                                                    django_capture_on_commit_callbacks: Any) -> None:
    """Two runs of a reminder job at once: both find nobody notified, the database keeps one row."""
    worker, outsider = personas.worker_user, personas.outsider
    worker.email, outsider.email = "wang@example.cn", "out@example.cn"
    worker.save()
    outsider.save()
    send(worker)
    mail.outbox.clear()
    monkeypatch.setattr("core.notifications._already_notified", lambda ids, key: set())
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(recipients=[worker, outsider], key="course-due:A1", title="t", body="") == 1
    assert Notification.objects.filter(key="course-due:A1").count() == 2
    assert [message.to for message in mail.outbox] == [["out@example.cn"]]


def test_it_refuses_bad_keys_and_channels(personas: Personas) -> None:
    with pytest.raises(ValueError):
        send(personas.worker_user, key="")
    with pytest.raises(ValueError):
        send(personas.worker_user, key="x" * 201)
    with pytest.raises(ValueError):
        send(personas.worker_user, channels=[INBOX, "wechat"])
    assert not Notification.objects.exists()


# -- links -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "/\\/evil.example",
                                 "javascript:alert(1)", "relative/path", " /x", "/x\n", "/x\x00"])
def test_it_refuses_a_url_that_is_not_site_relative(personas: Personas, url: str) -> None:
    assert not is_site_relative(url)
    with pytest.raises(ValueError):
        send(personas.worker_user, url=url)
    assert not Notification.objects.exists()


@pytest.mark.parametrize("url", ["/", "/learning/courses/abc/", "/exams/x/?tab=result#score"])
def test_it_accepts_site_paths(url: str) -> None:
    assert is_site_relative(url)


def test_it_does_not_follow_a_foreign_url_written_by_other_means(personas: Personas) -> None:
    notification = Notification.objects.create(recipient=personas.worker_user, key="imported", title="旧消息",
                                               url="https://evil.example/")
    response = personas.client(personas.worker_user).get(f"/inbox/{notification.code}/")
    assert response.status_code == 200
    assert "evil.example" not in response.content.decode()
    notification.refresh_from_db()
    assert notification.read_at is not None


# -- the inbox and the header -----------------------------------------------------------------

def test_it_counts_unread_in_the_header_and_drops_the_count_after_reading(personas: Personas) -> None:
    worker = personas.worker_user
    send(worker, key="course-due:A1", url="/learning/a1/")
    send(worker, key="exam-result:B2", url="/exams/b2/")
    client = personas.client(worker)
    assert header_count(client) == "2"
    assert header_count(client, "/") == "2"

    newest = inbox_for(worker).first()
    assert newest is not None
    response = client.get(f"/inbox/{newest.code}/")
    assert response.status_code == 302
    assert response["Location"] == "/exams/b2/"
    assert header_count(client) == "1"
    # Opening it again keeps the first reading time.
    first_read = Notification.objects.get(pk=newest.pk).read_at
    client.get(f"/inbox/{newest.code}/")
    assert Notification.objects.get(pk=newest.pk).read_at == first_read

    response = client.post("/inbox/read-all/")
    assert response.status_code == 302
    assert header_count(client) is None
    assert "全部标为已读" not in client.get("/inbox/").content.decode()


def test_it_shows_a_message_without_a_link_on_its_own_page(personas: Personas) -> None:
    send(personas.worker_user, url="")
    notification = Notification.objects.get()
    response = personas.client(personas.worker_user).get(f"/inbox/{notification.code}/")
    assert response.status_code == 200
    assert "请在 12 月 31 日前完成" in response.content.decode()


def test_it_says_so_when_the_inbox_is_empty(personas: Personas) -> None:
    html = personas.client(personas.worker_user).get("/inbox/").content.decode()
    assert "暂时没有消息" in html
    assert 'data-testid="unread-count"' not in html


def test_it_answers_a_wrong_page_number_with_404(personas: Personas) -> None:
    assert personas.client(personas.worker_user).get("/inbox/?page=x").status_code == 404


def test_it_marks_all_read_only_by_post_with_a_csrf_token(personas: Personas) -> None:
    send(personas.worker_user)
    client = personas.client(personas.worker_user)
    assert client.get("/inbox/read-all/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(personas.worker_user)
    assert strict.post("/inbox/read-all/").status_code == 403
    assert unread_count(personas.worker_user) == 1


def test_it_sends_anonymous_visitors_to_the_login_page(personas: Personas) -> None:
    send(personas.worker_user)
    code = Notification.objects.get().code
    for method, path in [("get", "/inbox/"), ("get", f"/inbox/{code}/"), ("post", "/inbox/read-all/")]:
        response = getattr(Client(), method)(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next=")
    assert unread_count(personas.worker_user) == 1


def test_it_speaks_english_when_chosen(personas: Personas) -> None:
    send(personas.worker_user)
    client = personas.client(personas.worker_user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/inbox/").content.decode()
    assert "Mark all as read" in html
    assert ">Messages" in html


# -- an outsider ----------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["outsider", "employer_admin", "superuser"])
def test_another_persons_notification_is_not_found(personas: Personas, who: str) -> None:
    send(personas.worker_user)
    notification = Notification.objects.get()
    other = getattr(personas, who)
    client = personas.client(other)
    assert client.get(f"/inbox/{notification.code}/").status_code == 404
    assert client.get("/inbox/unknown-code/").status_code == 404
    assert "培训即将到期" not in client.get("/inbox/").content.decode()
    client.post("/inbox/read-all/")
    with pytest.raises(Http404):
        notification_mark_read(user=other, notification_code_or_id=notification.code)
    with pytest.raises(Http404):
        notification_mark_read(user=other, notification_code_or_id=notification.pk)
    assert notifications_mark_all_read(user=other) == 0
    notification.refresh_from_db()
    assert notification.read_at is None


def test_a_code_with_a_nul_is_not_found(personas: Personas) -> None:
    with pytest.raises(Http404):
        notification_mark_read(user=personas.worker_user, notification_code_or_id="ab\x00cd")


# -- e-mail ---------------------------------------------------------------------------------------

def test_it_emails_a_new_notification_once_after_commit(personas: Personas, email_on: list[Any],
                                                       django_capture_on_commit_callbacks: Any) -> None:
    worker = personas.worker_user
    worker.email = "wang@example.cn"
    worker.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send(worker, url="/learning/a1/")
    assert email_on == [], "nothing is sent before the transaction commits"
    for callback in callbacks:
        callback()
    for callback in callbacks:  # delivered again (a retry): the claim holds
        callback()
    with django_capture_on_commit_callbacks(execute=True):
        send(worker, url="/learning/a1/")
    assert len(email_on) == 1
    message = email_on[0]
    assert message.to == ["wang@example.cn"]
    assert message.subject == "培训即将到期"
    assert "https://training.example.cn/learning/a1/" in message.body
    assert Notification.objects.get().emailed_at is not None


def test_it_emails_nobody_without_an_address_or_inactive(personas: Personas, email_on: list[Any],
                                                         django_capture_on_commit_callbacks: Any) -> None:
    inactive = personas.outsider
    inactive.email, inactive.is_active = "gone@example.cn", False
    inactive.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(recipients=[personas.worker_user, inactive], key="k", title="t", body="b") == 2
    assert email_on == []


def test_it_emails_only_when_asked_and_configured(personas: Personas, settings: Any, mailoutbox: list[Any],
                                                  django_capture_on_commit_callbacks: Any) -> None:
    worker = personas.worker_user
    worker.email = "wang@example.cn"
    worker.save()
    with django_capture_on_commit_callbacks(execute=True):
        send(worker, key="not-configured")
    settings.NOTIFY_EMAIL = True
    with django_capture_on_commit_callbacks(execute=True):
        send(worker, key="inbox-only", channels=[INBOX])
    assert mailoutbox == []
    assert inbox_for(worker).count() == 2


# -- SMS -------------------------------------------------------------------------------------------

def test_it_texts_through_the_configured_provider_once(personas: Personas, settings: Any,
                                                       django_capture_on_commit_callbacks: Any) -> None:
    FakeSms.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        send(personas.worker_user, key="no-provider", channels=[INBOX, SMS])
    assert FakeSms.sent == []
    settings.NOTIFY_SMS_BACKEND = f"{__name__}.FakeSms"
    with django_capture_on_commit_callbacks(execute=True):
        send(personas.worker_user, key="not-asked", channels=[INBOX, EMAIL])
        send(personas.worker_user, key="exam-result:B2", channels=[INBOX, SMS])
        send(personas.worker_user, key="exam-result:B2", channels=[INBOX, SMS])
        # "outsider" is not a mobile number: the base class finds no phone.
        notify(recipients=[personas.outsider], key="exam-result:B2", title="t", body="", channels=[SMS])
    assert FakeSms.sent == [("13800000001", "exam-result:B2")]


# -- the header on every page --------------------------------------------------------------------

def test_anonymous_pages_make_no_query_and_set_no_cookie(rf: Any, django_assert_num_queries: Any) -> None:
    request = rf.get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        html = render_to_string("base.html", request=request)
    assert "inbox-link" not in html
    assert not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")


def test_anonymous_home_page_has_no_inbox_and_no_cookie(db: None) -> None:
    response = Client().get("/")
    assert response.status_code == 200
    assert "inbox-link" not in response.content.decode()
    assert not response.cookies


def test_the_header_count_is_one_query(personas: Personas, rf: Any, django_assert_num_queries: Any,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # The navigation's providers resolve the scope (their own queries, once per request): left out.
    monkeypatch.setattr(nextsteps, "_NAV_PROVIDERS", {})
    send(personas.worker_user)
    request = rf.get("/")
    request.user = personas.worker_user
    with django_assert_num_queries(1):
        html = render_to_string("base.html", request=request)
    assert 'data-testid="unread-count">1<' in html
    assert HeaderContext(request).unread_count == 1


def test_the_header_renders_registered_navigation_and_nothing_when_empty(personas: Personas,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    client = personas.client(personas.worker_user)
    monkeypatch.setattr(nextsteps, "_NAV_PROVIDERS", {})
    assert "sitenav" not in client.get("/inbox/").content.decode()
    monkeypatch.setitem(nextsteps._NAV_PROVIDERS, "test", lambda request: [NavItem("我的学习", "/learning/"),
                                                                            NavItem("消息中心", "/inbox/", order=1)])
    html = client.get("/inbox/").content.decode()
    assert 'class="sitenav"' in html
    assert html.index("消息中心") < html.index("我的学习")
    assert '<a href="/inbox/" aria-current="page">' in html


def test_the_header_shows_99_plus_for_many(personas: Personas) -> None:
    Notification.objects.bulk_create(Notification(recipient=personas.worker_user, key=f"k{n}", title="t")
                                     for n in range(120))
    assert header_count(personas.client(personas.worker_user)) == "99+"
