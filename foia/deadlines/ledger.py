"""Ledger events, agency settings, and when a request (or appeal) counts as received."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from foia.deadlines.calendars import Calendar
from foia.deadlines.counting import ONE_DAY, Trace
from foia.deadlines.laws import ReceiptRule

__all__ = ["ENGINE_EVENT_KINDS", "FEE_EVENT_KINDS", "AgencyRules", "LedgerEvent", "effective_receipt", "local_date"]

#: The fee lifecycle's steps (foia.deadlines.fees says what each does under its law's [fees] rules).
FEE_EVENT_KINDS = frozenset({"fee_estimate", "fee_accepted", "fee_narrowed", "advance_payment", "fee_paid",
                             "fee_waiver_decided"})

#: The event kinds the engine reads (the app's ledger has more: notes, letters, creation...).
ENGINE_EVENT_KINDS = frozenset(
    {
        "received",
        "acknowledged",
        "extension",
        "toll_start",
        "toll_end",
        "restart",
        "estimated_completion",
        "agreed_date",
        "determination",
        "appeal_filed",
        "appeal_decided",
        "closed",
    }
) | FEE_EVENT_KINDS


@dataclass(frozen=True)
class LedgerEvent:
    """One dated fact from a request's ledger.

    ``on`` is a date, or a datetime (timezone-aware preferred; a naive one is read in
    the agency's time zone). ``data`` carries optional details, e.g. ``{"days": 5}``
    on an extension.
    """

    kind: str
    on: date | datetime
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in ENGINE_EVENT_KINDS:
            raise ValueError(f"unknown ledger event kind {self.kind!r}; known: {sorted(ENGINE_EVENT_KINDS)}")
        if not isinstance(self.on, date):
            raise TypeError(f"LedgerEvent.on must be a date or datetime, not {type(self.on).__name__}")


@dataclass(frozen=True)
class AgencyRules:
    """Agency-level settings. ``slug`` selects overrides from the law's data file."""

    slug: str | None = None
    timezone: str | None = None  # None: the law's own zone (its file's ``timezone``)
    business_hours_end: time = time(17, 0)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_date(on: date | datetime, tz: str) -> date:
    if isinstance(on, datetime):
        if on.tzinfo is not None:
            on = on.astimezone(_zone(tz))
        return on.date()
    return on


def effective_receipt(
    on: date | datetime,
    rule: ReceiptRule,
    cal: Calendar,
    tz: str,
    hours_end: time,
    trace: Trace,
    what: str = "received",
) -> date:
    """The date the request counts as received.

    A timestamp is read in the agency's time zone. By default that local date is the day of
    receipt, whatever the hour or day. Only where the law or the agency's rule says so
    (``[receipt]`` ``after_hours_next_day`` / ``nonworking_next_day``, with ``deferral_citation``)
    does an arrival at or after ``hours_end`` count as the next day, and one on a non-working
    day as the next working day.
    """
    deferred = False
    if isinstance(on, datetime):
        local = on.astimezone(_zone(tz)) if on.tzinfo is not None else on
        d = local.date()
        trace.append(("stamp", what, local, tz))
        if rule.after_hours_next_day and local.time() >= hours_end:
            trace.append(("after_hours", what, local, hours_end, d + ONE_DAY))
            d += ONE_DAY
            deferred = True
    else:
        d = on
        trace.append(("on", what, d))
    if rule.nonworking_next_day:
        r = cal.non_working_reason(d)
        if r is not None:
            start = d
            while r is not None:
                trace.append(("recv_skip", d, r))
                d += ONE_DAY
                r = cal.non_working_reason(d)
            trace.append(("recv_moved", what, start, d))
            deferred = True
    if deferred and rule.deferral_citation:
        trace.append(("deferral_cite", rule.deferral_citation))
    return d
