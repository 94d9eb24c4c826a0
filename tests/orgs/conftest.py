from pathlib import Path
from typing import Any

import pytest

from orgs.models import Employer, User
from tests.factories import EmployerFactory, UserFactory


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings: Any, tmp_path: Path) -> None:
    """Uploaded rosters of a test go to its own folder, never the project's."""
    settings.MEDIA_ROOT = tmp_path
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}


@pytest.fixture
def employer(db: None) -> Employer:
    """The employer whose roster the roster tests import into."""
    return EmployerFactory(name="徐州云龙矿业有限公司")


@pytest.fixture
def admin(db: None) -> User:
    """Whoever uploads the file (permissions are tested through the views)."""
    return UserFactory(username="roster-admin")
