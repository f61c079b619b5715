"""The workspace tests sign in like the admin app's (same users, same CSRF); the browser tests
share one served demo workspace (tests/workspace/browsing.py)."""

from __future__ import annotations

from tests.admin.conftest import browser, make_user  # noqa: F401
from tests.workspace.browsing import chromium, served  # noqa: F401
