"""The daily digest per CSM: signals that began on the day, renewals within N days (90) and
overdue open tasks of the CSM's accounts, each with a link to the workspace account page.

Sent by email (SMTP settings) and/or as a Slack direct message (bot token; the CSM is found
with users.lookupByEmail), as `[digest]` of the playbooks file says. Each (CSM, day,
channel) is claimed by its primary key before sending, so a digest goes out once a day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server import models as m
from server.models import utcnow
from server.playbooks import deliver
from server.playbooks.episodes import prepare
from server.playbooks.models import PlaybookDigest
from server.playbooks.spec import Digest, PlaybookFile
from server.playbooks.store import SecretMissing, resolve
from server.playbooks.template import slack_escape
from server.rows.models import AccountDay, AccountMetrics


def build(session, day: date, base_url: str = "", renewal_days: int = 90) -> dict[str, dict]:
    """csm email -> {"signals", "renewals", "overdue"} of their accounts on `day`."""
    a = m.Account
    out: dict[str, dict] = defaultdict(lambda: {"signals": [], "renewals": [], "overdue": []})
    reasons = {acc: {s["code"]: s.get("reason") for s in sig or ()} for acc, sig in
               session.execute(select(AccountMetrics.account_id, AccountMetrics.signals)
                               .where(AccountMetrics.as_of == day))}

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
                                     "reason": reasons.get(acc_id, {}).get(code) or code,
                                     "url": url(acc_id)})
        if days is not None and 0 <= days <= renewal_days:
            d["renewals"].append({"account_id": acc_id, "account": name, "days": days,
                                  "date": renewal, "url": url(acc_id)})
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


def text(csm: str, day: date, d: dict) -> str:
    """The digest as plain text (email body and Slack message)."""
    lines = [f"Your accounts on {day.isoformat()} ({csm})", ""]
    lines.append(f"New signals ({len(d['signals'])})")
    lines += [f"- {s['account']}: {s['reason']} {s['url']}" for s in d["signals"]] or ["- none"]
    lines += ["", f"Renewals in the next 90 days ({len(d['renewals'])})"]
    lines += [f"- {r['account']}: renews {r['date'] or '?'} (in {r['days']} days) {r['url']}"
              for r in d["renewals"]] or ["- none"]
    lines += ["", f"Overdue tasks ({len(d['overdue'])})"]
    lines += [f"- {t['account']}: {t['subject']} (due {t['due']}) {t['url']}"
              for t in d["overdue"]] or ["- none"]
    return "\n".join(lines) + "\n"


def _claim(store, csm: str, day: date, channel: str) -> bool:
    try:
        with store.session() as s:
            s.add(PlaybookDigest(csm=csm, day=day, channel=channel, status="pending",
                                 sent_at=utcnow()))
        return True
    except IntegrityError:
        with store.session() as s:     # a failed one is tried again by the next digest run
            row = s.get(PlaybookDigest, (csm, day, channel))
            if row is not None and row.status == "failed":
                row.status = "pending"
                return True
        return False


def _finish(store, csm: str, day: date, channel: str, outcome: deliver.Outcome) -> None:
    with store.session() as s:
        row = s.get(PlaybookDigest, (csm, day, channel))
        row.status = "sent" if outcome.ok else "failed"
        row.error, row.sent_at = outcome.error, utcnow()


def send(env, pf: PlaybookFile, day: date, dry_run: bool = False) -> list[dict]:
    """Build every CSM's digest and deliver it as configured; returns what was done."""
    cfg: Digest = pf.digest or Digest()
    prepare(env.store, day)
    with env.store.sessions() as s:
        digests = build(s, day, env.base_url, cfg.renewal_days)
        token = None
        if cfg.slack_token and not dry_run:
            try:
                token = resolve(s, env.vault, cfg.slack_token)
            except SecretMissing as exc:
                token = exc
        password = env.cfg.get("SMTP_PASSWORD")
        if password is None:
            try:
                password = resolve(s, env.vault, "secret:smtp-password")
            except SecretMissing:
                password = None
    report = []
    for csm, d in digests.items():
        body = text(csm, day, d)
        item = {"csm": csm, "text": body, "channels": {}}
        report.append(item)
        if dry_run:
            continue
        channels = (["email"] if cfg.email else []) + (["slack"] if cfg.slack_token else [])
        for channel in channels:
            if not _claim(env.store, csm, day, channel):
                item["channels"][channel] = "already sent"
                continue
            if channel == "email":
                outcome = deliver.send_email(env.cfg, password, [csm],
                                             f"account360 digest {day.isoformat()}", body)
            elif isinstance(token, Exception):
                outcome = deliver.Outcome(False, str(token))
            else:
                user, failed = deliver.slack_user_id(token, csm, env.cfg.get("SLACK_API_URL"))
                outcome = failed or (deliver.Outcome(False, "no Slack user with this email")
                                     if not user else deliver.slack_post(
                                         token, user, slack_escape(body),
                                         env.cfg.get("SLACK_API_URL")))
            _finish(env.store, csm, day, channel, outcome)
            item["channels"][channel] = "sent" if outcome.ok else f"failed: {outcome.error}"
    return report
