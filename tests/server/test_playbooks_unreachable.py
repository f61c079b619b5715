"""A receiver that does not answer holds up a run once, not once per message: an SMTP server
that accepts the connection and never speaks costs one timeout, a Slack endpoint that
refuses connections one attempt; the other actions of the run go on and those messages wait
for their retry with backoff."""

from __future__ import annotations

import socket
import threading

import pytest
from sqlalchemy import select

from server.playbooks.models import PlaybookAction
from server.playbooks.service import run
from server.playbooks.spec import parse
from tests.served import free_port
from tests.server.playbooks_helpers import add_accounts, day, env, put_day


@pytest.fixture
def silent_smtp():
    """A TCP server that accepts connections and never answers (counts them)."""
    srv = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            accepted.append(conn)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield srv.getsockname()[1], accepted
    stop.set()
    t.join(5)
    for c in accepted:
        c.close()
    srv.close()


def _actions(store):
    with store.sessions() as s:
        return [(a.account_id, a.kind, a.status, a.last_error) for a in s.scalars(
            select(PlaybookAction).order_by(PlaybookAction.account_id,
                                            PlaybookAction.action_index))]


def test_a_silent_smtp_server_and_a_refusing_webhook_are_tried_once_per_run(store,
                                                                            silent_smtp):
    port, accepted = silent_smtp
    add_accounts(store, *({"id": f"a{i}", "name": f"Acc {i}", "owner": f"csm{i}@example.com"}
                          for i in range(3)))
    for i in range(3):
        put_day(store, f"a{i}", day(1), signals=["usage_drop"])
    dead = f"http://127.0.0.1:{free_port()}/services/T0/B0/x"        # nothing listens
    pf = parse(f'''
[[playbook]]
name = "Usage drop"
when = {{ signal = "usage_drop" }}
[[playbook.action]]
task = {{ subject = "Call {{account.name}}" }}
[[playbook.action]]
email = {{ subject = "Usage drop at {{account.name}}", body = "b" }}
[[playbook.action]]
slack = {{ webhook = "{dead}", text = "{{account.name}}" }}
''')
    e = env(store, SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TLS="none", SMTP_TIMEOUT=1)
    out = run(e, pf, day(1))
    assert [out["counts"][k] for k in ("actions", "sent", "retrying")] == [9, 3, 6]
    assert len(accepted) == 1                      # one connection, one timeout
    rows = _actions(store)
    assert [r[2] for r in rows if r[1] == "task"] == ["sent"] * 3
    mails = [r[3] for r in rows if r[1] == "email"]
    smtp_down = (f"SMTP server 127.0.0.1:{port} unreachable: SMTPServerDisconnected: "
                 "Connection unexpectedly closed: timed out")
    assert mails == [smtp_down] + [f"not tried: {smtp_down} (earlier in this run)"] * 2
    hooks = [r[3] for r in rows if r[1] == "slack"]
    assert hooks[0] == "Slack webhook unreachable: URLError"
    assert hooks[1:] == ["not tried: Slack webhook unreachable: URLError (earlier in this "
                         "run)"] * 2
    assert all(r[2] == "retrying" for r in rows if r[1] != "task")
