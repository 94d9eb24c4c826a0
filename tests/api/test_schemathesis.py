"""The API keeps to its published schema (/api/schema/): schemathesis generates requests from it,
valid and invalid, anonymously and as each persona, and every answer must be documented (status,
content type, body) and none a server error.

The schema is loaded from the running application and requests go to it in-process (WSGI), inside
the test's transaction, so the personas and articles below are what the API sees. Examples are
bounded and derandomised so the run is quick and the same on every machine; set
SCHEMATHESIS_MAX_EXAMPLES to search longer locally.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from io import BytesIO
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core.files.images import ImageFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image as PILImage
from schemathesis import BaseSchema, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from wagtail.images import get_image_model

from surveys.models import Wave, WaveLink
from tests.conftest import Personas
from tests.knowledge import ArticleMaker

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

SCHEMA_URL = "/api/schema/?format=json"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"))
# Values a fuzzer seldom draws that broke routes before: PostgreSQL refuses NUL, ``str.isdigit``
# passes other scripts' digits that ``int`` refuses, and a long value must not reach a lookup.
HOSTILE = ["\x00", "a\x00b", "\x01", "²", "①", "᧚", "1²", "-1", "0", "9" * 30, "x" * 300]
PERSONAS = [None, "worker_user", "employer_admin", "evaluator", "editor", "reviewer", "superuser", "outsider"]
OPERATIONS = [
    ("GET", "/api/v1/me/"),
    ("GET", "/api/v1/hazards/"),
    ("GET", "/api/v1/diseases/"),
    ("GET", "/api/v1/regions/"),
    ("GET", "/api/v1/employers/{code}/workers/"),
    ("GET", "/api/v1/articles/"),
    ("GET", "/api/v1/me/exams/"),
    ("GET", "/api/v1/me/exam-attempts/"),
    ("GET", "/api/v1/employers/{code}/exam-results/"),
    ("GET", "/api/v1/certificates/{verification}/"),
    ("GET", "/api/v1/survey-waves/"),
    ("GET", "/api/v1/survey-waves/{code}/indicators/"),
    ("GET", "/api/v1/surveys/{link_code}/"),
    ("POST", "/api/v1/surveys/{link_code}/tokens/"),
    ("POST", "/api/v1/surveys/{link_code}/responses/"),
    ("GET", "/api/v1/me/courses/"),
    ("GET", "/api/v1/employers/{code}/study-hours/"),
    ("GET", "/api/v1/employers/{code}/training-compliance/"),
    ("GET", "/api/v1/employers/{code}/training-status/"),
    ("POST", "/api/v1/learning/heartbeats/"),
]
# Negative cases need a parameter to make invalid; these routes take none (the certificate check
# answers every string: one that cannot be a code is "unknown").
WITHOUT_PARAMETERS = {"/api/v1/me/", "/api/v1/hazards/", "/api/v1/certificates/{verification}/",
                      "/api/v1/survey-waves/", "/api/v1/surveys/{link_code}/", "/api/v1/surveys/{link_code}/tokens/"}
RUNS = [
    pytest.param(persona, method, path, mode, id=f"{persona or 'anonymous'}-{method} {path}-{mode}")
    for persona in PERSONAS
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if not (mode is GenerationMode.NEGATIVE and path in WITHOUT_PARAMETERS)
]


@functools.cache
def _served_schema() -> BaseSchema:
    # Loaded once: drf-spectacular builds the schema on every request, which would cost more than
    # the requests each test makes.
    return schemathesis.openapi.from_wsgi(SCHEMA_URL, WSGIHandler())


@pytest.fixture
def api_schema(db: None) -> Iterator[BaseSchema]:
    """The schema the application serves, bound to Django's WSGI handler as a server runs it, except
    that a request does not close the database connection at its end (Django's test client does the
    same): that would end the test's transaction, and with it the personas."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield _served_schema()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _small_cover() -> Any:
    # A few pixels: renditions are made on the first request of every test, and a full-size cover
    # would cost more than the requests.
    buffer = BytesIO()
    PILImage.new("RGB", (48, 27), (40, 120, 90)).save(buffer, "PNG")
    return get_image_model().objects.create(title="封面", file=ImageFile(buffer, name="cover.png"))


