"""A local fake of the HubSpot CRM API (v3 objects + search, v4 associations, owners,
pipelines, OAuth token), served over real HTTP in a thread.

The HubSpot SDK speaks urllib3, so `responses` cannot intercept it; the connector is pointed
at this server through the SDK's `host` setting instead. Payload shapes follow HubSpot's
documented ones (see shared/vendor-specs/hubspot and test_hubspot_payloads.py, which
deserialises every kind of answer with the SDK's own generated models). Behaviour that
matters to a connector is reproduced: property values as strings, `after` paging, search
capped at 10,000 results per query (HTTP 400 beyond), search never returning archived
objects, ties in the sort order NOT in id order, Bearer auth with 401s, and injectable
faults (429 with Retry-After, 5xx, expired tokens).
"""

from __future__ import annotations

import bisect
import json
import re
import socket
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.connectors.fake_hubspot_tokens import token_info

# re-exported: tests and benches build portals from these
from tests.connectors.fake_hubspot_store import (  # noqa: F401, I001
    CREATED, PRIMARY_TYPE_IDS, SEARCH_CAP, Collection, Fault, LazyCollection, Obj, _error, _match,
    _s, _scramble, iso, modified_prop, ms_of, wire
)


class FakeHubSpot:
    """The fake portal: collections, owners, pipelines, tokens, faults and a request log."""

    def __init__(self, token: str = "pat-test-token") -> None:
        self.collections: dict[str, Collection | LazyCollection] = {}
        self.owners: list[dict] = []
        self.pipelines: dict[str, list[dict]] = {}
        self.valid_tokens = {token}
        self.refresh_token = "refresh-1"
        self.client_id, self.client_secret = "client-id", "client-secret"
        self.refreshes = 0
        self.faults: list[Fault] = []
        self.log: list[dict] = []
        self.search_cap = SEARCH_CAP
        self.next_id = 90_000_000_000
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.keep_log = True
        self.search_delay = 0.0  # seconds to wait before answering a search
        self.lost_answers: list[dict] = []
        self.cuts: list[dict] = []  # answers that break off (fake_hubspot_store.cut_answer)
        self.scopes: list[str] | None = None  # token-info scopes (None: fake_hubspot_tokens')

    # -- data -------------------------------------------------------------------
    def coll(self, otype: str) -> Collection:
        c = self.collections.get(otype)
        if c is None:
            c = self.collections[otype] = Collection(otype)
        return c  # type: ignore[return-value]

    def add(self, otype: str, oid: str | int, props: dict[str, Any], modified: int,
            created: int | None = None, companies: list[str] | None = None,
            primary: str | None = None) -> Obj:
        """Create (or replace) an object; `companies` become v4 associations to companies."""
        oid = str(oid)
        obj = Obj(oid, {k: _s(v) for k, v in props.items()}, modified, created or modified)
        if companies:
            obj.assoc["companies"] = [(str(c), "Primary" if str(c) == str(primary or companies[0])
                                       else None) for c in companies]
        self.coll(otype).put(obj)
        return obj

    def touch(self, otype: str, oid: str | int, modified: int, **props: Any) -> Obj:
        """Modify an object: new property values and a new last-modified time."""
        c = self.coll(otype)
        obj = c.get(str(oid))
        obj.properties.update({k: _s(v) for k, v in props.items()})
        obj.modified = modified
        c.invalidate()
        return obj

    def archive(self, otype: str, oid: str | int, at: int) -> None:
        c = self.coll(otype)
        c.get(str(oid)).archived_at = at
        c.invalidate()

    def fail(self, method: str, path: str, status: int, body: Any = None,
             headers: dict | None = None, times: int = 1, skip: int = 0) -> None:
        self.faults.append(Fault(method, path, status, body, headers or {}, times, skip))

    def lose_answer(self, method: str, path: str, status: int = 504, delay: float = 0.0,
                    times: int = 1) -> None:
        """Carry out the next matching request, then wait `delay` seconds and answer `status`
        instead of the result (a gateway timeout, or a read timeout when `delay` outlasts the
        client's)."""
        self.lost_answers.append({"method": method, "path": path, "status": status,
                                  "delay": delay, "times": times})

    def expire(self, token: str) -> None:
        self.valid_tokens.discard(token)

    def requests(self, method: str | None = None, path: str | None = None) -> list[dict]:
        return [r for r in self.log if (method is None or r["method"] == method)
                and (path is None or re.search(path, r["path"]))]

    # -- serialisation ----------------------------------------------------------
    def to_json(self, otype: str, obj: Obj, props: list[str] | None) -> dict:
        mprop = modified_prop(otype)
        cprop = CREATED.get(otype, "hs_createdate")
        base = {"hs_object_id": obj.id, mprop: iso(obj.modified),
                cprop: obj.properties.get(cprop) or iso(obj.created)}
        if props is None:
            out_props = {**obj.properties, **base}
        else:
            out_props = {p: obj.properties.get(p) for p in props}
            out_props.update(base)
        out = {"id": obj.id, "properties": out_props, "createdAt": iso(obj.created),
               "updatedAt": iso(obj.modified), "archived": obj.archived_at is not None}
        if obj.archived_at is not None:
            out["archivedAt"] = iso(obj.archived_at)
        return out

    # -- endpoints --------------------------------------------------------------
    def search(self, otype: str, body: dict) -> tuple[int, Any]:
        limit = int(body.get("limit") or 10)
        if limit > 200:
            return 400, _error("VALIDATION_ERROR", "limit must be <= 200")
        after = int(body.get("after") or 0)
        if after >= self.search_cap:
            return 400, _error("VALIDATION_ERROR",
                               f"Search results are limited to {self.search_cap}; 'after' "
                               f"{after} is beyond it")
        coll = self.collections.get(otype) or Collection(otype)
        mprop = modified_prop(otype)
        groups = body.get("filterGroups") or []
        if len(groups) > 1:
            return 400, _error("VALIDATION_ERROR", "the fake supports one filter group")
        filters = groups[0]["filters"] if groups else []
        for f in filters:
            if f.get("propertyName") is None:
                return 400, _error("VALIDATION_ERROR", "Cannot build Filter, some of required "
                                   "attributes are not set [propertyName]")
        lo, hi = 0, coll.size()
        rest = []
        for f in filters:
            name, op = f["propertyName"], f["operator"]
            value = f.get("values") if op in ("IN", "NOT_IN") else f.get("value")
            if name == mprop:
                v = ms_of(str(value))
                key = coll.mod_at
                if op in ("GTE", "GT", "EQ"):
                    fn = bisect.bisect_right if op == "GT" else bisect.bisect_left
                    lo = max(lo, fn(range(coll.size()), v, key=key))
                if op in ("LTE", "LT", "EQ"):
                    fn = bisect.bisect_left if op == "LT" else bisect.bisect_right
                    hi = min(hi, fn(range(coll.size()), v, key=key))
            else:
                rest.append((name, op, value))
        sorts = body.get("sorts") or []
        sort_prop = None
        if sorts:
            s = sorts[0]
            sort_prop = s["propertyName"] if isinstance(s, dict) else str(s).lstrip("-")
        if rest or sort_prop == "hs_object_id":
            objs = [coll.obj_at(i) for i in range(lo, max(lo, hi))]
            for name, op, value in rest:
                objs = [o for o in objs if _match(o, name, op, value)]
            if sort_prop == "hs_object_id":
                objs.sort(key=lambda o: int(o.id))
            total = len(objs)
            window = objs[after:min(after + limit, self.search_cap)]
        else:
            total = max(0, hi - lo)
            window = [coll.obj_at(i) for i in range(lo + after, min(hi, lo + after + limit,
                                                                    lo + self.search_cap))]
        props = list(body.get("properties") or [])
        out: dict[str, Any] = {"total": total,
                               "results": [self.to_json(otype, o, props) for o in window]}
        nxt = after + limit
        if nxt < total:
            out["paging"] = {"next": {"after": str(nxt), "link": f"?after={nxt}"}}
        return 200, out

    def list_page(self, otype: str, q: dict[str, list[str]]) -> tuple[int, Any]:
        limit = min(int(q.get("limit", ["10"])[0]), 100)
        after = q.get("after", [None])[0]
        archived = q.get("archived", ["false"])[0].lower() == "true"
        coll = self.collections.get(otype) or Collection(otype)
        if archived:
            objs = coll.archived()
        else:
            objs = [coll.obj_at(i) for i in range(min(coll.size(), 10**6))] \
                if isinstance(coll, Collection) else [coll.obj_at(i) for i in range(
                    min(coll.size(), int(after or 0) + limit))]
            objs.sort(key=lambda o: int(o.id))
        start = 0
        if after:
            start = next((i for i, o in enumerate(objs) if int(o.id) >= int(after)), len(objs))
        page = objs[start:start + limit]
        props = q.get("properties")
        out: dict[str, Any] = {"results": [self.to_json(otype, o, props) for o in page]}
        if start + limit < len(objs):
            nxt = objs[start + limit].id
            out["paging"] = {"next": {"after": nxt,
                                      "link": f"/crm/v3/objects/{otype}?after={nxt}"}}
        return 200, out

    def _associated_to(self, otype: str, company_id: str) -> list[tuple[str, str | None]]:
        """Objects of `otype` associated with a company (the reverse of their company links)."""
        coll = self.collections.get(otype) or Collection(otype)
        out = []
        for i in range(coll.size()):
            o = coll.obj_at(i)
            for cid, label in o.assoc.get("companies", []):
                if cid == company_id and o.archived_at is None:
                    out.append((o.id, label))
        return out

    def assoc_batch(self, from_type: str, to_type: str, body: dict) -> tuple[int, Any]:
        coll = self.collections.get(from_type) or Collection(from_type)
        results, errors = [], []
        for item in body.get("inputs", []):
            obj = coll.get(str(item["id"]))
            links = obj.assoc.get(to_type, []) if obj else []
            if obj and not links and from_type == "companies":
                links = self._associated_to(to_type, str(item["id"]))
            if not links:
                errors.append({"status": "error", "category": "OBJECT_NOT_FOUND",
                               "message": f"No {to_type} is associated with {item['id']}.",
                               "context": {"fromObjectId": [str(item["id"])]},
                               "links": {}, "errors": []})
                continue
            type_id = PRIMARY_TYPE_IDS.get((from_type, to_type), 1)
            results.append({"from": {"id": str(item["id"])}, "to": [
                {"toObjectId": int(cid) if cid.isdigit() else cid, "associationTypes": (
                    [{"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": "Primary"}]
                    if label == "Primary" else []) + [
                    {"category": "HUBSPOT_DEFINED", "typeId": type_id + 1000, "label": None}]}
                for cid, label in links]})
        now = iso(int(datetime.now(timezone.utc).timestamp() * 1000))
        out = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
        if errors:
            out.update(numErrors=len(errors), errors=errors)
            return 207, out
        return 200, out

    def owners_page(self, q: dict[str, list[str]]) -> tuple[int, Any]:
        archived = q.get("archived", ["false"])[0].lower() == "true"
        owners = [o for o in self.owners if o.get("archived", False) == archived]
        limit = int(q.get("limit", ["100"])[0])
        start = int(q.get("after", ["0"])[0])
        out: dict[str, Any] = {"results": owners[start:start + limit]}
        if start + limit < len(owners):
            out["paging"] = {"next": {"after": str(start + limit)}}
        return 200, out

    def create_object(self, otype: str, body: dict) -> tuple[int, Any]:
        with self.lock:
            self.next_id += 1
            oid = str(self.next_id)
        now = int(datetime.now(timezone.utc).timestamp() * 1000)
        companies = [a["to"]["id"] for a in body.get("associations", [])
                     for t in a.get("types", []) if t.get("associationTypeId") == 192]
        obj = self.add(otype, oid, body.get("properties", {}), modified=now,
                       companies=companies or None)
        return 201, self.to_json(otype, obj, None)

    def token(self, form: dict[str, list[str]]) -> tuple[int, Any]:
        f = {k: v[0] for k, v in form.items()}
        if (f.get("grant_type") != "refresh_token" or f.get("refresh_token") != self.refresh_token
                or f.get("client_id") != self.client_id
                or f.get("client_secret") != self.client_secret):
            return 400, {"status": "BAD_REFRESH_TOKEN", "message": "missing or unknown refresh "
                         "token", "correlationId": str(uuid.uuid4())}
        self.refreshes += 1
        new = f"access-{self.refreshes}-{uuid.uuid4().hex[:8]}"
        self.valid_tokens.add(new)
        return 200, {"token_type": "bearer", "refresh_token": self.refresh_token,
                     "access_token": new, "expires_in": 1800}

    # -- dispatch ---------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict, headers: dict, raw: bytes
               ) -> tuple[int, Any, dict]:
        body: Any = None
        ctype = headers.get("content-type", "")
        if raw and "json" in ctype:
            body = json.loads(raw)
        elif raw:
            body = parse_qs(raw.decode())
        entry = {"method": method, "path": path, "query": query, "body": body,
                 "auth": headers.get("authorization")}
        if self.keep_log:
            with self.lock:
                self.log.append(entry)
        status, answer, extra = self._route(method, path, query, headers, body)
        for lost in self.lost_answers:   # the work is done, but the answer never arrives
            if lost["times"] > 0 and lost["method"] == method and re.search(lost["path"], path):
                lost["times"] -= 1
                time.sleep(lost["delay"])
                status, answer, extra = lost["status"], _error("ERROR", "gateway timeout"), {}
                break
        entry["status"] = status
        return status, answer, extra

    def _route(self, method: str, path: str, query: dict, headers: dict, body: Any
               ) -> tuple[int, Any, dict]:
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and re.search(fault.path, path):
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.times -= 1
                return fault.status, fault.body if fault.body is not None else _error(
                    "ERROR", f"injected {fault.status}"), fault.headers
        if path == "/oauth/v1/token" and method == "POST":
            s, b = self.token(body or {})
            return s, b, {}
        info = token_info(self, method, path, body)
        if info is not None:
            return info
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.valid_tokens:
            return 401, {"status": "error", "message": "Authentication credentials not found. "
                         "This API supports OAuth 2.0 authentication.", "correlationId":
                         str(uuid.uuid4()), "category": "INVALID_AUTHENTICATION"}, {}
        m = re.fullmatch(r"/crm/v3/objects/([\w-]+)/search", path)
        if m and method == "POST":
            if self.search_delay:
                time.sleep(self.search_delay)
            return (*self.search(m.group(1), body or {}), {})
        m = re.fullmatch(r"/crm/v3/objects/([\w-]+)", path)
        if m and method == "GET":
            return (*self.list_page(m.group(1), query), {})
        if m and method == "POST":
            return (*self.create_object(m.group(1), body or {}), {})
        m = re.fullmatch(r"/crm/v4/associations/([\w-]+)/([\w-]+)/batch/read", path)
        if m and method == "POST":
            return (*self.assoc_batch(m.group(1), m.group(2), body or {}), {})
        if path == "/crm/v3/owners" or path == "/crm/v3/owners/":
            return (*self.owners_page(query), {})
        m = re.fullmatch(r"/crm/v3/pipelines/([\w-]+)", path)
        if m:
            return 200, {"results": self.pipelines.get(m.group(1), [])}, {}
        return 404, _error("OBJECT_NOT_FOUND", f"no route {method} {path}"), {}

    # -- server -----------------------------------------------------------------
    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Answers go out in two writes (headers, body): without this, Nagle and
                # delayed ACKs add ~40 ms to every request.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _do(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                hdrs = {k.lower(): v for k, v in self.headers.items()}
                try:
                    status, body, extra = fake.handle(self.command, parts.path,
                                                      parse_qs(parts.query), hdrs, raw)
                except Exception as exc:  # a bug in the fake: answer 500, keep serving
                    status, body, extra = 500, _error("INTERNAL", repr(exc)), {}
                data, length = wire(fake, self.command, parts.path, json.dumps(body).encode())
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(length))
                for k, v in extra.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
                self.close_connection = self.close_connection or length != len(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _do

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
