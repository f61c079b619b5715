"""The account page's sections: each one a builder and a template under
templates/workspace/account/. A builder takes the page context (the session, the 360 as the
API answers it, the history series, the churn facts) and returns what its template shows, or
None to leave the section out. A new section (sentiment, stakeholders, playbook nudges...) is
one `Section(...)` added to `SECTIONS` and one template; nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from server.services import tasks, timeline


@dataclass(frozen=True)
class PageContext:
    session: Any
    account_id: str
    view: dict  # the 360 (JSON-decoded, as GET /api/v1/accounts/<id>/360 answers it)
    series: dict  # timeline.series
    churned: dict | None  # timeline.churn
    user: Any  # the signed-in user


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    template: str
    build: Callable[[PageContext], Any]


def _signals(ctx: PageContext) -> dict:
    now = ctx.view["signals"]
    hidden = 0
    if ctx.churned:  # a churned account: no usage alarms, the churn leads the page
        kept = [s for s in now if s["code"] not in timeline.USAGE_SIGNALS]
        hidden, now = len(now) - len(kept), kept
    return {"now": now, "hidden": hidden,
            "runs": timeline.signal_runs(ctx.series["days"], ctx.series["signals"])[:30]}


def _health(ctx: PageContext) -> dict:
    return ctx.view["health"]


def _tickets(ctx: PageContext) -> dict:
    return {"support": ctx.view["support"],
            "items": timeline.tickets(ctx.session, ctx.account_id)}


def _pipeline(ctx: PageContext) -> list:
    return ctx.view["revenue"]["pipeline"]


def _touchpoints(ctx: PageContext) -> dict:
    return {"relationship": ctx.view["relationship"],
            "items": timeline.touchpoints(ctx.session, ctx.account_id)}


def _tasks(ctx: PageContext) -> list[dict]:
    """The 360's tasks (open first), each saying whether the signed-in user may tick it."""
    return tasks.mark_may_change(ctx.session, [dict(t) for t in ctx.view["tasks"]],
                                 ctx.user.role, ctx.user.email)


def _notes(ctx: PageContext) -> list:
    return ctx.view["notes"]


SECTIONS: list[Section] = [
    Section("signals", "Signals", "workspace/account/signals.html", _signals),
    Section("health", "Health components", "workspace/account/health.html", _health),
    Section("tasks", "Tasks", "workspace/account/tasks.html", _tasks),
    Section("notes", "Notes", "workspace/account/notes.html", _notes),
    Section("tickets", "Tickets", "workspace/account/tickets.html", _tickets),
    Section("pipeline", "Pipeline", "workspace/account/pipeline.html", _pipeline),
    Section("touchpoints", "Touchpoints", "workspace/account/touchpoints.html", _touchpoints),
    Section("relationship", "Sentiment and stakeholders", "workspace/account/relationship.html",
            lambda ctx: ctx.view["relationship"]),
]


def build_sections(ctx: PageContext) -> list[tuple[Section, Any]]:
    out = []
    for section in SECTIONS:
        data = section.build(ctx)
        if data is not None:
            out.append((section, data))
    return out
