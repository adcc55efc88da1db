"""Time: the one reading of the clock, "today" in a time zone, and the installation's default zone.

Domain code never reads the clock: it takes `now` as an argument. The web app, the CLI and the
scheduler read it here, once per request, command or sweep.

`default_timezone()` is the zone used where a person or an agency has none recorded: the
installation's ``FOIA_TIMEZONE``, which `create_app` sets with `set_default_timezone` (before any
app is created it is `DEFAULT_TIMEZONE`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: The zone used when ``FOIA_TIMEZONE`` is not set.
DEFAULT_TIMEZONE = "America/Los_Angeles"

_default = DEFAULT_TIMEZONE


def utcnow() -> datetime:
    return datetime.now(UTC)


def set_default_timezone(name: str) -> None:
    """Make `name` (an IANA zone) the installation's default; raises ValueError if it is not one."""
    global _default
    if not valid_timezone(name):
        raise ValueError(f"FOIA_TIMEZONE={name!r} is not an IANA time zone such as America/Los_Angeles")
    _default = name


def default_timezone() -> str:
    return _default


def zone(name: str | None) -> ZoneInfo:
    """The zone called `name`, or the installation's default when `name` is empty."""
    return ZoneInfo(name or _default)


def local_today(now: datetime, tz: str | None = None) -> date:
    """The calendar date at `now` in zone `tz` (the installation's default when empty)."""
    return now.astimezone(zone(tz)).date()


def valid_timezone(name: str | None) -> bool:
    """True for an IANA region zone ("America/New_York"); False for "UTC+3", "EST", "" or junk."""
    if not name or "/" not in name or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: e.g. a name too long for a file name
        return False
    return True
