"""The fake HubSpot portal's data: objects with string properties, collections sorted by
modification time (eager and lazily generated), search filters and injectable faults."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

SEARCH_CAP = 10_000
MODIFIED = {"contacts": "lastmodifieddate"}
CREATED = {"contacts": "createdate", "companies": "createdate", "deals": "createdate",
           "tickets": "createdate"}
PRIMARY_TYPE_IDS = {("deals", "companies"): 5, ("tickets", "companies"): 339,
                    ("contacts", "companies"): 1, ("tasks", "companies"): 192,
                    ("calls", "companies"): 182, ("meetings", "companies"): 188,
                    ("emails", "companies"): 186}


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")


def ms_of(value: str) -> int:
    if value.isdigit():
        return int(value)
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


def modified_prop(otype: str) -> str:
    return MODIFIED.get(otype, "hs_lastmodifieddate")


@dataclass
class Obj:
    id: str
    properties: dict[str, Any]
    modified: int
    created: int
    archived_at: int | None = None
    #: to_type -> [(to id, label)]
    assoc: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)


class Collection:
    """Objects of one type held in memory; search order is (modified, a NON-id tie order)."""

    def __init__(self, otype: str) -> None:
        self.otype = otype
        self.objs: dict[str, Obj] = {}
        self._sorted: list[Obj] | None = None

    def put(self, obj: Obj) -> None:
        self.objs[obj.id] = obj
        self._sorted = None

    def get(self, oid: str) -> Obj | None:
        return self.objs.get(oid)

    def live(self) -> list[Obj]:
        if self._sorted is None:
            # Ties on the modified time come back in an order unrelated to ids, as they may
            # at HubSpot: a connector must not assume id order inside one timestamp.
            self._sorted = sorted((o for o in self.objs.values() if o.archived_at is None),
                                  key=lambda o: (o.modified, _scramble(o.id)))
        return self._sorted

    def size(self) -> int:
        return len(self.live())

    def mod_at(self, i: int) -> int:
        return self.live()[i].modified

    def obj_at(self, i: int) -> Obj:
        return self.live()[i]

    def archived(self) -> list[Obj]:
        return sorted((o for o in self.objs.values() if o.archived_at is not None),
                      key=lambda o: int(o.id))

    def invalidate(self) -> None:
        self._sorted = None


class LazyCollection:
    """Generated objects (the benchmark): object i is built on demand, modified increases with i."""

    def __init__(self, otype: str, n: int, id_base: int, make: Callable[[int], Obj],
                 modified: Callable[[int], int]) -> None:
        self.otype = otype
        self.n = n
        self.id_base = id_base
        self.make = make
        self.mod_at = modified

    def size(self) -> int:
        return self.n

    def obj_at(self, i: int) -> Obj:
        return self.make(i)

    def get(self, oid: str) -> Obj | None:
        i = int(oid) - self.id_base
        return self.make(i) if 0 <= i < self.n else None

    def archived(self) -> list[Obj]:
        return []


def _scramble(oid: str) -> int:
    return (int(oid) * 2654435761) % 4294967291 if oid.isdigit() else hash(oid)


@dataclass
class Fault:
    method: str
    path: str  # regex on the path
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    skip: int = 0  # let this many matching requests through first


def _s(value: Any) -> Any:
    """HubSpot property values are strings (or null)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _match(obj: Obj, name: str, op: str, value: Any) -> bool:
    if name.startswith("associations."):   # e.g. associations.company EQ <company id>
        linked = {cid for cid, _ in obj.assoc.get("companies", [])}
        return (str(value) in linked) == (op == "EQ")
    if op in ("IN", "NOT_IN"):
        left = obj.id if name == "hs_object_id" else obj.properties.get(name)
        return (str(left) in {str(v) for v in value or []}) == (op == "IN")
    if name == "hs_object_id":
        left, right = int(obj.id), int(value)
    else:
        left, right = obj.properties.get(name), value
    return {"EQ": left == right, "GT": left > right, "GTE": left >= right, "LT": left < right,
            "LTE": left <= right, "NEQ": left != right}[op]


def _error(category: str, message: str) -> dict:
    return {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
            "category": category}


def cut_answer(fake, method: str, path: str, honest_length: bool = False,
               times: int = 1) -> None:
    """The next `times` answers to `method` `path` (a regex) break off half way: the
    Content-Length announces the whole body (the connection closes early), or, with
    `honest_length`, only the half that is sent (a JSON document cut short)."""
    fake.cuts.append({"method": method, "path": path, "honest": honest_length,
                      "times": times})


def wire(fake, method: str, path: str, data: bytes) -> tuple[bytes, int]:
    """The bytes to send and the Content-Length to announce for one answer."""
    for cut in fake.cuts:
        if cut["times"] > 0 and cut["method"] == method and re.search(cut["path"], path):
            cut["times"] -= 1
            half = data[:len(data) // 2]
            return half, len(half) if cut["honest"] else len(data)
    return data, len(data)
