"""Personas, one per role, plus an outsider whose every access must fail.

- worker: 王工, exposed worker of 云龙矿业 (Xuzhou)
- employer_admin: keeps 云龙矿业's roster
- evaluator: 徐州市 (320300) statistics, read-only
- editor: 内容编辑 group (writes and submits articles)
- reviewer: 内容审核 group (approves and publishes)
- superuser
- outsider: admin of another employer in Heyuan, a worker there too; sees nothing of 云龙矿业
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import translation

from cms.services import EDITOR_GROUP, REVIEWER_GROUP
from orgs.models import Employer, EmployerAdmin, Evaluator, HazardFactor, Region, User, Worker
from tests.celery_workers import celery_worker_process  # noqa: F401  (the real worker, for every test folder)
from tests.factories import EmployerFactory, UserFactory, WorkerFactory
from tests.knowledge import kb_index, make_article  # noqa: F401  (fixtures for every test folder)

PASSWORD = "pass-Word-123"


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test starts in zh-hans: a request that switched to English leaves that language active
    in the thread, and later tests would read English messages."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fresh_page_cache() -> Iterator[None]:
    """Anonymous visitors' pages are cached in Redis; each test renders its own."""
    from cms.caching import forget_anonymous_pages

    forget_anonymous_pages()
    yield
    forget_anonymous_pages()


@pytest.fixture(autouse=True)
def fresh_throttles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Attempt counters live in Redis; each test counts from zero."""
    import uuid

    from core import throttle

    monkeypatch.setattr(throttle, "NAMESPACE", f"test-throttle:{uuid.uuid4().hex}")


@dataclass
class Personas:
    employer: Employer
    other_employer: Employer
    worker: Worker
    other_worker: Worker
    worker_user: User
    employer_admin: User
    evaluator: User
    editor: User
    reviewer: User
    superuser: User
    outsider: User

    def client(self, user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client


@pytest.fixture
def personas(db: None) -> Personas:
    employer = EmployerFactory(name="徐州云龙矿业有限公司", region=Region.objects.get(code="320305"))
    other_employer = EmployerFactory(name="河源紫金矿产有限公司", region=Region.objects.get(code="441621"))
    worker = WorkerFactory(employer=employer, name="王工", phone="13800000001")
    worker.exposures.set(HazardFactor.objects.filter(name__in=["煤尘", "噪声"]))
    worker.user.set_password(PASSWORD)
    worker.user.save()
    other_worker = WorkerFactory(employer=other_employer, name="李工")
    employer_admin = UserFactory(username="employer-admin", full_name="单位管理员")
    EmployerAdmin.objects.create(user=employer_admin, employer=employer)
    evaluator = UserFactory(username="evaluator", full_name="徐州评估员")
    Evaluator.objects.create(user=evaluator, region=Region.objects.get(code="320300"))
    editor = UserFactory(username="editor", full_name="编辑")
    editor.groups.add(Group.objects.get(name=EDITOR_GROUP))
    reviewer = UserFactory(username="reviewer", full_name="审核员")
    reviewer.groups.add(Group.objects.get(name=REVIEWER_GROUP))
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    outsider = UserFactory(username="outsider", full_name="外单位管理员")
    EmployerAdmin.objects.create(user=outsider, employer=other_employer)
    return Personas(employer, other_employer, worker, other_worker, worker.user, employer_admin, evaluator,
                    editor, reviewer, superuser, outsider)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``make test`` runs ``-n auto --dist loadgroup``), tests that share a
    resource outside the per-worker test database run on one worker: the real Celery workers share
    one Redis broker database (their fixture flushes it), the benchmark smoke tests one PostgreSQL
    database of their own."""
    for item in items:
        if item.get_closest_marker("celery_worker"):
            item.add_marker(pytest.mark.xdist_group("celery"))
        elif item.get_closest_marker("bench"):
            item.add_marker(pytest.mark.xdist_group("bench"))
