from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.storage import storages


@pytest.fixture(autouse=True)
def private_files_in_tmp(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Certificates, uploaded bank files and workbooks go to a folder of the test, not the tree
    (a real Celery worker's test sets the folder for both processes itself)."""
    if request.node.get_closest_marker("celery_worker"):
        return tmp_path
    storage = storages["private"]
    monkeypatch.setattr(storage, "location", str(tmp_path))
    monkeypatch.setattr(storage, "base_location", str(tmp_path), raising=False)
    return tmp_path
