"""Preview and run the playbooks: the one service behind the command line, the admin page,
the scheduler (after each sync and daily) and `GET /api/v1/playbooks/runs`.

`run` acts on exactly what `preview` lists: the same `matches()` for the day, minus the
actions already claimed. Claiming an action is inserting its `playbook_actions` row, whose
unique key is (playbook, account, episode start, action index): a second run, or a run in
another process at the same moment, fails that insert and skips the action, so no task,
message or email is ever made twice. A task is created in the claiming transaction; a Slack
or SMTP call happens after the claim is committed, and a failure is scheduled for a retry
with backoff (Slack's Retry-After when it sent one) instead of being waited for: a
`playbooks.retry` job queued for that time (and every run) sends what is due.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from server import models as m
from server.db_upsert import upsert
from server.models import utcnow
from server.playbooks import deliver
from server.playbooks.episodes import Match, fill_reasons, matches, prepare
from server.playbooks.models import PlaybookAction, PlaybookFiring, PlaybookRun
from server.playbooks.retries import STALE_PENDING, guarded, receiver, record, wake_at
from server.playbooks.spec import PlaybookFile, load
from server.playbooks.store import SecretMissing, load_file, resolve
from server.playbooks.template import one_line, render, slack_escape
from server.secrets import Vault, mask

log = logging.getLogger(__name__)


@dataclass
class Env:
    """What a run needs: the store, the configuration, the vault and the public base URL."""

    store: object
    cfg: dict
    vault: Vault
    #: receivers that did not answer in this run (retries.guarded)
    down: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return str(self.cfg.get("PUBLIC_URL") or "").rstrip("/")


def playbooks_of(cfg: dict, store=None, vault: Vault | None = None) -> PlaybookFile:
    """The configured playbooks (PlaybookFileError when the file is bad: nothing runs). With
    the store, an edit made on disk since the latest version is recorded as a version."""
    path = cfg.get("PLAYBOOKS")
    if not path or store is None:
        return load(path)
    return load_file(store, vault or Vault.from_config(cfg), path)


# -- what each action would do -----------------------------------------------------------
def describe(match: Match, index: int, owner: str | None) -> dict:
    """The action rendered for this firing (shown by preview, stored with the claim)."""
    act = match.playbook.action[index]
    v = match.values
    if act.kind == "task":
        t = act.task
        return {"subject": one_line(render(t.subject, v)),
                "note": render(t.note, v) if t.note else None, "due_in_days": t.due_in_days,
                "owner": owner}
    if act.kind == "slack":
        s = act.slack
        if s.to:
            to = owner if s.to == "owner" else s.to
            return {"text": render(s.text, v, slack_escape), "dm": to,
                    "target": f"direct message to {to or 'the CSM (the account has none)'}"}
        target = (f"webhook {mask(s.webhook)}" if s.webhook and not s.webhook.startswith(
            "secret:") else f"webhook {s.webhook}" if s.webhook else f"channel {s.channel}")
        return {"text": render(s.text, v, slack_escape), "target": target}
    e = act.email
    to = sorted({owner if r == "owner" else r for r in e.to if r != "owner" or owner})
    return {"to": to, "subject": one_line(render(e.subject, v)), "body": render(e.body, v)}


def _claimed(session, found: list[Match]) -> dict[tuple, dict]:
    """The claimed actions of these firings' accounts: key -> what was stored (no secret)."""
    a = PlaybookAction
    out: dict[tuple, dict] = {}
    accs = sorted({x.account_id for x in found})
    for i in range(0, len(accs), 500):
        for name, acc, start, index, detail in session.execute(
                select(a.playbook, a.account_id, a.episode_start, a.action_index, a.detail)
                .where(a.account_id.in_(accs[i:i + 500]))):
            out[(name, acc, start, index)] = {k: v for k, v in (detail or {}).items()
                                              if k not in ("sealed", "result")}
    return out


def _plan(store, pf: PlaybookFile, day: date, base_url: str):
    """The day's firings, their claimed actions and the owners; the firings with an action
    still to do get their signal reasons as of the day."""
    with store.sessions() as s:
        found = matches(s, pf.playbook, day, base_url)
        done = _claimed(s, found)
        fill_reasons(s, store, [x for x in found if any(
            (x.playbook.name, x.account_id, x.episode_start, i) not in done
            for i in range(len(x.playbook.action)))], day)
        owners = dict(s.execute(select(m.Account.id, m.Account.owner).where(
            m.Account.id.in_(sorted({x.account_id for x in found})))).all()) if found else {}
    return found, done, owners


