"""Synthetic Mixpanel and Amplitude exports for bench_usage_connectors.py: an event index that
generates session-shaped events lazily, and the fake vendor server process that streams them
(Mixpanel JSON Lines, chunked; Amplitude ZIP archives of gzip members)."""

from __future__ import annotations

import gzip
import zipfile
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

ACCOUNTS = 1000
USERS = 25_000
SESSION = 10                     # events per session, 30 s apart
NAMES = ["Login", "Dashboard Viewed", "Report Created", "Report Shared", "Export CSV",
         "Search", "Alert Created", "Settings Changed"]
NOW = datetime(2025, 8, 1, 12, 0, tzinfo=timezone.utc)
DAYS = 30
START = datetime(2025, 7, 1, tzinfo=timezone.utc)
SPAN_MS = DAYS * 86_400_000
PROJECT = 987654


# -- the event index ---------------------------------------------------------------------
class Gen:
    """Event i: session i // SESSION of a user; sessions spread evenly over DAYS days."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.sessions = max(1, total // SESSION)
        self.base = int(START.timestamp() * 1000)

    def session_start(self, s: int) -> int:
        return self.base + s * SPAN_MS // self.sessions

    def sessions_between(self, lo_ms: int, hi_ms: int) -> range:
        """Sessions starting in [lo_ms, hi_ms)."""
        first = max(0, -(-(lo_ms - self.base) * self.sessions // SPAN_MS))
        last = min(self.sessions, -(-(hi_ms - self.base) * self.sessions // SPAN_MS))
        return range(first, max(first, last))

    def events(self, sessions: range):
        """(i, user, account key, name, t_ms, session start ms) of the sessions' events."""
        for s in sessions:
            start = self.session_start(s)
            user = (s * 7919) % USERS
            acc = user % ACCOUNTS
            key = f"acc{acc}.example.com" if s % 100 else f"unknown{s % 37}.example.org"
            for k in range(SESSION):
                i = s * SESSION + k
                if i >= self.total:
                    return
                yield i, user, key, NAMES[(i * 31) % len(NAMES)], start + k * 30_000, start


MP_LINE = ('{"event":"%s","properties":{"time":%d,"distinct_id":"u%d","$insert_id":"%x",'
           '"mp_processing_time_ms":%d,"company_id":["%s"],"$browser":"Chrome",'
           '"$os":"Mac OS X","$city":"Berlin","plan":"enterprise","mp_lib":"web"}}\n')
AMP_LINE = ('{"$insert_id":"%x","amplitude_id":%d,"app":%d,"device_id":"d-%d",'
            '"event_id":%d,"event_properties":{"source":"web"},"event_time":"%s",'
            '"event_type":"%s","groups":{"company":["%s"]},"group_properties":{},'
            '"user_id":"u%d","user_properties":{"plan":"enterprise"},'
            '"server_received_time":"%s","server_upload_time":"%s","client_event_time":"%s",'
            '"session_id":%d,"platform":"Web","country":"Germany","uuid":"%032x"}\n')


def amp_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def mixpanel_chunks(gen: Gen, lo_day: str, hi_day: str):
    lo = int(datetime.fromisoformat(lo_day).replace(tzinfo=timezone.utc).timestamp() * 1000)
    hi = int(datetime.fromisoformat(hi_day).replace(tzinfo=timezone.utc).timestamp()
             * 1000) + 86_400_000
    buf: list[str] = []
    size = 0
    for i, user, key, name, t, _ in gen.events(gen.sessions_between(lo, hi)):
        line = ('{"broken": \n' if i % 100_000 == 77 else
                MP_LINE % (name, t, user, i, t + 3000, key))
        buf.append(line)
        size += len(line)
        if size >= 1 << 16:
            yield "".join(buf).encode()
            buf, size = [], 0
    if buf:
        yield "".join(buf).encode()


def amplitude_archive(gen: Gen, start: str, end: str, path: Path) -> bool:
    """Write the export archive of [start, end] hours to path; False when empty (404)."""
    lo = datetime.strptime(start, "%Y%m%dT%H").replace(tzinfo=timezone.utc)
    hi = datetime.strptime(end, "%Y%m%dT%H").replace(tzinfo=timezone.utc)
    wrote = False
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        h = lo
        while h <= hi:
            h_ms = int(h.timestamp() * 1000)
            sess = gen.sessions_between(h_ms, h_ms + 3_600_000)
            if len(sess):
                name = f"{PROJECT}/{PROJECT}_{h:%Y-%m-%d}_{h.hour}#0.json.gz"
                with zf.open(name, "w", force_zip64=True) as member, \
                        gzip.GzipFile(fileobj=member, mode="wb", compresslevel=1) as gz:
                    buf = []
                    for i, user, key, ev_name, t, s0 in gen.events(sess):
                        when = amp_time(t)
                        buf.append('{"broken": \n' if i % 100_000 == 77 else AMP_LINE % (
                            i, 5_000_000_000 + user, PROJECT, user, i % 1000, when, ev_name,
                            key, user, when, when, when, s0, i))
                        if len(buf) >= 2000:
                            gz.write("".join(buf).encode())
                            buf = []
                    gz.write("".join(buf).encode())
                wrote = True
            h += timedelta(hours=1)
    return wrote


def serve(total: int, port_q, workdir: str, amp_windows: list[tuple[str, str]]) -> None:
    """The fake vendor server process."""
    gen = Gen(total)
    cache: dict[tuple[str, str], Path | None] = {}

    def archive(start: str, end: str) -> Path | None:
        if (start, end) not in cache:
            path = Path(workdir) / f"amp_{start}_{end}.zip"
            cache[(start, end)] = path if amplitude_archive(gen, start, end, path) else None
        return cache[(start, end)]

    for w in amp_windows:           # pre-warm: generation is not part of what is measured
        archive(*w)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            u = urlparse(self.path)
            q = {k: v[0] for k, v in parse_qs(u.query).items()}
            if u.path == "/api/2.0/export":
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in mixpanel_chunks(gen, q["from_date"], q["to_date"]):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            elif u.path == "/api/2/export":
                path = archive(q["start"], q["end"])
                if path is None:
                    body = b"No data"
                    self.send_response(404)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(path.stat().st_size))
                self.end_headers()
                with path.open("rb") as fh:
                    while chunk := fh.read(1 << 20):
                        self.wfile.write(chunk)
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_q.put(httpd.server_address[1])
    httpd.serve_forever()
