"""Mixpanel export parsing: streaming lines, attribution, malformed lines, windows."""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures_usage import payloads as P  # noqa: E402

from connectors.attribution import NO_KEY, AccountIndex, Attributor  # noqa: E402
from connectors.mixpanel.export import EventNormaliser  # noqa: E402
from connectors.streaming import PageBuffer, iter_json_array, iter_lines, windows  # noqa: E402


def make_page(records, state, skipped, unmapped, deletions):
    return {"records": records, "state": state, "skipped": skipped, "unmapped": unmapped,
            "deletions": deletions}


def index() -> AccountIndex:
    return AccountIndex(ids={"acc-acme", "acc-globex", "acc-twin1", "acc-twin2"},
                        domains={"acme.io": ["acc-acme"], "globex.com": ["acc-globex"],
                                 "twins.com": ["acc-twin1", "acc-twin2"]},
                        crm={"0015g00000AbC12AAF": ["acc-acme"]})


def test_iter_lines_any_chunking_gives_the_same_lines():
    body = P.jsonl([P.mp_event("A", f"u{i}", "2025-07-01T10:00:00Z") for i in range(30)])
    expected = body.strip().split(b"\n")
    for size in (1, 7, 64, 4096):
        chunks = (body[i:i + size] for i in range(0, len(body), size))
        assert list(iter_lines(chunks)) == expected


def test_iter_lines_overlong_line_is_cut_and_the_rest_survives():
    body = b"x" * 100 + b"\n" + b'{"ok": 1}\n'
    chunks = (body[i:i + 10] for i in range(0, len(body), 10))
    assert list(iter_lines(chunks, max_line=50)) == [b"x" * 50, b'{"ok": 1}']


def test_json_array_stream_matches_json_loads_for_any_chunking():
    doc = {"startTime": 1, "results": [P.pendo_row(f"v{i}@acme.io", "acme.io", "2025-07-01")
                                       for i in range(40)], "other": {"x": [1, 2]}}
    body = json.dumps(doc).encode()
    for size in (1, 3, 100, 10**6):
        got = list(iter_json_array(body[i:i + size] for i in range(0, len(body), size)))
        assert got == doc["results"]


def test_attribution_by_group_key_crm_id_and_email_domain():
    att = Attributor(index())
    un = Counter()
    assert att.accounts("acc-acme", None, un) == ["acc-acme"]                # account id
    assert att.accounts(["acme.io"], None, un) == ["acc-acme"]               # domain, list
    assert att.accounts("https://www.eu.acme.io/x", None, un) == ["acc-acme"]  # url/subdomain
    assert att.accounts("0015g00000AbC12AAF", None, un) == ["acc-acme"]     # CRM id
    assert att.accounts(["acme.io", "globex.com"], None, un) == ["acc-acme", "acc-globex"]
    assert att.accounts(None, "Dana <dana@ACME.io>", un) == ["acc-acme"]     # email domain
    assert att.accounts("nope.io", "dana@acme.io", un) == ["acc-acme"]       # key miss -> email
    assert un == Counter()
    assert att.accounts("nope.io", None, un) == []
    assert att.accounts(None, "joe@gmail.com", un) == []                     # free mail
    assert att.accounts(None, None, un) == []
    assert att.accounts("twins.com", None, un) == []                         # ambiguous
    assert un == Counter({"nope.io": 1, "@gmail.com": 1, NO_KEY: 1, "twins.com": 1})


def test_id_only_match_mode_ignores_domains():
    att = Attributor(index(), match="id")
    un = Counter()
    assert att.accounts("acme.io", None, un) == []
    assert att.accounts("acc-acme", None, un) == ["acc-acme"]


def test_normaliser_turns_export_lines_into_event_records():
    buf = PageBuffer(make_page, 100)
    norm = EventNormaliser(Attributor(index()), "company_id", "$email", None)
    sample = [json.loads(x) for x in
              (Path(P.HERE) / "mixpanel_export_sample.jsonl").read_text().splitlines()]
    for i, ev in enumerate(sample, 1):
        norm.records(ev, buf, i)
    assert buf.records == [
        {"type": "event", "account_id": "acc-acme", "user_id": "u_8812",
         "name": "Report Exported", "time": "2025-07-07T14:53:20Z"},
        {"type": "event", "account_id": "acc-globex", "user_id": "u_8813",
         "name": "Dashboard Viewed", "time": "2025-07-07T14:58:41Z"},
    ]
    # millisecond times keep their precision
    buf.records.clear()
    norm.records(P.mp_event("A", "u1", "2025-07-01T10:00:00Z", company="acme.io"), buf, 3)
    assert buf.records[0]["time"] == "2025-07-01T10:00:00Z"


def test_normaliser_counts_bad_events_as_skipped():
    buf = PageBuffer(make_page, 100)
    norm = EventNormaliser(Attributor(index()), "company_id", "$email", None)
    norm.records([1, 2], buf, 1)
    norm.records({"event": "A"}, buf, 2)
    norm.records({"event": "A", "properties": {"distinct_id": "u"}}, buf, 3)
    norm.records({"event": "A", "properties": {"time": 1751900000}}, buf, 4)
    page = buf.take({"through": "2025-07-01"})
    assert page["records"] == []
    assert [s["reason"] for s in page["skipped"]] == [
        "not a JSON object", "missing 'event' or 'properties'",
        "missing or invalid 'properties.time'", "missing 'properties.distinct_id'"]


def test_windows_cover_the_range_without_gaps():
    got = list(windows(date(2025, 7, 1), date(2025, 7, 10), 4))
    assert got == [(date(2025, 7, 1), date(2025, 7, 4)), (date(2025, 7, 5), date(2025, 7, 8)),
                   (date(2025, 7, 9), date(2025, 7, 10))]
