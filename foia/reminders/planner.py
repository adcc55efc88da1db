"""Reminders: rows planned from the clocks, swept and mailed exactly once.

plan(session, req, now=...) -> number of pending rows
    Turns the request's open clocks into reminder rows for its requester and watchers:
    5 and 1 working days before a date, on the date, the first working day overdue, then weekly
    while overdue; 10 and 3 days before an appeal window closes. Pending rows are replaced,
    sent rows kept. When some reminder days are already past at planning time (an imported
    request, a scheduler that was down), only the latest past one is kept, due at once.

dispatch_due(session, now=..., mailer=..., ...) -> number sent
    Claims due rows atomically (FOR UPDATE SKIP LOCKED on PostgreSQL, a conditional UPDATE on
    SQLite), sends each, then marks it sent. A claim carries a lease: if the process dies between
    claiming and marking, the row is claimed again after the lease and re-sent with the same
    deterministic Message-ID. A failed send stays pending with its attempt count and error and is
    retried with backoff. Nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from foia.clocks.service import Moved, compute_for, request_calendar
from foia.core.access import may_follow
from foia.core.clock import default_timezone
from foia.deadlines import Calendar, Clock
from foia.models import QUIET_STATUSES, RULE_KIND, Reminder, Request, User, Watcher

SEND_HOUR = time(8, 0)      # immediate reminders go out at 8:00 in the recipient's time zone


DIGEST_HOUR = time(7, 0)    # digests at 7:00


APPEAL_CLOCKS = frozenset({"appeal_filing", "fee_waiver_appeal"})  # the requester's own windows to appeal


MAX_WEEKLY = 520            # ten years of weekly overdue reminders is plenty


def _local(d: date, at: time, tz: str) -> datetime:
    return datetime.combine(d, at, ZoneInfo(tz)).astimezone(UTC)


def _local_day(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


def rule_dates(clock: Clock, cal: Calendar, *, until: date) -> list[tuple[str, int, date]]:
    """(rule, seq, day) for one clock, in date order. Weekly overdue reminders run up to the first
    one after `until` (the next one still to come), so re-planning always has one ahead."""
    due = clock.due
    assert due is not None
    if clock.kind in APPEAL_CLOCKS:
        return [("appeal_before_10", 0, due - timedelta(days=10)), ("appeal_before_3", 0, due - timedelta(days=3))]
    first_overdue = cal.next_working_day(due + timedelta(days=1))
    out = [("before_5", 0, cal.subtract_working_days(due, 5)), ("before_1", 0, cal.subtract_working_days(due, 1)),
           ("on_date", 0, due), ("overdue_1", 0, first_overdue)]
    week = first_overdue
    for seq in range(1, MAX_WEEKLY):
        if week > until:
            break
        week = first_overdue + timedelta(days=7 * seq)
        out.append(("overdue_weekly", seq, week))
    return out


def recipients(session: Session, req: Request) -> list[User]:
    """The requester and the watchers who may still see the request (a watcher who lost access gets
    nothing: re-planning drops their pending rows)."""
    users = {req.requester_id: req.requester}
    for w in session.scalars(select(Watcher).where(Watcher.request_id == req.id)):
        users[w.user_id] = w.user
    return [u for u in users.values() if u is not None and may_follow(u, req)]


def plan(session: Session, req: Request, *, now: datetime, clocks: Sequence[Clock] | None = None) -> int:
    """Replace the request's pending reminder rows with what its clocks call for now."""
    if clocks is None:
        clocks = compute_for(session, req)
    existing = {(r.user_id, r.clock_kind, r.due, r.rule, r.seq): r
                for r in session.scalars(select(Reminder).where(Reminder.request_id == req.id))}
    wanted: dict[tuple, datetime] = {}
    last_sent: dict[tuple, datetime] = {}
    for (user_id, kind, due, _rule, _seq), r in existing.items():
        if r.status == "sent" and r.sent_at is not None:
            sent_key = (user_id, kind, due)
            last_sent[sent_key] = max(last_sent.get(sent_key, r.sent_at), r.sent_at)
    if not req.is_closed and req.status not in QUIET_STATUSES:
        cal = request_calendar(session, req)
        for user in recipients(session, req):
            if user.reminder_mode == "digest":
                continue
            off = set(user.reminders_off or ())
            tz = user.timezone or default_timezone()
            today = now.astimezone(ZoneInfo(tz)).date()
            for clock in clocks:
                if clock.status != "open" or clock.due is None:
                    continue
                slots = [(rule, seq, day, _local(day, SEND_HOUR, tz))
                         for rule, seq, day in rule_dates(clock, cal, until=today)
                         if RULE_KIND[rule] not in off]
                past = [s for s in slots if s[3] <= now]
                future = [s for s in slots if s[3] > now]
                sent_after = last_sent.get((user.id, clock.kind, clock.due))
                # One reminder per deadline per day: once one went out today (in this person's time
                # zone), the rest of today's slots are dropped; a catch-up waits for a slot later today.
                sent_today = sent_after is not None and _local_day(sent_after, tz) == today
                later_today = any(_local_day(at, tz) == today for *_, at in future)
                if past and not later_today:
                    rule, seq, _day, slot_at = past[-1]
                    key = (user.id, clock.kind, clock.due, rule, seq)
                    # The latest past one goes out at the next sweep, unless a reminder for this
                    # deadline already went out after its time (e.g. a catch-up just sent).
                    if key in existing or sent_after is None or sent_after < slot_at:
                        wanted[key] = existing[key].send_at if key in existing else now
                for rule, seq, _day, at in future:
                    if sent_today and _local_day(at, tz) == today:
                        continue
                    wanted[(user.id, clock.kind, clock.due, rule, seq)] = at
    pending = 0
    for key, row in existing.items():
        if row.status == "sent":
            continue
        if key not in wanted and row.status == "pending":
            session.delete(row)
    for key, send_at in wanted.items():
        current = existing.get(key)
        if current is not None:
            if current.status == "pending":
                current.send_at = send_at
                pending += 1
            continue
        user_id, kind, due, rule, seq = key
        session.add(Reminder(request_id=req.id, user_id=user_id, clock_kind=kind, due=due, rule=rule, seq=seq,
                             send_at=send_at, status="pending", attempts=0, last_error="", message_id="",
                             created_at=now))
        pending += 1
    session.flush()
    return pending


