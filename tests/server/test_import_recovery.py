"""Imports never lose good lines: a line the database refuses at write time is reported with
its number, the rest of its batch and every later line still load (CLI and API)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select, text

from server import models as m
from server.importer import import_lines
from server.usage_ingest import stored_events


def _refuse_name(store, name: str) -> None:
    """A database trigger that refuses accounts called `name` (a write-time failure that no
    validation catches)."""
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.execute(text(
                "CREATE FUNCTION refuse_account() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.name = '{name}' THEN RAISE EXCEPTION 'refused by the database'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"))
            conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON accounts "
                              "FOR EACH ROW EXECUTE FUNCTION refuse_account()"))
        else:
            conn.execute(text(
                "CREATE TRIGGER refuse BEFORE INSERT ON accounts "
                f"WHEN NEW.name = '{name}' BEGIN SELECT RAISE(ABORT, 'refused by the database'); "
                "END"))


def _lines(n_before: int, n_after: int) -> list[dict]:
    recs = []
    for i in range(n_before):
        recs.append({"type": "account", "id": f"a{i}", "name": f"Account {i}"})
        recs.append({"type": "event", "account_id": f"a{i}", "user_id": "u", "name": "login",
                     "time": f"2026-01-0{1 + i % 9}T10:00:00Z"})
    recs.append({"type": "account", "id": "bad", "name": "Refused"})
    recs.append({"type": "deal", "id": "big", "account_id": "a0", "kind": "new",
                 "status": "won", "amount": 1e30, "close_date": "2026-01-01"})
    recs.append({"type": "contact", "id": "orphan", "account_id": "bad", "email": "x@bad.com"})
    for i in range(n_before, n_before + n_after):
        recs.append({"type": "account", "id": f"a{i}", "name": f"Account {i}"})
    return recs


def _count(store, model) -> int:
    with store.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("encode", [json.dumps, lambda r: json.dumps(r).encode()],
                         ids=["text", "bytes"])
def test_write_time_failure_mid_batch_keeps_every_good_line(store, encode):
    """Replayed in line order: bytes lines are the file import's (its event lines kept in
    one buffer), text lines the API's."""
    _refuse_name(store, "Refused")
    recs = _lines(40, 25)
    report = import_lines(store, [encode(r) for r in recs], batch_size=10_000)
    bad_line = 81
    assert [e["line"] for e in report.errors] == [bad_line, bad_line + 1, bad_line + 2]
    assert "refused by the database" in report.errors[0]["reason"]
    assert "amount" in report.errors[1]["reason"]
    assert "unknown account 'bad'" in report.errors[2]["reason"]
    assert report.rejected == 3 and report.loaded == len(recs) - 3
    assert report.by_type == {"account": 65, "event": 40}
    assert report.new_events == 40
    assert _count(store, m.Account) == 65
    with store.sessions() as s:
        assert stored_events(s) == 40
    with store.sessions() as s:
        assert s.scalar(select(func.sum(m.UsageUserDay.events))) == 40


def test_write_time_failure_across_batches(store):
    _refuse_name(store, "Refused")
    recs = _lines(12, 12)
    report = import_lines(store, [json.dumps(r) for r in recs], batch_size=7)
    assert report.rejected == 3 and report.errors[0]["line"] == 25
    assert _count(store, m.Account) == 24
    again = import_lines(store, [json.dumps(r) for r in recs], batch_size=7)
    assert again.rejected == 3 and again.new_events == 0 and _count(store, m.Account) == 24


def test_cli_import_reports_the_bad_line_and_loads_the_rest(store, db_url, tmp_path):
    _refuse_name(store, "Refused")
    path = tmp_path / "mixed.jsonl"
    recs = _lines(30, 30)
    path.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    env = {**os.environ, "ACCOUNT360_DATABASE_URL": db_url,
           "ACCOUNT360_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run([sys.executable, "-m", "server", "import", str(path)], env=env,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "line 61: account: could not be stored" in proc.stderr
    assert "line 62: deal:" in proc.stderr and "line 63: contact:" in proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == \
        "loaded 90, rejected 3 (account 60, event 30)"
    assert _count(store, m.Account) == 60


def test_api_import_reports_the_bad_line_and_loads_the_rest(app, client, auth):
    store = app.extensions["account360"].store
    _refuse_name(store, "Refused")
    body = "\n".join(json.dumps(r) for r in _lines(5, 5)).encode()
    r = client.post("/api/v1/import", data=body,
                    headers={**auth, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 422
    out = r.get_json()
    assert out["loaded"] == 15 and out["rejected"] == 3
    assert [e["line"] for e in out["errors"]] == [11, 12, 13]
    assert client.get("/api/v1/accounts/a9/360", headers=auth).status_code == 200
