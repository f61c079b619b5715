"""Support figures and ticket state as of a day (metrics.md section 3)."""

from datetime import date, datetime, timezone

import pytest

from server.metrics import Ticket, aging_urgent_tickets, is_open_at, support

T = date(2026, 3, 31)


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def ticket(id, status, priority, created, first=None, solved=None):
    return Ticket(id=id, status=status, priority=priority, created_at=at(created),
                  first_response_at=at(first) if first else None,
                  solved_at=at(solved) if solved else None)


TICKETS = [
    ticket("t1", "open", "urgent", "2026-03-20T10:00"),
    ticket("t2", "pending", "low", "2026-03-30T08:00"),
    ticket("t3", "solved", "normal", "2026-03-01T09:00", "2026-03-01T11:00", "2026-03-03T09:00"),
    ticket("t4", "closed", "high", "2026-01-05T00:00", "2026-01-05T04:00", "2026-01-06T00:00"),
    ticket("t5", "solved", "high", "2026-03-25T00:00", "2026-03-25T06:00", "2026-04-02T00:00"),
    ticket("t6", "open", "urgent", "2026-04-01T00:00"),
    ticket("t7", "solved", "low", "2025-12-31T00:00", "2026-01-01T01:00", "2026-01-01T12:00"),
    ticket("t8", "solved", "low", "2026-03-02T08:00", None, "2026-03-02T20:00"),
]


def test_support_figures_by_hand():
    s = support(TICKETS, T)
    # open at end of 2026-03-31: t1 urgent, t2 low, t5 high (solved only on 04-02); t6 is later
    assert s.open_by_priority == {"low": 1, "normal": 0, "high": 1, "urgent": 1}
    assert s.open_total == 3
    assert s.oldest_open_days == 11  # t1 created 2026-03-20
    # created in [2026-01-01, 2026-03-31] with a response: t3 2h, t4 4h, t5 6h -> median 4
    assert s.first_response_hours_median == pytest.approx(4.0)
    assert s.first_response_count == 3
    # solved in [2026-01-01, 2026-03-31]: t8 12h, t4 24h, t7 36h, t3 48h -> (24 + 36) / 2 = 30
    assert s.resolution_hours_median == pytest.approx(30.0)
    assert s.resolution_count == 4
    # last 30 days [03-02, 03-31]: t1, t2, t5, t8 (T-29 is in); prior [01-31, 03-01]: t3 (T-30)
    assert (s.volume_30d, s.volume_prior_30d) == (4, 1)


def test_state_as_of_a_past_day():
    s = support(TICKETS, date(2026, 3, 21))
    # only t1 open; t3 solved 03-03; t2, t5 not created yet
    assert s.open_total == 1 and s.open_by_priority["urgent"] == 1
    assert s.oldest_open_days == 1
    # t5 is open on 04-01 (solved 04-02) and solved on 04-02
    assert is_open_at(TICKETS[4], date(2026, 4, 1)) is True
    assert is_open_at(TICKETS[4], date(2026, 4, 2)) is False


def test_no_tickets():
    s = support([], T)
    assert s.open_total == 0 and s.oldest_open_days is None
    assert s.first_response_hours_median is None and s.resolution_hours_median is None
    assert s.open_by_priority == {"low": 0, "normal": 0, "high": 0, "urgent": 0}
    assert s.to_dict()["volume_30d"] == 0


def test_closed_without_timestamp_reopened_and_unknown_priority():
    closed = ticket("c", "closed", "low", "2026-03-01T00:00")
    reopened = ticket("r", "open", "normal", "2026-03-01T00:00", solved="2026-03-05T00:00")
    odd = ticket("o", "open", "Critical?", "2026-03-01T00:00")
    assert is_open_at(closed, T) is False
    assert is_open_at(reopened, T) is True
    assert support([odd], T).open_by_priority["normal"] == 1


def test_median_even_count_of_first_responses():
    ts = [ticket("a", "solved", "low", "2026-03-10T00:00", "2026-03-10T01:00"),
          ticket("b", "solved", "low", "2026-03-10T00:00", "2026-03-10T04:00")]
    assert support(ts, T).first_response_hours_median == pytest.approx(2.5)  # (1 + 4) / 2


def test_response_after_as_of_is_ignored():
    ts = [ticket("a", "open", "low", "2026-03-31T20:00", "2026-04-01T01:00")]
    assert support(ts, T).first_response_hours_median is None


def test_high_or_urgent_ticket_aging_more_than_three_days():
    t1 = TICKETS[0]  # urgent, created 2026-03-20 10:00; open > 3 days from 03-23 10:00
    assert aging_urgent_tickets([t1], date(2026, 3, 22), 3) == []
    assert aging_urgent_tickets([t1], date(2026, 3, 23), 3) == [t1]
    low = ticket("l", "open", "normal", "2026-01-01T00:00")
    assert aging_urgent_tickets([low], T, 3) == []
