"""Large API imports are jobs: the body is read in chunks, a small one loads in one
transaction before the answer, a large one is stored in the database (no file on the web
worker), answers 202 and a job loads it, its progress (lines read, loaded, rejected with line
numbers) at GET /api/v1/imports/<id>; the stored body is dropped when it ends."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import func, select

from server import models as m
from server.admin import admin_state
from server.jobs.models import ImportChunk, ImportRun
from server.services import imports

NDJSON = {"Content-Type": "application/x-ndjson"}


def body(n: int, bad_at: tuple[int, ...] = ()) -> bytes:
    lines = []
    for i in range(1, n + 1):
        if i in bad_at:
            lines.append(b'{"type": "account", "id": ')                 # not JSON
        else:
            lines.append(json.dumps({"type": "account", "id": f"a{i}",
                                     "name": f"Account {i}"}).encode())
    return b"\n".join(lines) + b"\n"


def accounts(app) -> int:
    with app.extensions["account360"].store.sessions() as s:
        return s.scalar(select(func.count()).select_from(m.Account))


def on_disk(app) -> list[Path]:
    """Files the import left in the data directory (besides a SQLite database)."""
    data = Path(app.extensions["account360"].config["DATA_DIR"])
    return sorted(p for p in data.rglob("*") if p.is_file() and ".db" not in p.name
                  and p.name != "secret.key")


def stored(app, model=ImportChunk) -> int:
    with app.extensions["account360"].store.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_small_body_loads_before_the_answer_and_stores_nothing_else(client, auth, app):
    r = client.post("/api/v1/import", data=body(3), headers={**auth, **NDJSON})
    assert r.status_code == 200 and r.get_json()["loaded"] == 3
    assert accounts(app) == 3 and on_disk(app) == [] and stored(app, ImportRun) == 0


def test_a_large_body_is_a_job_with_its_progress(make_app):
    app = make_app(IMPORT_JOB_BYTES=200)
    from server.auth import create_token

    auth = {"Authorization": f"Bearer {create_token(app.extensions['account360'].store, 't')}"}
    client = app.test_client()
    data = body(40, bad_at=(3, 17))
    r = client.post("/api/v1/import", data=data, headers={**auth, **NDJSON})
    assert r.status_code == 202, r.get_data(as_text=True)
    out = r.get_json()
    assert out == {"import_id": out["import_id"], "status": "queued", "bytes": len(data),
                   "status_url": f"/api/v1/imports/{out['import_id']}"}
    assert accounts(app) == 0                                # nothing loaded by the request
    assert on_disk(app) == [] and stored(app) == 1            # the body is in the database
    queued = client.get(out["status_url"], headers=auth).get_json()
    assert (queued["status"], queued["lines_read"], queued["loaded"]) == ("queued", 0, 0)
    for th in admin_state(app).runner.tick():
        th.join(60)
    done = client.get(out["status_url"], headers=auth).get_json()
    assert {k: done[k] for k in ("status", "bytes", "lines_read", "loaded", "rejected",
                                 "by_type", "errors_truncated", "error")} == {
        "status": "done", "bytes": len(data), "lines_read": 40, "loaded": 38, "rejected": 2,
        "by_type": {"account": 38}, "errors_truncated": False, "error": None}
    assert [e["line"] for e in done["errors"]] == [3, 17]
    assert all(e["reason"].startswith("not valid JSON: ") for e in done["errors"])
    assert accounts(app) == 38 and stored(app) == 0           # the stored body dropped
    assert client.get("/api/v1/imports/999", headers=auth).status_code == 404


class Reads(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.sizes: list[int] = []

    def read(self, n=-1):
        self.sizes.append(n)
        return super().read(n)


def test_the_body_is_read_and_stored_in_chunks_not_bytes(make_app):
    app = make_app(IMPORT_JOB_BYTES=imports.CHUNK)
    store = app.extensions["account360"].store
    data = b"x" * (imports.CHUNK * 2 + 10)
    stream = Reads(data)
    got = imports.receive(stream, store, limit=10**9, job_bytes=imports.CHUNK)
    assert got.size == len(data) and got.body is None and got.import_id
    assert stream.sizes == [imports.CHUNK] * 4         # 3 reads with data, 1 at the end
    with store.sessions() as s:
        chunks = list(s.scalars(select(ImportChunk).order_by(ImportChunk.seq)))
        assert [len(c.data) for c in chunks] == [imports.CHUNK, imports.CHUNK, 10]
        assert s.get(ImportRun, got.import_id).status == "queued"
    with io.BufferedReader(imports.ChunkReader(store, got.import_id)) as fh:
        assert fh.read() == data                       # read back whole, in order


def test_a_body_cut_short_loads_nothing(client, auth, app):
    data = body(50)
    r = client.post("/api/v1/import", input_stream=io.BytesIO(data[:700]),
                    headers={**auth, **NDJSON},
                    environ_overrides={"CONTENT_LENGTH": str(len(data))})
    assert r.status_code == 400 and r.get_json()["error"]["code"]
    assert accounts(app) == 0 and on_disk(app) == []


def test_a_large_body_cut_short_keeps_nothing_stored(make_app):
    app = make_app(IMPORT_JOB_BYTES=200)
    store = app.extensions["account360"].store
    data = body(50)
    try:
        imports.receive(io.BytesIO(data[:700]), store, limit=10**9, job_bytes=200,
                        expected=len(data))
    except imports.BodyIncomplete as exc:
        assert (exc.received, exc.expected) == (700, len(data))
    else:
        raise AssertionError("a cut-off body was queued")
    assert stored(app) == 0 and stored(app, ImportRun) == 0 and accounts(app) == 0


def test_a_chunked_body_over_the_limit_is_refused_and_loads_nothing(make_app):
    app = make_app(MAX_IMPORT_BYTES=1000)
    store = app.extensions["account360"].store
    for job_bytes in (10**6, 100):        # refused while kept, and while stored
        try:
            imports.receive(io.BytesIO(body(50)), store, limit=1000, job_bytes=job_bytes)
        except imports.BodyTooLarge as exc:
            assert str(exc) == "the body is larger than 1000 bytes"
        else:
            raise AssertionError("a body over the limit was accepted")
    assert stored(app) == 0 and stored(app, ImportRun) == 0 and accounts(app) == 0
