"""Day counting primitives. Each appends trace steps (tuples) for explain.py.

Pauses are ``(first_excluded, last_excluded | None, toll_start, toll_end)``: the
days ``first..last`` do not count (``last=None``: still paused).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from foia.deadlines.calendars import Calendar

ONE_DAY = timedelta(days=1)
Pause = tuple[date, "date | None", date, "date | None"]
Trace = list[tuple]


class Paused(Exception):
    """The count reached an open toll: the clock is stopped."""

    def __init__(self, counted: int, since: date) -> None:
        super().__init__(counted, since)
        self.counted = counted
        self.since = since


def _pause_at(d: date, pauses: Sequence[Pause]) -> Pause | None:
    for p in pauses:
        if p[0] <= d and (p[1] is None or d <= p[1]):
            return p
    return None


def count_business_days(
    cal: Calendar,
    start: date,
    n: int,
    *,
    include_start: bool,
    pauses: Sequence[Pause] = (),
    trace: Trace,
    counted: int = 0,
) -> date:
    """The day on which the ``n``-th working day is reached, counting from ``start``
    (``start`` itself only if ``include_start``). Raises ``Paused`` at an open toll."""
    d = start if include_start else start + ONE_DAY
    if not pauses:  # fast path: indexed lookup; skipped days are listed lazily
        due = cal.add_working_days(d, n)
        trace.append(("skips", cal, d, due))
        return due
    reason = cal.non_working_reason
    append = trace.append
    count = 0
    while True:
        if pauses:
            p = _pause_at(d, pauses)
            if p is not None:
                if p[1] is None:
                    raise Paused(counted + count, p[2])
                append(("paused", d, p[1], p[2], p[3]))
                d = p[1] + ONE_DAY
                continue
        r = reason(d)
        if r is not None:
            append(("skip", d, r))
        else:
            count += 1
            if count >= n:
                return d
        d += ONE_DAY


def count_calendar_days(
    start: date,
    n: int,
    *,
    include_start: bool,
    pauses: Sequence[Pause] = (),
    trace: Trace,
    counted: int = 0,
) -> date:
    """The ``n``-th calendar day from ``start`` (before any roll-forward), skipping
    paused days. Raises ``Paused`` at an open toll."""
    first = start if include_start else start + ONE_DAY
    if not pauses:
        return first + timedelta(days=n - 1)
    d = first
    count = 0
    while True:
        p = _pause_at(d, pauses)
        if p is not None:
            if p[1] is None:
                raise Paused(counted + count, p[2])
            trace.append(("paused", d, p[1], p[2], p[3]))
            d = p[1] + ONE_DAY
            continue
        count += 1
        if count >= n:
            return d
        d += ONE_DAY


def roll_forward(cal: Calendar, d: date, trace: Trace, *, saturday_counts: bool = False) -> date:
    """Move ``d`` to the next working day, recording each day passed over.

    ``saturday_counts``: only Sundays and the calendar's holidays (and closures) move a last day; a
    plain Saturday is a day like any other (e.g. AS 01.10.080, SDCL 1-5-1, Idaho Code § 73-109)."""
    reason = cal.non_working_reason

    def closed(x: date) -> str | None:
        r = reason(x)
        return None if saturday_counts and r == "Saturday" else r

    r = closed(d)
    if r is None:
        if saturday_counts and reason(d) == "Saturday":
            trace.append(("saturday_stays", d))
        return d
    start = d
    while r is not None:
        trace.append(("roll_sunday" if saturday_counts else "roll", d, r))
        d += ONE_DAY
        r = closed(d)
    trace.append(("rolled", start, d))
    return d
