"""The workspace tests sign in like the admin app's (same users, same CSRF)."""

from __future__ import annotations

from tests.admin.conftest import browser, make_user  # noqa: F401

