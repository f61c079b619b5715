"""Preview of a proposed settings file, before anything is saved: the accounts that would
change band, the signals that would appear or disappear (both as of today), and the
backtest of the current and the proposed settings side by side."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import models as m
from server.rows import build

from .observe import CHUNK, evaluate_spans
from .service import backtest


def _current_today(session: Session, settings, ids: list[str], day: date) -> dict[str, dict]:
    """Today with the current settings: the current rows (what the 360 shows), and the
    accounts whose row is pending evaluated in memory."""
    from server.rows.history import evaluate_rows
    from server.rows.models import AccountMetrics as AM
    from server.rows.refresh import pending

    stale = set(pending(session, settings, day))
    out = {a: {"band": band, "score": score, "signals": [x["code"] for x in sig or ()]}
           for a, band, score, sig in session.execute(
               select(AM.account_id, AM.band, AM.health_score, AM.signals)) if a not in stale}
    rest = [a for a in ids if a not in out]
    for i in range(0, len(rest), CHUNK):
        rows, *_ = evaluate_rows(session, settings, rest[i:i + CHUNK], day, day)
        out.update({r["account_id"]: r for r in rows})
    return out


def _proposed_today(session: Session, settings, ids: list[str], day: date, progress=None
                    ) -> dict[str, dict]:
    """Today with the proposed settings, evaluated in memory (nothing stored is read)."""
    out = {}
    for i in range(0, len(ids), CHUNK):
        for acc, days in evaluate_spans(session, settings,
                                        {a: (day, day) for a in ids[i:i + CHUNK]}).items():
            ev = days[-1][1]
            out[acc] = {"band": ev.health.band, "score": ev.health.score,
                        "signals": [s.code for s in ev.signals]}
        if progress:
            progress(min(i + CHUNK, len(ids)), len(ids))
    return out


def changes(session: Session, current, proposed, day: date, progress=None) -> dict[str, Any]:
    """Band moves and signal changes of every account as of `day` (nothing written).

    Proposed settings with the current metric settings' digest change no figure: today is
    then read once."""
    names = dict(session.execute(select(m.Account.id, m.Account.name)).all())
    ids = sorted(names)
    now = _current_today(session, current, ids, day)
    same = build.settings_version(proposed) == build.settings_version(current)
    new = now if same else _proposed_today(session, proposed, ids, day, progress)
    bands, signals = [], []
    counts: dict[str, dict[str, int]] = {"current": {}, "proposed": {}}
    for acc in ids:
        a, b = now.get(acc), new.get(acc)
        if a is None or b is None:
            continue
        counts["current"][a["band"]] = counts["current"].get(a["band"], 0) + 1
        counts["proposed"][b["band"]] = counts["proposed"].get(b["band"], 0) + 1
        if a["band"] != b["band"]:
            bands.append({"id": acc, "name": names[acc], "from": a["band"], "to": b["band"],
                          "score_from": a["score"], "score_to": b["score"]})
        before, after = set(a["signals"]), set(b["signals"])
        if before != after:
            signals.append({"id": acc, "name": names[acc], "appear": sorted(after - before),
                            "disappear": sorted(before - after)})
    return {"band_changes": bands, "signal_changes": signals, "band_counts": counts}


def preview(session: Session, current, proposed, start: date, end: date, horizon: int,
            day: date, progress=None, keep=None) -> dict[str, Any]:
    """Everything the preview shows (keys: docs/backtest.md); `progress(stage, done, total)`
    is told how far each backtest got. With `keep(rows)` nothing is written in the session:
    the current settings' evaluated history rows go to `keep`."""
    from server.settings_history import describe, diff

    out: dict[str, Any] = {
        "as_of": day,
        "current": describe(session, build.settings_version(current)),
        "proposed": {"digest": build.settings_version(proposed)},
        "diff": diff(current, proposed),
    }
    def told(stage: str):
        return (lambda done, total: progress(stage, done, total)) if progress else None

    out.update(changes(session, current, proposed, day, told("today, proposed settings")))
    now = backtest(session, current, start, end, horizon, keep=keep,
                   progress=told("current backtest"))
    same = out["proposed"]["digest"] == out["current"]["digest"]
    out["backtest"] = {"current": now, "proposed": now if same else backtest(
        session, proposed, start, end, horizon, write=False,
        progress=told("proposed backtest"))}
    return out


def default_period(day: date) -> tuple[date, date]:
    """The trailing year ending today: [today - 364, today]."""
    return day - timedelta(days=364), day
