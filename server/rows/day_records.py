"""The records one day of a bulk evaluation reads (server.rows.bulk.DayFacts with trim)."""

from __future__ import annotations

from datetime import date

from server.metrics import types as t
from server.metrics.common import utc_day
from server.metrics.relationship import TOUCHPOINT_DAYS
from server.metrics.types import OPEN_TICKET_STATUSES

#: the support figures' longest window (server.metrics.support: tickets created, answered
#: or solved in the 90 days up to the day) and the touchpoints' (TOUCHPOINT_DAYS)
SUPPORT_DAYS = 90
_NEVER = date.max.toordinal() + 1


class DayRecords:
    """The tickets and touchpoints a day's figures read, in their stored order.

    A ticket counts for day d when it is open at the end of d (created by d, and solved
    after d or of an open status), created in the 90 days up to d (response hours, the
    30-day volumes) or solved in them (resolution hours, CSAT): for day ordinals that is
    [created, open until] or [solved, solved + 89] (`server.metrics.support`; no other
    figure reads the tickets but the open urgent ones of the signals). A touchpoint counts
    when dated in the 90 days up to d; without one there, the latest before d alone (its
    date is the last touch) (`server.metrics.relationship`)."""

    def __init__(self, base: t.AccountFacts) -> None:
        self.tickets, self.touches = base.tickets, base.touchpoints
        last = SUPPORT_DAYS - 1
        self.spans = []
        for tk in self.tickets:
            c = utc_day(tk.created_at).toordinal()
            s = utc_day(tk.solved_at).toordinal() if tk.solved_at is not None else None
            if tk.status.lower() in OPEN_TICKET_STATUSES:
                a1 = _NEVER
            else:
                a1 = c + last if s is None else max(s - 1, c + last)
            self.spans.append((c, a1, _NEVER, 0) if s is None else (c, a1, s, s + last))
        self.dates = [tp.date.toordinal() for tp in self.touches]

    def on(self, day: date) -> tuple[tuple, tuple]:
        o = day.toordinal()
        tickets = tuple(tk for tk, (a0, a1, b0, b1) in zip(self.tickets, self.spans,
                                                            strict=True)
                        if a0 <= o <= a1 or b0 <= o <= b1)
        lo = o - (TOUCHPOINT_DAYS - 1)
        touches = tuple(tp for tp, d in zip(self.touches, self.dates, strict=True)
                        if lo <= d <= o)
        if not touches:
            before = [(d, i) for i, d in enumerate(self.dates) if d <= o]
            if before:
                touches = (self.touches[max(before)[1]],)
        return tickets, touches