@pytest.fixture
def content(personas: Personas, make_article: ArticleMaker) -> Personas:
    """Something to list: articles with every kind of tag and a cover, and the personas' rosters."""
    make_article("噪声与听力保护", body="接触噪声的岗位要戴耳塞。", hazards=("physical",), factors=("噪声",),
                 dimensions=("protection_skills",), audiences=("worker",), tags=("耳塞",), cover=_small_cover())
    make_article("还在写的草稿", publish=False)
    from tests.exams.helpers import make_bank, make_exam
    from tests.exams.test_results_export import sit

    make_bank(12)
    exam = make_exam(workers=[personas.worker], attempts=3)
    sit(personas.worker, exam, right=0)
    sit(personas.worker, exam)
    from tests.surveys.factories import make_response, make_wave

    wave = make_wave()
    WaveLink.objects.create(wave=wave)
    WaveLink.objects.create(wave=wave, employer=personas.employer)
    make_response(wave, region="320305")
    from tests.learning.employer_helpers import CREDITED, IDLE, START, enrol, ledger, local, report_course, study

    course = report_course()
    enrolment = enrol(personas.worker, course, completed=1)
    ledger(personas.worker, course, 2026, 1200)
    study(enrolment, started_at=local(2026, 1, 2), beats=[START, CREDITED, IDLE])
    enrol(personas.other_worker, course)
    return personas


def _known_paths(path: str, content: Personas) -> list[dict[str, str]]:
    """Path parameters that exist (and one well formed that does not), so requests reach the code
    behind the lookup, not only its 404."""
    from exams.models import Certificate

    if path.startswith("/api/v1/employers/"):
        return [{"code": employer.code} for employer in (content.employer, content.other_employer)]
    if path.startswith("/api/v1/certificates/"):
        return [{"verification": code} for code in (Certificate.objects.get().verification, "ABCDEFGHJKLM")]
    if path.startswith("/api/v1/survey-waves/{code}"):
        return [{"code": code} for code in (Wave.objects.get().code, "ABCDEFGHJKLM")]
    if path.startswith("/api/v1/surveys/{link_code}"):
        return [{"link_code": link.code} for link in WaveLink.objects.all()] + [{"link_code": "ABCDEFGHJKLM"}]
    return [{}]


def _session_cookies(personas: Personas, persona: str | None) -> dict[str, str]:
    if persona is None:
        return {}
    client = personas.client(getattr(personas, persona))
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def test_every_route_of_the_schema_is_exercised(api_schema: BaseSchema) -> None:
    results = list(api_schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), "the schema has operations schemathesis cannot read"
    served = {(operation.method.upper(), operation.path) for operation in operations}
    assert served == set(OPERATIONS)


@pytest.mark.parametrize(("persona", "method", "path", "mode"), RUNS)
def test_the_api_keeps_to_its_schema(api_schema: BaseSchema, content: Personas, persona: str | None, method: str,
                                     path: str, mode: GenerationMode) -> None:
    operation = api_schema[path][method]
    strategy = operation.as_strategy(generation_mode=mode)
    if operation.path_parameters:
        strategy = st.one_of(strategy, *[operation.as_strategy(generation_mode=mode, path_parameters=known)
                                         for known in _known_paths(path, content)])
    cookies = _session_cookies(content, persona)

    @hypothesis_settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate, Phase.shrink],
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                HealthCheck.data_too_large])
    @given(case=strategy)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS, cookies=cookies)

    check()


@pytest.mark.parametrize("persona", [None, "employer_admin", "evaluator"], ids=lambda name: name or "anonymous")
def test_hostile_values_are_answered_as_documented(api_schema: BaseSchema, content: Personas,
                                                   persona: str | None) -> None:
    """Each parameter of each route in turn gets each hostile value; the others stay valid (the
    roster is the persona's own employer's), so the value reaches the code that reads it."""
    cookies = _session_cookies(content, persona)
    for method, path in OPERATIONS:
        operation = api_schema[path][method]
        known = _known_paths(path, content)[0]
        names = [("path", parameter.name) for parameter in operation.path_parameters]
        names += [("query", parameter.name) for parameter in operation.query]
        for location, name in names:
            for value in HOSTILE:
                if location == "path":
                    case = operation.Case(path_parameters={name: value})
                else:
                    case = operation.Case(path_parameters=known, query={name: value})
                case.call_and_validate(checks=CHECKS, cookies=cookies)
