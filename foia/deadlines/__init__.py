"""Pure statutory deadline engine: laws as data, working-day calendars, clocks from a ledger.

No Flask, no database, no reading of the system clock (only ``cli.py`` imports click).
"""

from foia.deadlines.calendars import CALENDAR_NAMES, Calendar, Closure, calendar_for, calendar_ids, calendar_name
from foia.deadlines.engine import Clock, compute_clocks
from foia.deadlines.laws import (
    ClockRule,
    ExtensionRule,
    Law,
    law_slugs,
    load_law,
    period_text,
)
from foia.deadlines.ledger import ENGINE_EVENT_KINDS, AgencyRules, LedgerEvent

__all__ = [
    "CALENDAR_NAMES",
    "ENGINE_EVENT_KINDS",
    "AgencyRules",
    "Calendar",
    "Clock",
    "ClockRule",
    "Closure",
    "ExtensionRule",
    "Law",
    "LedgerEvent",
    "calendar_for",
    "calendar_ids",
    "calendar_name",
    "compute_clocks",
    "law_slugs",
    "load_law",
    "period_text",
]
