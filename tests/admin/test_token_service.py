"""Issuing a user's token is one transaction: the token never exists without its owner."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from server import models as m
from server.admin.models import UserToken
from server.services import tokens

pytestmark = pytest.mark.store


def _count(store, model) -> int:
    with store.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_issue_links_the_token_to_its_user(app, make_user):
    store = app.extensions["account360"].store
    user = make_user("a@example.com", "csm")
    token = tokens.issue(store, user.id, "a@example.com: laptop")
    with store.sessions() as s:
        row = s.scalar(select(m.ApiToken).where(m.ApiToken.prefix == token[:12]))
        link = s.get(UserToken, row.id)
    assert link is not None and link.user_id == user.id and link.purpose == "personal"
    assert [t["prefix"] for t in tokens.tokens_of(store, user.id)] == [token[:12]]


def test_a_failed_link_leaves_no_orphan_token(app):
    store = app.extensions["account360"].store
    before = _count(store, m.ApiToken)
    with pytest.raises(IntegrityError):
        tokens.issue(store, 424242, "nobody: laptop")  # no such user: the link fails
    assert _count(store, m.ApiToken) == before
    assert _count(store, UserToken) == 0


def test_parallel_issues_each_link_their_own_token(app, make_user):
    from concurrent.futures import ThreadPoolExecutor

    store = app.extensions["account360"].store
    users = [make_user(f"u{i}@example.com", "csm") for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        issued = list(pool.map(lambda u: (u.id, tokens.issue(store, u.id, f"u{u.id}")), users))
    for user_id, token in issued:
        mine = tokens.tokens_of(store, user_id)
        assert [t["prefix"] for t in mine] == [token[:12]]