def replan_stale(session: Session, *, now: datetime, limit: int = 500) -> int:
    """Re-plan the reminders of requests flagged `reminders_stale` (a calendar change moved their dates)."""
    reqs = list(session.scalars(select(Request).where(text("requests.reminders_stale"))
                                .order_by(Request.id).limit(limit)))
    for req in reqs:
        plan(session, req, now=now)
        req.reminders_stale = False
    session.flush()
    return len(reqs)


def replan_moved(session: Session, moved: Sequence[Moved], *, now: datetime, at_once: int = 100) -> int:
    """Re-plan the reminders of the requests whose dates moved. A few are done at once, so the person
    who changed the calendar sees the result; a large change is left flagged (`reminders_stale`) for the
    scheduler's sweep, which re-plans them in batches (until then a stale reminder is skipped, never
    sent with the old date)."""
    refs = {m.ref for m in moved}
    if not refs or len(refs) > at_once:
        return 0
    return replan_stale(session, now=now, limit=at_once)


def ensure_digests(session: Session, now: datetime) -> int:
    """One digest row per digest-mode user for today's 7:00 in their time zone."""
    created = 0
    for user in session.scalars(select(User).where(User.reminder_mode == "digest", User.active.is_(True))):
        tz = user.timezone or default_timezone()
        today = now.astimezone(ZoneInfo(tz)).date()
        exists = session.scalar(select(Reminder.id).where(Reminder.request_id.is_(None), Reminder.user_id == user.id,
                                                          Reminder.due == today, Reminder.rule == "digest"))
        if exists is not None:
            continue
        try:
            with session.begin_nested():
                session.add(Reminder(request_id=None, user_id=user.id, clock_kind="digest", due=today, rule="digest",
                                     seq=0, send_at=_local(today, DIGEST_HOUR, tz), status="pending", attempts=0,
                                     last_error="", message_id="", created_at=now))
            created += 1
        except IntegrityError:  # another scheduler made it first
            pass
    return created
