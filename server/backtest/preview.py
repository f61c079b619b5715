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

from .service import CHUNK, backtest


def _today_rows(session: Session, settings, ids: list[str], day: date, stored: bool
                ) -> dict[str, dict]:
    from server.rows.history import evaluate_rows

    out = {}
    for i in range(0, len(ids), CHUNK):
        rows, *_ = evaluate_rows(session, settings, ids[i:i + CHUNK], day, day, stored=stored)
        out.update({r["account_id"]: r for r in rows})
    return out


def changes(session: Session, current, proposed, day: date) -> dict[str, Any]:
    """Band moves and signal changes of every account as of `day` (nothing written)."""
    names = dict(session.execute(select(m.Account.id, m.Account.name)).all())
    ids = sorted(names)
    now = _today_rows(session, current, ids, day, stored=True)
    new = _today_rows(session, proposed, ids, day, stored=False)
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
            day: date) -> dict[str, Any]:
    """Everything the preview shows (keys: docs/backtest.md)."""
    from server.settings_history import describe, diff

    out: dict[str, Any] = {
        "as_of": day,
        "current": describe(session, build.settings_version(current)),
        "proposed": {"digest": build.settings_version(proposed)},
        "diff": diff(current, proposed),
    }
    out.update(changes(session, current, proposed, day))
    out["backtest"] = {"current": backtest(session, current, start, end, horizon),
                       "proposed": backtest(session, proposed, start, end, horizon,
                                            write=False)}
    return out


def default_period(day: date) -> tuple[date, date]:
    """The trailing year ending today: [today - 364, today]."""
    return day - timedelta(days=364), day
