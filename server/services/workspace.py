"""What the workspace pages ask of the data besides the figures: whose book a page shows,
the owners and segments to filter on, and how fresh the data is."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import models as m
from server.models import utcnow
from server.services.account360 import freshness

#: Roles that see the whole team by default (a CSM sees their own book, and may switch).
TEAM_ROLES = ("admin", "lead")


def scoped_owner(role: str, email: str, args) -> str | None:
    """The owner a page is scoped to: the `owner` query parameter when given (empty: the
    whole team), else the CSM's own book, or the team for leads and admins."""
    if "owner" in args:
        return (args.get("owner") or "").strip().lower() or None
    return None if role in TEAM_ROLES else email


def owners(session: Session) -> list[str]:
    """The distinct account owners (CSM emails), sorted."""
    return sorted({o.lower() for o in session.scalars(
        select(m.Account.owner).where(m.Account.owner.is_not(None)).distinct()) if o})


def segments(session: Session) -> list[str]:
    return sorted({s for s in session.scalars(
        select(m.Account.segment).where(m.Account.segment.is_not(None)).distinct()) if s})


def freshness_line(session: Session, now: datetime | None = None) -> list[dict]:
    """Each source's last delivery with its age in hours, the stalest first."""
    now = now or utcnow()
    out = []
    for source, at in freshness(session).items():
        if at is None:
            continue
        aware = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
        out.append({"source": source, "at": aware,
                    "hours": max(0.0, (now - aware).total_seconds() / 3600)})
    return sorted(out, key=lambda f: f["at"])