def preview(env: Env, pf: PlaybookFile, day: date) -> list[dict]:
    """Every firing of the day with its actions; `acts` says whether `run` would act now
    (some action not carried out yet for this episode; a done one shows what it did).
    Changes nothing."""
    prepare(env.store, day)
    found, done, owners = _plan(env.store, pf, day, env.base_url)
    out = []
    for x in found:
        actions = []
        for i, act in enumerate(x.playbook.action):
            key = (x.playbook.name, x.account_id, x.episode_start, i)
            shown = done[key] if key in done else describe(x, i, owners.get(x.account_id))
            actions.append({"index": i, "kind": act.kind, "done": key in done, **shown})
        out.append({"playbook": x.playbook.name, "account_id": x.account_id,
                    "account_name": x.values["account.name"],
                    "owner": owners.get(x.account_id), "episode_start": x.episode_start,
                    "acts": any(not a["done"] for a in actions), "actions": actions})
    return out


# -- running -------------------------------------------------------------------------------
def run(env: Env, pf: PlaybookFile, day: date, trigger: str = "cli",
        now: datetime | None = None) -> dict:
    """Fire every playbook once per episode for `day`, then retry what is due."""
    now = now or utcnow()
    prepare(env.store, day)
    with env.store.session() as s:
        run_row = PlaybookRun(as_of=day, trigger=trigger, started_at=now, counts={})
        s.add(run_row)
        s.flush()
        run_id = run_row.id
    found, done, owners = _plan(env.store, pf, day, env.base_url)
    counts = {"firings": len(found), "new_episodes": 0, "actions": 0, "sent": 0,
              "retrying": 0, "failed": 0, "skipped": 0}
    acted: list[dict] = []
    for x in found:
        todo = [i for i in range(len(x.playbook.action))
                if (x.playbook.name, x.account_id, x.episode_start, i) not in done]
        if not todo:
            continue
        firing_id, new = _firing(env.store, x, day, run_id, now)
        counts["new_episodes"] += new
        did = []
        for i in todo:
            status = _claim_and_act(env, x, i, firing_id, owners.get(x.account_id), day, now)
            if status is None:
                counts["skipped"] += 1
                continue
            counts["actions"] += 1
            counts[status] += 1
            did.append(i)
        if did:
            acted.append({"playbook": x.playbook.name, "account_id": x.account_id,
                          "episode_start": x.episode_start, "actions": did})
    retried = retry_due(env, now)
    counts["retried"] = retried
    with env.store.session() as s:
        row = s.get(PlaybookRun, run_id)
        row.finished_at, row.counts = utcnow(), dict(counts)
    return {"run_id": run_id, "as_of": day, "counts": counts, "acted": acted}


def _firing(store, x: Match, day: date, run_id: int, now: datetime) -> tuple[int, bool]:
    f = PlaybookFiring
    key = (f.playbook == x.playbook.name, f.account_id == x.account_id,
           f.episode_start == x.episode_start)
    with store.session() as s:
        upsert(s, f, [{"playbook": x.playbook.name, "account_id": x.account_id,
                       "episode_start": x.episode_start, "first_seen": day, "last_seen": day,
                       "run_id": run_id, "created_at": now}],
               ["playbook", "account_id", "episode_start"], update_cols=[])
        row = s.scalar(select(f).where(*key))
        new = row.run_id == run_id
        if day > row.last_seen:
            row.last_seen = day
        if new:
            acc = s.get(m.Account, x.account_id)
            if acc is not None:
                acc.updated_at = now          # the cached 360 shows the new nudge
        return row.id, new


def _claim_and_act(env: Env, x: Match, index: int, firing_id: int, owner: str | None,
                   day: date, now: datetime) -> str | None:
    """Claim one action (insert its unique row) and carry it out; None when another run
    holds it already."""
    act = x.playbook.action[index]
    detail = describe(x, index, owner)
    sealed = None
    if act.kind == "slack":
        sealed = env.vault.encrypt({"webhook": act.slack.webhook, "token": act.slack.token,
                                    "channel": act.slack.channel})
    row = PlaybookAction(firing_id=firing_id, playbook=x.playbook.name,
                         account_id=x.account_id, episode_start=x.episode_start,
                         action_index=index, kind=act.kind, status="pending", attempts=0,
                         log=[], created_at=now, updated_at=now,
                         detail={**detail, **({"sealed": sealed} if sealed else {})})
    try:
        with env.store.session() as s:
            s.add(row)
            s.flush()
            if act.kind == "task":
                _create_task(s, x, detail, owner, day, now)
                row.detail = {**detail, "task_id": s.info.pop("playbook_task_id")}
                record(row, deliver.Outcome(True), now)
            action_id = row.id
    except IntegrityError:
        return None
    if act.kind == "task":
        return "sent"
    return _deliver(env, action_id, now)


