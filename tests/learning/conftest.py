"""Fixtures for the learning tests: a course, an enrolled worker, a device of their own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from learning.models import CoursePage, Enrolment
from tests.conftest import Personas
from tests.learning.helpers import enrolled, make_course


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Path) -> Path:
    """The lesson videos (wagtaildocs files) of a test go to a folder of the test, not the tree."""
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def course(db: None) -> CoursePage:
    """Three live lessons: a file video, a reading, a check of two questions from the bank."""
    return make_course()


@pytest.fixture
def enrolment(personas: Personas, course: CoursePage) -> Enrolment:
    return enrolled(personas.worker, course)
