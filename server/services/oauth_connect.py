"""Connect a CRM with OAuth 2.0 (Authlib): keep the OAuth app pasted in the card, start the
authorization-code flow with a single-use state bound to the browser session (and PKCE), then
check the answer and exchange the code."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from server.admin import connections as c
from server.admin.models import OAuthPending
from server.admin.runner import enqueue
from server.admin.security import digest
from server.models import utcnow

log = logging.getLogger(__name__)

OAUTH_TTL = timedelta(minutes=10)


class StateRefused(Exception):
    """Unknown, replayed, expired or foreign state: nothing was exchanged."""


@dataclass
class Outcome:
    ok: bool
    message: str


def start(adm, store, name: str, environment: str, callback_url: str, nonce: str) -> str:
    """The vendor's authorization URL; the pending flow is stored (verifier sealed)."""
    from authlib.common.security import generate_token

    prov = c.provider(adm.cfg, name, environment=environment, creds=adm.credentials)
    redirect_to = c.redirect_uri(adm.cfg, name, callback_url)
    state = generate_token(43)
    verifier = generate_token(64) if prov.pkce else None
    sess = prov.session(redirect_uri=redirect_to)
    url, _ = sess.create_authorization_url(prov.authorize_url, state=state,
                                           code_verifier=verifier)
    sess.close()
    with store.session() as s:
        s.query(OAuthPending).filter(OAuthPending.created_at < utcnow() - OAUTH_TTL).delete()
        s.add(OAuthPending(state_hash=digest(state), connector=name, session_nonce=nonce,
                           created_at=utcnow(), sealed=adm.vault.encrypt({
                               "code_verifier": verifier, "login_url": prov.login_url,
                               "redirect_uri": redirect_to})))
    return url


def _take_pending(store, name: str, state: str, nonce: str) -> str:
    """The sealed extras of the flow this state started; the row goes whatever happens."""
    with store.session() as s:
        row = s.get(OAuthPending, digest(state)) if state else None
        pending = None
        if row is not None:
            s.delete(row)  # single use, whatever happens next
            pending = (row.connector, row.session_nonce, row.created_at, row.sealed)
    if (pending is None or pending[0] != name
            or not secrets.compare_digest(pending[1], nonce or "")
            or pending[2] < utcnow() - OAUTH_TTL):
        log.warning("%s: OAuth callback refused (unknown, replayed or foreign state)", name)
        raise StateRefused
    return pending[3]


def finish(adm, store, name: str, args: dict, nonce: str, user: str) -> Outcome:
    """Check the callback's state, exchange its code and store the tokens (sealed)."""
    sealed = _take_pending(store, name, args.get("state") or "", nonce)
    if args.get("error"):
        return Outcome(False, f"{name}: the vendor said "
                              f"{args.get('error_description') or args['error']}")
    extra = adm.vault.decrypt(sealed)
    prov = c.provider(adm.cfg, name, login_url=extra.get("login_url"), creds=adm.credentials)
    sess = prov.session(redirect_uri=extra["redirect_uri"])
    try:
        token = sess.fetch_token(prov.token_url, code=args.get("code") or "",
                                 code_verifier=extra.get("code_verifier"),
                                 include_client_id=True)
    except Exception as exc:  # noqa: BLE001 - the vendor refused the code
        log.warning("%s: token exchange failed (%s)", name, type(exc).__name__)
        said = getattr(exc, "description", None) or getattr(exc, "error", None) or \
            type(exc).__name__
        return Outcome(False, f"{name}: the vendor refused the sign-in ({said})")
    finally:
        sess.close()
    token = dict(token)
    if not token.get("access_token"):  # a 4xx body Authlib did not recognise as an error
        said = token.get("message") or token.get("error_description") or token.get("error")
        log.warning("%s: token exchange refused", name)
        return Outcome(False, f"{name}: the vendor refused the sign-in ({said})")
    first = not adm.credentials.get(name)
    adm.credentials.save(name, c.stored_from_token(prov, token), auth_kind="oauth",
                         user=user, connected=True)
    enqueue(store, name, "connect" if first else "reconnect")
    return Outcome(True, f"{name} connected; the first sync has started")


class AppRefused(ValueError):
    """The pasted OAuth app cannot be saved; the message says why."""


def _credential(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise AppRefused(f"Enter the {what}.")
    if len(value) > 500 or any(ch.isspace() or not ch.isprintable() for ch in value):
        raise AppRefused(f"The {what} is one word of at most 500 characters.")
    return value


def save_app(adm, name: str, client_id: str, client_secret: str) -> None:
    """Keep the CRM's OAuth app pasted in its card (sealed); a blank secret keeps the saved
    one. Refused while the environment sets the app (the environment wins)."""
    if c.oauth_app(adm.cfg, name)[2] == "environment":
        raise AppRefused(f"The {name} OAuth app is set in the environment "
                         f"(ACCOUNT360_{name.upper()}_CLIENT_ID/_SECRET), which wins: change "
                         "it there.")
    saved = adm.credentials.get_app(name) or {}
    if not (client_secret or "").strip() and saved.get("client_secret"):
        client_secret = saved["client_secret"]
    adm.credentials.save_app(name, _credential(client_id, "client id"),
                             _credential(client_secret, "client secret"))
