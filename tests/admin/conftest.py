"""Fixtures of the admin app tests: users, signed-in clients, the fake OAuth vendor."""

from __future__ import annotations

import re

import pytest

from tests.admin.fake_oauth import FakeOAuthHubSpot

PASSWORD = "correct horse battery"


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


class Browser:
    """A test client that signs in and posts forms with the page's CSRF token."""

    def __init__(self, client) -> None:
        self.client = client
        self.csrf = None

    def get(self, url, **kw):
        r = self.client.get(url, **kw)
        if r.mimetype == "text/html" and b"csrf" in r.data:
            self.csrf = csrf_of(r.get_data(as_text=True))
        return r

    def post(self, url, data=None, **kw):
        if self.csrf is None:
            self.get("/admin/login")
        data = {"csrf_token": self.csrf, **(data or {})}
        r = self.client.post(url, data=data, **kw)
        if r.mimetype == "text/html" and b"csrf_token" in r.data:
            self.csrf = csrf_of(r.get_data(as_text=True))
        return r

    def login(self, email, password=PASSWORD):
        self.get("/admin/login")
        r = self.post("/admin/login", {"email": email, "password": password})
        self.get("/admin/me")
        return r


@pytest.fixture
def make_user(app):
    from server.services.users import create_user

    def make(email, role="admin", password=PASSWORD):
        user, invite = create_user(app.extensions["account360"].store, email, role,
                                   password=password)
        return user

    return make


@pytest.fixture
def browser(app):
    def make():
        return Browser(app.test_client())
    return make


@pytest.fixture
def admin_browser(app, make_user, browser):
    make_user("admin@example.com", "admin")
    b = browser()
    r = b.login("admin@example.com")
    assert r.status_code == 302
    return b


@pytest.fixture
def oauth_fake():
    fake = FakeOAuthHubSpot()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def app(make_app, oauth_fake):
    """The app with HubSpot OAuth pointed at the fake vendor."""
    return make_app(**oauth_fake.app_config())


@pytest.fixture
def admin_state_(app):
    from server.admin import admin_state

    return admin_state(app)
