"""Helpers for the reminder tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from foia.mail import SMTPMailer
from foia.reminders.dispatch import DispatchSettings, dispatch_due
from foia.requests.service import log_event

LA = ZoneInfo("America/Los_Angeles")


def at(d: date, hour: int = 9, tz=LA) -> datetime:
    return datetime.combine(d, time(hour, 0), tz).astimezone(UTC)


def send_request(session, req, user, day: date) -> None:
    log_event(session, actor=user, now=at(day, 8), req=req, kind="sent", occurred_on=day,
              occurred_at=at(day, 8, ZoneInfo("America/New_York")))
    session.commit()


def sweep(session, smtp, now: datetime, **settings) -> int:
    return dispatch_due(session, now=now, mailer=SMTPMailer.from_url(smtp.url, timeout=10),
                        settings=DispatchSettings(base_url="http://foia.test", sender="FOIA Tracker <reminders@foia.test>",
                                                  **settings))


def working_days_between(cal, a: date, b: date) -> int:
    step = 1 if b >= a else -1
    n, d = 0, a
    while d != b:
        d += timedelta(days=step)
        if cal.is_working_day(d):
            n += step
    return n
