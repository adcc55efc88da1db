"""Review Minor 14: when reminders catch up after the scheduler was down, one deadline gets at most one
reminder per day, and a "1 working day before" reminder is never sent on the due day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import select

from foia.models import Reminder
from foia.reminders.planner import plan
from tests.reminders.conftest import LA, send_request, sweep


def _local(d: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(d, time(hh, mm), LA).astimezone(UTC)


DUE = date(2026, 6, 30)  # ICE request sent Mon 2026-06-01: determination due Tue 2026-06-30


def _ice(world):
    return world["requests"][("staff", "private")], world["users"]["staff"]


def _mails_on(smtp, start: int) -> list:
    return smtp.inbox.messages[start:]


def test_scheduler_down_over_the_day_before_sends_one_reminder_on_the_due_day(world, session, smtp):
    """The before_1 row (Mon 08:00) was never swept; the scheduler comes back at 00:36 on the due day.
    Before the fix: a "(due today)" mail at 00:36 from the before_1 row and the on_date one at 08:00."""
    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    assert sweep(session, smtp, _local(date(2026, 6, 23), 9)) == 1  # before_5, on time
    start = len(smtp.inbox.messages)
    for hh, mm in ((0, 36), (8, 5), (12, 0), (23, 59)):
        sweep(session, smtp, _local(DUE, hh, mm))
    mails = _mails_on(smtp, start)
    assert len(mails) == 1, [m["Subject"] for m in mails]
    body = mails[0].get_body(preferencelist=("plain",)).get_content()
    assert "(due today)" in mails[0]["Subject"]
    assert "1 working day before" not in body and "on the date" in body
    late = session.scalar(select(Reminder).where(Reminder.rule == "before_1"))
    assert late.status == "skipped"


def test_catch_up_planned_in_the_night_of_the_due_day_waits_for_the_days_reminder(world, session, smtp):
    """Planning at 00:36 on the due day (an imported request, a re-plan): the past before_1 slot is not
    queued for at once when the on_date reminder comes later that same day."""
    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    session.execute(Reminder.__table__.delete())
    plan(session, req, now=_local(DUE, 0, 36))
    session.commit()
    pending = session.scalars(select(Reminder.rule).where(Reminder.status == "pending")).all()
    assert "before_1" not in pending and "on_date" in pending
    start = len(smtp.inbox.messages)
    for hh, mm in ((0, 37), (8, 5), (18, 0)):
        sweep(session, smtp, _local(DUE, hh, mm))
    mails = _mails_on(smtp, start)
    assert len(mails) == 1 and "(due today)" in mails[0]["Subject"]


def test_a_reminder_already_sent_today_is_not_followed_by_another(world, session, smtp):
    """The catch-up went out today (no reminder later today was planned then); a re-plan after it
    must not add a second mail the same day for the same deadline."""
    req, clerk = _ice(world)
    clerk.reminders_off = ["due"]  # no on_date row: the late before_1 is the only one left for the day
    session.commit()
    send_request(session, req, clerk, date(2026, 6, 1))
    start = len(smtp.inbox.messages)
    sweep(session, smtp, _local(DUE, 0, 36))
    clerk.reminders_off = []
    session.commit()
    plan(session, req, now=_local(DUE, 1, 0))  # e.g. settings changed: on_date comes back at 08:00
    session.commit()
    for hh in (8, 9, 20):
        sweep(session, smtp, _local(DUE, hh))
    mails = _mails_on(smtp, start)
    assert len(mails) == 1, [m["Subject"] for m in mails]
    body = mails[0].get_body(preferencelist=("plain",)).get_content()
    assert "(due today)" in mails[0]["Subject"]
    assert "1 working day before" not in body  # sent late, on the due day: the wording says so
