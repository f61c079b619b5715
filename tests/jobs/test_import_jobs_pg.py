"""A large `POST /api/v1/import` on the procrastinate queue: the web process stores the body
in PostgreSQL and answers 202; a real `account360 worker` process with another data
directory (as on another machine: no shared directory) loads it, its progress and rejected
lines at GET /api/v1/imports/<id>, and the stored body is dropped at the end."""

from __future__ import annotations

import json

from sqlalchemy import func, select, text

from server import models as m
from server.auth import create_token
from server.jobs.models import ImportChunk
from tests.jobs.conftest import SECRET, count, wait_for

NDJSON = {"Content-Type": "application/x-ndjson"}


def body(n: int, bad_at: tuple[int, ...] = ()) -> bytes:
    out = []
    for i in range(1, n + 1):
        out.append(b'{"type": "account", "id": ' if i in bad_at else json.dumps(
            {"type": "account", "id": f"a{i}", "name": f"Account {i}"}).encode())
    return b"\n".join(out) + b"\n"


def test_a_large_import_is_loaded_by_a_worker_with_another_data_dir(pg_store, workers,
                                                                   make_app, tmp_path):
    store = pg_store
    web_dir = tmp_path / "web-machine"
    app = make_app(JOB_QUEUE="procrastinate", SECRET_KEY=SECRET, DATA_DIR=str(web_dir),
                   IMPORT_JOB_BYTES=2000)
    auth = {"Authorization": f"Bearer {create_token(store, 'loader')}"}
    client = app.test_client()
    data = body(300, bad_at=(7, 250))
    assert len(data) > 3 * 2000

    r = client.post("/api/v1/import", data=data, headers={**auth, **NDJSON})
    assert r.status_code == 202, r.get_data(as_text=True)
    out = r.get_json()
    assert count(store, m.Account) == 0                       # the request loaded nothing
    assert count(store, ImportChunk) >= 1                     # the body is in PostgreSQL
    assert not [p for p in web_dir.rglob("*") if p.is_file() and p.name != "secret.key"]
    with store.sessions() as s:
        (job,) = s.execute(text("SELECT status::text, args FROM procrastinate_jobs "
                                "WHERE task_name = 'import'")).all()
        stored = s.scalar(select(func.sum(func.length(ImportChunk.data))))
    assert job == ("todo", {"import_id": out["import_id"]}) and stored == len(data)

    (proc,) = workers.start(1)                # DATA_DIR: the test's tmp/data, not web_dir
    assert workers.env()["ACCOUNT360_DATA_DIR"] != str(web_dir)

    def finished():
        st = client.get(out["status_url"], headers=auth).get_json()
        return st if st["status"] in ("done", "failed") else None

    st = wait_for(finished, 60, "the import job", workers)
    assert {k: st[k] for k in ("status", "bytes", "lines_read", "loaded", "rejected",
                               "by_type", "error")} == {
        "status": "done", "bytes": len(data), "lines_read": 300, "loaded": 298,
        "rejected": 2, "by_type": {"account": 298}, "error": None}
    assert [e["line"] for e in st["errors"]] == [7, 250]
    assert count(store, m.Account) == 298 and count(store, ImportChunk) == 0
    assert proc.poll() is None
    wait_for(lambda: count_jobs(store, "succeeded") == 1, 20, "the job's status", workers)


def count_jobs(store, status: str) -> int:
    with store.sessions() as s:
        return s.scalar(text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = "
                             "'import' AND status = :s"), {"s": status})
