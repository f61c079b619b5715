"""The workspace tests sign in like the admin app's (same users, same CSRF)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.admin.conftest import browser, make_user  # noqa: F401


@pytest.fixture(scope="session")
def artifact_dir(tmp_path_factory) -> Path:
    env = os.environ.get("ACCOUNT360_ARTIFACT_DIR")
    path = Path(env) if env else tmp_path_factory.mktemp("artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path