def _create_task(s, x: Match, detail: dict, owner: str | None, day: date,
                 now: datetime) -> None:
    """The task, and the account's change stamp bumped so its cached 360 shows it (no
    figure of the metrics rows depends on tasks: nothing to refresh)."""
    task_id = "t_" + uuid.uuid4().hex[:20]
    s.add(m.Task(id=task_id, account_id=x.account_id, subject=detail["subject"][:500],
                 status="open", due_date=day + timedelta(days=detail["due_in_days"]),
                 note=detail["note"], owner=owner, created_at=now, updated_at=now,
                 source="playbook", crm_sync_attempts=0,
                 attributes={"created_by": f"playbook: {x.playbook.name}",
                             "playbook": x.playbook.name}))
    acc = s.get(m.Account, x.account_id)
    if acc is not None:
        acc.updated_at = now
    s.info["playbook_task_id"] = task_id


def _send(env: Env, s, row: PlaybookAction) -> deliver.Outcome:
    d = row.detail
    try:
        if row.kind == "slack":
            target = env.vault.decrypt(d["sealed"])
            if target.get("webhook"):
                url = resolve(s, env.vault, target["webhook"])
                return guarded(env.down, receiver(url),
                               lambda: deliver.slack_webhook(url, d["text"]))
            token, api = resolve(s, env.vault, target["token"]), env.cfg.get("SLACK_API_URL")
            if target.get("channel"):
                return guarded(env.down, receiver(api), lambda: deliver.slack_post(
                    token, target["channel"], d["text"], api))
            if not d.get("dm"):
                return deliver.Outcome(False, "no recipient: the account has no CSM",
                                       final=True)
            return guarded(env.down, receiver(api),
                           lambda: deliver.slack_dm(token, d["dm"], d["text"], api))
        password = env.cfg.get("SMTP_PASSWORD") or _stored(s, env.vault, "smtp-password")
        return guarded(env.down, deliver.smtp_target(env.cfg), lambda: deliver.send_email(
            env.cfg, password, d["to"], d["subject"], d["body"]))
    except SecretMissing as exc:
        return deliver.Outcome(False, str(exc))


def _stored(s, vault: Vault, name: str) -> str | None:
    try:
        return resolve(s, vault, "secret:" + name)
    except SecretMissing:
        return None


def _deliver(env: Env, action_id: int, now: datetime) -> str:
    with env.store.sessions() as s:
        row = s.get(PlaybookAction, action_id)
        outcome = _send(env, s, row)
    if not outcome.ok:
        log.warning("playbook %s: %s action %d failed: %s", row.playbook, row.kind, action_id,
                    outcome.error)
    with env.store.session() as s:
        row = s.get(PlaybookAction, action_id)
        status = record(row, outcome, now)
        if status == "retrying":        # a job wakes up for it then (with this commit)
            wake_at(s, env.store, row.next_attempt_at)
        return status


def retry_due(env: Env, now: datetime | None = None) -> int:
    """Retry every failed Slack or email action and daily digest whose time has come (and
    claims left pending by a crashed run); each retry is claimed first, so two workers never
    both send it."""
    from server.playbooks import digest

    now = now or utcnow()
    a = PlaybookAction
    due = (a.status == "retrying") & (a.next_attempt_at <= now)
    stale = (a.status == "pending") & (a.kind != "task") & (a.updated_at < now - STALE_PENDING)
    with env.store.sessions() as s:
        ids = list(s.scalars(select(a.id).where(or_(due, stale)).order_by(a.id)))
    n = 0
    for action_id in ids:
        with env.store.session() as s:      # the state seen must still hold: one claimant
            got = s.execute(update(a).where(a.id == action_id, or_(due, stale))
                            .values(status="pending", next_attempt_at=None, updated_at=now)
                            .execution_options(synchronize_session=False)).rowcount
        if got == 1:
            _deliver(env, action_id, now)
            n += 1
    return n + digest.retry_due(env, now)
