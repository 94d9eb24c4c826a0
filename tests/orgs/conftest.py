from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings: Any, tmp_path: Path) -> None:
    """Uploaded rosters of a test go to its own folder, never the project's."""
    settings.MEDIA_ROOT = tmp_path
    settings.PRIVATE_MEDIA_ROOT = tmp_path
