"""The API keeps to its published schema (/api/schema/): schemathesis generates requests from it,
valid and invalid, anonymously and as each persona, and every answer must be documented (status,
content type, body) and none a server error.

The schema is loaded from the running application and requests go to it in-process (WSGI), inside
the test's transaction, so the personas and articles below are what the API sees. Examples are
bounded and derandomised so the run is quick and the same on every machine; set
SCHEMATHESIS_MAX_EXAMPLES to search longer locally.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cms.demo import cover_image
from tests.conftest import Personas
from tests.knowledge import ArticleMaker

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

SCHEMA_URL = "/api/schema/?format=json"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"))
PERSONAS = [None, "worker_user", "employer_admin", "evaluator", "editor", "reviewer", "superuser", "outsider"]
OPERATIONS = [
    ("GET", "/api/v1/me/"),
    ("GET", "/api/v1/hazards/"),
    ("GET", "/api/v1/regions/"),
    ("GET", "/api/v1/employers/{code}/workers/"),
    ("GET", "/api/v1/articles/"),
]


@pytest.fixture
def app() -> Iterator[WSGIHandler]:
    """Django's WSGI handler as a server runs it, except that a request does not close the database
    connection at its end (Django's test client does the same): that would end the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def content(personas: Personas, make_article: ArticleMaker) -> Personas:
    """Something to list: articles with every kind of tag and a cover, and the personas' rosters."""
    make_article("噪声与听力保护", body="接触噪声的岗位要戴耳塞。", hazards=("physical",), factors=("噪声",),
                 dimensions=("protection_skills",), audiences=("worker",), tags=("耳塞",), cover=cover_image("physical"))
    make_article("粉尘的危害", body="矿山井下粉尘浓度高。", hazards=("dust",), factors=("煤尘",), dimensions=("law",))
    make_article("还在写的草稿", publish=False)
    return personas


def _session_cookies(personas: Personas, persona: str | None) -> dict[str, str]:
    if persona is None:
        return {}
    client = personas.client(getattr(personas, persona))
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def test_every_route_of_the_schema_is_exercised(app: WSGIHandler) -> None:
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, app)
    served = {(operation.ok().method.upper(), operation.ok().path) for operation in schema.get_all_operations()}
    assert served == set(OPERATIONS)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[path for _, path in OPERATIONS])
@pytest.mark.parametrize("persona", PERSONAS, ids=lambda name: name or "anonymous")
def test_the_api_keeps_to_its_schema(app: WSGIHandler, content: Personas, persona: str | None, method: str, path: str,
                                     mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, app)
    operation = schema[path][method]
    if mode is GenerationMode.NEGATIVE and not operation.query and not operation.path_parameters:
        pytest.skip("nothing in the request can be made invalid")
    strategy = operation.as_strategy(generation_mode=mode)
    if operation.path_parameters:
        # A generated employer code never exists: also ask for the persona's own employer and another.
        known = [operation.as_strategy(generation_mode=mode, path_parameters={"code": employer.code})
                 for employer in (content.employer, content.other_employer)]
        strategy = st.one_of(strategy, *known)
    cookies = _session_cookies(content, persona)

    @hypothesis_settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate, Phase.shrink],
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                HealthCheck.data_too_large])
    @given(case=strategy)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS, cookies=cookies)

    check()
