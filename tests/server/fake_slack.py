"""A local fake of Slack at the HTTP boundary: incoming webhooks and the Web API methods the
playbooks use (chat.postMessage, users.lookupByEmail), over real HTTP in a thread, so the
official slack_sdk clients run unchanged against it.

Shapes as Slack documents them: a webhook answers 200 with the body `ok`, or an error status
with a short text (`invalid_token`, `channel_not_found`...); rate limits are HTTP 429 with a
`Retry-After` header (seconds). Web API methods answer JSON `{"ok": true, ...}` or
`{"ok": false, "error": "..."}`; chat.postMessage returns `channel`, `ts` and `message`,
users.lookupByEmail returns `user` (`id`, `profile.email`...) or `users_not_found`.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WEBHOOK_PATH = "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
TOKEN = "xoxb-test-bot-token"


class FakeSlack:
    def __init__(self) -> None:
        self.received: list[dict] = []      # every accepted message: path, json, headers
        self.faults: list[tuple[int, dict, str]] = []   # (status, headers, body), FIFO
        self.users = {"maria@example.com": "U0MARIA01"}
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.ts = 1503435956

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def webhook(self) -> str:
        return self.url + WEBHOOK_PATH

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_):
                pass

            def _answer(self, status: int, body: str, ctype: str, headers: dict | None = None):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _handle(self):
                parts = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                is_api = parts.path.startswith("/api/")
                with fake.lock:
                    fault = fake.faults.pop(0) if fake.faults else None
                if fault is not None:
                    status, headers, body = fault
                    if is_api:
                        return self._answer(status, json.dumps({"ok": False, "error": body}),
                                            "application/json; charset=utf-8", headers)
                    return self._answer(status, body, "text/html", headers)
                if parts.path == WEBHOOK_PATH and self.command == "POST":
                    payload = json.loads(raw or b"{}")
                    if not payload.get("text"):
                        return self._answer(400, "invalid_payload", "text/html")
                    with fake.lock:
                        fake.received.append({"path": parts.path, "json": payload})
                    return self._answer(200, "ok", "text/html")
                if not is_api:
                    return self._answer(404, "no_service", "text/html")
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._api({"ok": False, "error": "invalid_auth"})
                method = parts.path[len("/api/"):]
                args = dict((k, v[0]) for k, v in parse_qs(parts.query).items())
                if raw:
                    ctype = self.headers.get("Content-Type", "")
                    args.update(json.loads(raw) if "json" in ctype else
                                {k: v[0] for k, v in parse_qs(raw.decode()).items()})
                if method == "users.lookupByEmail":
                    uid = fake.users.get(args.get("email", "").lower())
                    if uid is None:
                        return self._api({"ok": False, "error": "users_not_found"})
                    return self._api({"ok": True, "user": {
                        "id": uid, "team_id": "T00000000", "name": args["email"].split("@")[0],
                        "profile": {"email": args["email"]}}})
                if method == "chat.postMessage":
                    if not args.get("channel"):
                        return self._api({"ok": False, "error": "channel_not_found"})
                    with fake.lock:
                        fake.ts += 1
                        ts = f"{fake.ts}.000200"
                        fake.received.append({"path": parts.path, "json": args})
                    channel = args["channel"] if args["channel"][0] in "CDGU" else "C0CSALERT"
                    if channel.startswith("U"):
                        channel = "D0DM" + channel[1:]
                    return self._api({"ok": True, "channel": channel, "ts": ts, "message": {
                        "type": "message", "text": args.get("text"), "ts": ts,
                        "bot_id": "B0BOT0001"}})
                return self._api({"ok": False, "error": "unknown_method"})

            def _api(self, body: dict):
                self._answer(200, json.dumps(body), "application/json; charset=utf-8")

            do_POST = _handle
            do_GET = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
