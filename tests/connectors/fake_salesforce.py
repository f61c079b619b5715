"""A fake Salesforce org behind `responses` (simple-salesforce speaks `requests` and always
builds https URLs, so a local http server would not do).

It answers SOQL on /query/ and /queryAll/ (WHERE on SystemModstamp, IsDeleted, Id and
AccountId equality, ORDER BY
SystemModstamp, Id), pages with `nextRecordsUrl`, creates records, refreshes OAuth tokens,
answers the SOAP password login, and injects faults. Record and error shapes follow
shared/vendor-specs/salesforce (the tests load those sample records verbatim).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

import responses

INSTANCE = "https://acme-corp.my.salesforce.com"
LOGIN = "https://login.salesforce.com"
SESSION_EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def stamp(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{dt.microsecond // 1000:03d}+0000"


def parse_stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class FakeSalesforce:
    """An org: sObject rows, users, sessions, faults, a request log."""

    def __init__(self, rsps: responses.RequestsMock, version: str = "60.0",
                 page_size: int = 2, token: str = "00D5g000004XXXX!session-1") -> None:
        self.version = version
        self.page_size = page_size
        self.rows: dict[str, dict[str, dict]] = {}
        self.valid = {token}
        self.refresh_token = "5Aep861TSESvWeug"
        self.client_id = "3MVG9-consumer-key"
        self.username, self.password = "api@acme.example", "pw"
        self.cursors: dict[str, list[dict]] = {}
        self.faults: list[dict] = []
        self.lost_answers, self.lost_status = 0, 504
        self.log: list[dict] = []
        self.created = 0
        self.refreshes = 0
        self.logins = 0
        base = re.escape(f"{INSTANCE}/services/data/v{version}/")
        rsps.add_callback(responses.GET, re.compile(base + r"(query|queryAll)/\?q=.*"),
                          callback=self._guard(self._query))
        rsps.add_callback(responses.GET, re.compile(base + r"(query|queryAll)/(01g[\w-]+)$"),
                          callback=self._guard(self._more))
        rsps.add_callback(responses.POST, re.compile(base + r"sobjects/(\w+)/$"),
                          callback=self._guard(self._create))
        rsps.add_callback(responses.POST, f"{LOGIN}/services/oauth2/token",
                          callback=self._token)
        rsps.add_callback(responses.POST, re.compile(
            r"https://login\.salesforce\.com/services/Soap/u/[\d.]+"), callback=self._soap)

    # -- data ---------------------------------------------------------------------------
    def add(self, row: dict) -> dict:
        row = json.loads(json.dumps(row))
        sobject = row["attributes"]["type"]
        row.setdefault("IsDeleted", False)
        self.rows.setdefault(sobject, {})[row["Id"]] = row
        return row

    def new(self, sobject: str, sfid: str, modstamp: datetime, **fields: Any) -> dict:
        return self.add({"attributes": {"type": sobject, "url": f"/services/data/v{self.version}"
                                        f"/sobjects/{sobject}/{sfid}"},
                         "Id": sfid, **fields, "SystemModstamp": stamp(modstamp)})

    def touch(self, sobject: str, sfid: str, modstamp: datetime, **fields: Any) -> None:
        row = self.rows[sobject][sfid]
        row.update(fields)
        row["SystemModstamp"] = stamp(modstamp)

    def delete(self, sobject: str, sfid: str, modstamp: datetime) -> None:
        self.touch(sobject, sfid, modstamp, IsDeleted=True)

    def fail(self, method: str, url: str, status: int, body: Any, times: int = 1,
             skip: int = 0) -> None:
        self.faults.append({"method": method, "url": url, "status": status, "body": body,
                            "times": times, "skip": skip})

    def queries(self, sobject: str | None = None) -> list[str]:
        return [r["soql"] for r in self.log if r.get("soql")
                and (sobject is None or f" FROM {sobject} " in r["soql"] + " ")]

    # -- plumbing -----------------------------------------------------------------------
    def _guard(self, handler):
        def wrapped(request):
            entry = {"method": request.method, "url": request.url,
                     "auth": request.headers.get("Authorization"),
                     "options": request.headers.get("Sforce-Query-Options")}
            self.log.append(entry)
            for fault in self.faults:
                if fault["times"] > 0 and fault["method"] == request.method \
                        and re.search(fault["url"], unquote_plus(request.url)):
                    if fault["skip"] > 0:
                        fault["skip"] -= 1
                        continue
                    fault["times"] -= 1
                    return fault["status"], {}, json.dumps(fault["body"])
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in self.valid:
                return 401, {}, json.dumps(SESSION_EXPIRED)
            return handler(request, entry)
        return wrapped

    def _page(self, rows: list[dict], fields: list[str]) -> tuple[int, dict, str]:
        head, rest = rows[:self.page_size], rows[self.page_size:]
        out: dict[str, Any] = {"totalSize": len(rows), "done": not rest,
                               "records": [self._project(r, fields) for r in head]}
        if rest:
            locator = f"01gRO{uuid.uuid4().hex[:10]}-{self.page_size}"
            self.cursors[locator] = (rest, fields)
            out["nextRecordsUrl"] = f"/services/data/v{self.version}/query/{locator}"
        return 200, {"Sforce-Limit-Info": "api-usage=25/15000"}, json.dumps(out)

    @staticmethod
    def _project(row: dict, fields: list[str]) -> dict:
        out = {"attributes": row["attributes"]}
        for f in fields:
            out[f] = row.get(f)
        return out

    def _query(self, request, entry) -> tuple[int, dict, str]:
        parts = urlsplit(request.url)
        soql = parse_qs(parts.query)["q"][0]
        entry["soql"] = soql
        include_deleted = "/queryAll/" in parts.path
        m = re.fullmatch(r"SELECT (.+?) FROM (\w+)(?: WHERE (.+?))?"
                         r"(?: ORDER BY (.+?))?(?: LIMIT (\d+))?", soql)
        if not m:
            return 400, {}, json.dumps([{"message": f"unexpected SOQL: {soql}",
                                         "errorCode": "MALFORMED_QUERY"}])
        fields = [f.strip() for f in m.group(1).split(",")]
        sobject, where, order, limit = m.group(2), m.group(3), m.group(4), m.group(5)
        rows = list(self.rows.get(sobject, {}).values())
        if not include_deleted:
            rows = [r for r in rows if not r.get("IsDeleted")]
        for cond in (where.split(" AND ") if where else []):
            cm = re.fullmatch(r"SystemModstamp (>=|<=|>|<) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)",
                              cond)
            if cm:
                limit_dt = parse_stamp(cm.group(2))
                op = cm.group(1)
                rows = [r for r in rows if {
                    ">=": parse_stamp(r["SystemModstamp"]) >= limit_dt,
                    "<=": parse_stamp(r["SystemModstamp"]) <= limit_dt,
                    ">": parse_stamp(r["SystemModstamp"]) > limit_dt,
                    "<": parse_stamp(r["SystemModstamp"]) < limit_dt}[op]]
            elif cond == "IsDeleted = false":
                rows = [r for r in rows if not r.get("IsDeleted")]
            elif im := re.fullmatch(r"(\w+) IN \(((?:'\w+'(?:, )?)+)\)", cond):
                values = set(re.findall(r"'(\w+)'", im.group(2)))
                rows = [r for r in rows if str(r.get(im.group(1))) in values]
            elif em := re.fullmatch(r"(\w+) = '((?:[^'\\]|\\.)*)'", cond):
                value = re.sub(r"\\(.)", r"\1", em.group(2))
                rows = [r for r in rows if str(r.get(em.group(1))) == value]
            else:
                return 400, {}, json.dumps([{"message": f"unsupported condition {cond}",
                                             "errorCode": "MALFORMED_QUERY"}])
        if order:
            if order != "SystemModstamp ASC, Id ASC":
                return 400, {}, json.dumps([{"message": "unsupported ORDER BY",
                                             "errorCode": "MALFORMED_QUERY"}])
            rows.sort(key=lambda r: (parse_stamp(r["SystemModstamp"]), r["Id"]))
        if limit:
            rows = rows[:int(limit)]
        return self._page(rows, fields)

    def _more(self, request, entry) -> tuple[int, dict, str]:
        locator = urlsplit(request.url).path.rsplit("/", 1)[1]
        if locator not in self.cursors:
            return 400, {}, json.dumps([{"message": "invalid query locator",
                                         "errorCode": "INVALID_QUERY_LOCATOR"}])
        rows, fields = self.cursors.pop(locator)
        return self._page(rows, fields)

    def lose_answer(self, status: int = 504) -> None:
        """Carry out the next create, then answer `status` instead (a lost answer)."""
        self.lost_answers += 1
        self.lost_status = status

    def _create(self, request, entry) -> tuple[int, dict, str]:
        sobject = urlsplit(request.url).path.rstrip("/").rsplit("/", 1)[1]
        data = json.loads(request.body)
        entry["body"] = data
        self.created += 1
        prefix = {"Task": "00T"}.get(sobject, "a00")
        sfid = f"{prefix}5g00000Wb{self.created:04d}AAA"
        self.new(sobject, sfid, datetime.now(timezone.utc), **data)
        if self.lost_answers > 0:
            self.lost_answers -= 1
            return self.lost_status, {}, json.dumps([{"message": "upstream timeout",
                                                      "errorCode": "SERVER_UNAVAILABLE"}])
        return 201, {}, json.dumps({"id": sfid, "success": True, "errors": []})

    def _token(self, request) -> tuple[int, dict, str]:
        form = {k: v[0] for k, v in parse_qs(request.body).items()}
        self.log.append({"method": "POST", "url": request.url, "form": form})
        if form.get("grant_type") != "refresh_token" or \
                form.get("refresh_token") != self.refresh_token or \
                form.get("client_id") != self.client_id:
            return 400, {}, json.dumps({"error": "invalid_grant",
                                        "error_description": "expired access/refresh token"})
        self.refreshes += 1
        token = f"00D5g000004XXXX!refreshed-{self.refreshes}"
        self.valid.add(token)
        return 200, {}, json.dumps({
            "access_token": token, "signature": "SSSbLO/gBhmmyNUvN18ODBDFYHzakxOMgqYtu+hDPsc=",
            "scope": "refresh_token api", "instance_url": INSTANCE,
            "id": "https://login.salesforce.com/id/00D5g000004XXXXEA4/0055g00000AbCdEAAV",
            "token_type": "Bearer", "issued_at": "1751900000123"})

    def _soap(self, request) -> tuple[int, dict, str]:
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        user = re.search(r"<(?:urn|n1):username>(.*?)</(?:urn|n1):username>", body)
        pw = re.search(r"<(?:urn|n1):password>(.*?)</(?:urn|n1):password>", body)
        if not user or user.group(1) != self.username or not pw \
                or not pw.group(1).startswith(self.password):
            return 500, {}, (
                '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
                '"http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>'
                '<faultcode>INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid '
                'username, password, security token; or user locked out.</faultstring>'
                '</soapenv:Fault></soapenv:Body></soapenv:Envelope>')
        self.logins += 1
        session = f"00D5g000004XXXX!login-{self.logins}"
        self.valid.add(session)
        return 200, {}, (
            '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
            '"http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com">'
            '<soapenv:Body><loginResponse><result><metadataServerUrl>'
            f'{INSTANCE}/services/Soap/m/{self.version}/00D5g000004XXXX</metadataServerUrl>'
            '<passwordExpired>false</passwordExpired><sandbox>false</sandbox><serverUrl>'
            f'{INSTANCE}/services/Soap/u/{self.version}/00D5g000004XXXX</serverUrl>'
            f'<sessionId>{session}</sessionId><userId>0055g00000AbCdEAAV</userId>'
            '</result></loginResponse></soapenv:Body></soapenv:Envelope>')
