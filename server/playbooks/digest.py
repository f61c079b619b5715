"""The daily digest per CSM: signals that began on the day, renewals within N days (90) and
overdue open tasks of the CSM's accounts, each with a link to the workspace account page.

Sent by email (SMTP settings) and/or as a Slack direct message (bot token; the CSM is found
with users.lookupByEmail), as `[digest]` of the playbooks file says. Each (CSM, day,
channel) is claimed by its primary key before sending, so a digest goes out once a day; a
failed send is retried with backoff by the `playbooks.retry` job (server.playbooks.retries)
with the same text, until it is sent or gives up.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime
from urllib.parse import quote

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from server import models as m
from server.models import utcnow
from server.playbooks import deliver
from server.playbooks.asof import signal_reasons
from server.playbooks.episodes import prepare
from server.playbooks.models import PlaybookDigest
from server.playbooks.retries import STALE_PENDING, guarded, receiver, record, wake_at
from server.playbooks.spec import Digest, PlaybookFile
from server.playbooks.store import SecretMissing, resolve
from server.playbooks.template import slack_escape
from server.rows.models import AccountDay

log = logging.getLogger(__name__)


def build(session, day: date, base_url: str = "", renewal_days: int = 90,
          store=None) -> dict[str, dict]:
    """csm email -> {"signals", "renewals", "overdue"} of their accounts on `day` (the
    signals' reasons as of that day; `store` gives the settings of a past day's rows)."""
    a = m.Account
    out: dict[str, dict] = defaultdict(lambda: {"signals": [], "renewals": [], "overdue": []})

    def url(acc_id: str) -> str:
        return f"{base_url}/app/accounts/{quote(acc_id, safe='')}"

    q = (select(a.id, a.name, a.owner, AccountDay.signals, AccountDay.signal_runs,
                AccountDay.days_to_renewal, a.renewal_date)
         .join(AccountDay, AccountDay.account_id == a.id)
         .where(AccountDay.day == day, a.owner.is_not(None)).order_by(a.name, a.id))
    for acc_id, name, owner, codes, runs, days, renewal in session.execute(q):
        d = out[owner.lower()]
        for code in codes or ():
            if (runs or {}).get(code) == day.isoformat():
                d["signals"].append({"account_id": acc_id, "account": name, "code": code,
                                     "reason": code, "url": url(acc_id)})
        if days is not None and 0 <= days <= renewal_days:
            d["renewals"].append({"account_id": acc_id, "account": name, "days": days,
                                  "date": renewal, "url": url(acc_id)})
    new = [sig for d in out.values() for sig in d["signals"]]
    if new and store is not None:
        reasons = signal_reasons(session, store, [sig["account_id"] for sig in new], day)
        for sig in new:
            sig["reason"] = (reasons.get(sig["account_id"], {}).get(sig["code"]) or {}).get(
                "reason") or sig["code"]
    tq = (select(m.Task.subject, m.Task.due_date, m.Task.owner, a.id, a.name, a.owner)
          .join(a, a.id == m.Task.account_id)
          .where(m.Task.status == "open", m.Task.due_date < day)
          .order_by(m.Task.due_date, m.Task.id))
    for subject, due, task_owner, acc_id, name, acc_owner in session.execute(tq):
        who = task_owner or acc_owner
        if who:
            out[who.lower()]["overdue"].append({"account_id": acc_id, "account": name,
                                                "subject": subject, "due": due,
                                                "url": url(acc_id)})
    for d in out.values():
        d["renewals"].sort(key=lambda r: (r["days"], r["account"]))
    return {k: v for k, v in sorted(out.items()) if any(v.values())}


def text(csm: str, day: date, d: dict, renewal_days: int = 90) -> str:
    """The digest as plain text (email body and Slack message)."""
    lines = [f"Your accounts on {day.isoformat()} ({csm})", ""]
    lines.append(f"New signals ({len(d['signals'])})")
    lines += [f"- {s['account']}: {s['reason']} {s['url']}" for s in d["signals"]] or ["- none"]
    lines += ["", f"Renewals in the next {renewal_days} days ({len(d['renewals'])})"]
    lines += [f"- {r['account']}: renews {r['date'] or '?'} (in {r['days']} days) {r['url']}"
              for r in d["renewals"]] or ["- none"]
    lines += ["", f"Overdue tasks ({len(d['overdue'])})"]
    lines += [f"- {t['account']}: {t['subject']} (due {t['due']}) {t['url']}"
              for t in d["overdue"]] or ["- none"]
    return "\n".join(lines) + "\n"


def _claim(store, csm: str, day: date, channel: str, detail: dict, now: datetime) -> str:
    """Claim the (CSM, day, channel) digest: "claimed", or the state of an earlier claim
    ("already sent", "retrying", "pending"). One that gave up (failed) is claimed again."""
    try:
        with store.session() as s:
            s.add(PlaybookDigest(csm=csm, day=day, channel=channel, status="pending",
                                 sent_at=now, updated_at=now, attempts=0, log=[],
                                 detail=detail))
        return "claimed"
    except IntegrityError:
        pass
    d = PlaybookDigest
    with store.session() as s:
        got = s.execute(update(d).where(d.csm == csm, d.day == day, d.channel == channel,
                                        d.status == "failed")
                        .values(status="pending", updated_at=now, detail=detail)
                        .execution_options(synchronize_session=False)).rowcount
        if got == 1:
            return "claimed"
        row = s.get(d, (csm, day, channel))
        return "already sent" if row.status == "sent" else row.status


def _deliver(env, key: tuple, now: datetime, token=None, password=None) -> str:
    """Send one claimed digest and record the outcome (a retry wakes up when due)."""
    csm, day, channel = key
    with env.store.sessions() as s:
        row = s.get(PlaybookDigest, key)
        detail = dict(row.detail or {})
        if channel == "email":
            if password is None:
                password = env.cfg.get("SMTP_PASSWORD") or _secret(s, env.vault,
                                                                    "secret:smtp-password")
            outcome = guarded(env.down, deliver.smtp_target(env.cfg), lambda: deliver.send_email(
                env.cfg, password, [csm], detail["subject"], detail["text"]))
        else:
            if token is None:
                try:
                    token = resolve(s, env.vault, env.vault.decrypt(detail["sealed"]))
                except SecretMissing as exc:
                    token = exc
            outcome = _slack_dm(env, token, csm, detail["text"])
    if not outcome.ok:
        log.warning("playbooks digest to %s by %s failed: %s", csm, channel, outcome.error)
    with env.store.session() as s:
        row = s.get(PlaybookDigest, key)
        status = record(row, outcome, now, "error")
        if status == "retrying":
            wake_at(s, env.store, row.next_attempt_at)
    return status


def _slack_dm(env, token, csm: str, body: str) -> deliver.Outcome:
    if isinstance(token, Exception):
        return deliver.Outcome(False, str(token))
    api = env.cfg.get("SLACK_API_URL")
    return guarded(env.down, receiver(api),
                   lambda: deliver.slack_dm(token, csm, slack_escape(body), api))


def _secret(s, vault, ref: str) -> str | None:
    try:
        return resolve(s, vault, ref)
    except SecretMissing:
        return None


def _state(status: str, key: tuple, store) -> str:
    if status != "retrying" and status != "failed":
        return status
    with store.sessions() as s:
        row = s.get(PlaybookDigest, key)
        if status == "failed":
            return f"failed: {row.error}"
        return f"retrying at {row.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC: {row.error}"


def send(env, pf: PlaybookFile, day: date, dry_run: bool = False,
         now: datetime | None = None) -> list[dict]:
    """Build every CSM's digest and deliver it as configured; returns what was done."""
    now = now or utcnow()
    cfg: Digest = pf.digest or Digest()
    prepare(env.store, day)
    with env.store.sessions() as s:
        digests = build(s, day, env.base_url, cfg.renewal_days, env.store)
        token = password = None
        if not dry_run:
            if cfg.slack_token:
                try:
                    token = resolve(s, env.vault, cfg.slack_token)
                except SecretMissing as exc:
                    token = exc
            password = env.cfg.get("SMTP_PASSWORD") or _secret(s, env.vault,
                                                                "secret:smtp-password")
    report = []
    channels = (["email"] if cfg.email else []) + (["slack"] if cfg.slack_token else [])
    subject = f"account360 digest {day.isoformat()}"
    for csm, d in digests.items():
        body = text(csm, day, d, cfg.renewal_days)
        item = {"csm": csm, "text": body, "channels": {}}
        report.append(item)
        if dry_run:
            continue
        for channel in channels:
            key = (csm, day, channel)
            detail = {"subject": subject, "text": body}
            if channel == "slack":
                detail["sealed"] = env.vault.encrypt(cfg.slack_token)
            claim = _claim(env.store, csm, day, channel, detail, now)
            if claim != "claimed":
                item["channels"][channel] = _state(claim, key, env.store)
                continue
            status = _deliver(env, key, now, token if channel == "slack" else None,
                              password if channel == "email" else None)
            item["channels"][channel] = _state(status, key, env.store)
    return report


def retry_due(env, now: datetime | None = None) -> int:
    """Send again every failed digest whose retry time has come (and claims left pending by
    a crashed run); each is claimed first, so two workers never both send it."""
    now = now or utcnow()
    d = PlaybookDigest
    due = (d.status == "retrying") & (d.next_attempt_at <= now)
    stale = (d.status == "pending") & (d.updated_at < now - STALE_PENDING)
    with env.store.sessions() as s:
        keys = [tuple(k) for k in s.execute(select(d.csm, d.day, d.channel)
                                            .where(or_(due, stale)).order_by(d.day, d.csm))]
    n = 0
    for csm, day, channel in keys:
        with env.store.session() as s:
            got = s.execute(update(d).where(d.csm == csm, d.day == day, d.channel == channel,
                                            or_(due, stale))
                            .values(status="pending", next_attempt_at=None, updated_at=now)
                            .execution_options(synchronize_session=False)).rowcount
        if got == 1:
            _deliver(env, (csm, day, channel), now)
            n += 1
    return n
