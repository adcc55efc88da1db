"""Internal dates set relative to a statutory one: "5 working days before the response is due".

Pure, like the rest of the engine: the calendar is the request's own working-day calendar (the one its clocks
count on, `foia.clocks.service.request_calendar`), so "working days" here are the same days the deadline engine
counts. Used for tasks (foia.models.Task); never for a statutory deadline."""

from __future__ import annotations

from datetime import date, timedelta

from foia.deadlines.calendars import Calendar

UNITS = ("working", "calendar")
DIRECTIONS = ("before", "after")
MAX_OFFSET = 365


def relative_date(calendar: Calendar, base: date, days: int, unit: str, direction: str) -> date:
    """The date `days` working or calendar days before or after `base` (`base` itself never counts; 0 days is
    `base`). Working days: the `days`-th working day before or after `base` on `calendar`, so weekends, the
    jurisdiction's holidays and (where its law counts them) closures are skipped."""
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, not {unit!r}")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    if days < 0:
        raise ValueError("days must not be negative")
    if days == 0:
        return base
    if unit == "calendar":
        return base - timedelta(days=days) if direction == "before" else base + timedelta(days=days)
    if direction == "before":
        return calendar.subtract_working_days(base, days)
    return calendar.add_working_days(base + timedelta(days=1), days)


def describe(days: int, unit: str, direction: str, clock_label: str) -> str:
    """"5 working days before Determination due"."""
    if days == 0:
        return f"on the date of {clock_label}"
    noun = ("working day" if unit == "working" else "calendar day") + ("" if days == 1 else "s")
    return f"{days} {noun} {direction} {clock_label}"
