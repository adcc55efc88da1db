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

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Mapping, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from foia.core.clock import default_timezone

from foia.deadlines import Calendar, Clock
from foia.mail import MailError, Mailer, build_message, make_message_id, mailer_from_config
from foia.reminder_mail import DueReminder, compose, compose_digest
from foia.clocks import Moved, agency_calendar, compute_for, request_calendar
from foia.models import RULE_KIND, Agency, Reminder, Request, RequestClock, User, Watcher

SEND_HOUR = time(8, 0)      # immediate reminders go out at 8:00 in the recipient's time zone
DIGEST_HOUR = time(7, 0)    # digests at 7:00
BACKOFF_MINUTES = (1, 5, 15, 60, 180, 360)
APPEAL_CLOCKS = frozenset({"appeal_filing"})
MAX_WEEKLY = 520            # ten years of weekly overdue reminders is plenty


def _local(d: date, at: time, tz: str) -> datetime:
    return datetime.combine(d, at, ZoneInfo(tz)).astimezone(timezone.utc)


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
    users = {req.requester_id: req.requester}
    for w in session.scalars(select(Watcher).where(Watcher.request_id == req.id)):
        users[w.user_id] = w.user
    return [u for u in users.values() if u is not None and u.active]


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
            key = (user_id, kind, due)
            last_sent[key] = max(last_sent.get(key, r.sent_at), r.sent_at)
    if not req.is_closed:
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
                if past:
                    rule, seq, day, slot_at = past[-1]
                    key = (user.id, clock.kind, clock.due, rule, seq)
                    # The latest past one goes out at the next sweep, unless a reminder for this
                    # deadline already went out after its time (e.g. a catch-up just sent).
                    sent_after = last_sent.get((user.id, clock.kind, clock.due))
                    if key in existing or sent_after is None or sent_after < slot_at:
                        wanted[key] = existing[key].send_at if key in existing else now
                for rule, seq, day, at in future:
                    wanted[(user.id, clock.kind, clock.due, rule, seq)] = at
    pending = 0
    for key, row in existing.items():
        if row.status == "sent":
            continue
        if key not in wanted and row.status == "pending":
            session.delete(row)
    for key, send_at in wanted.items():
        row = existing.get(key)
        if row is not None:
            if row.status == "pending":
                row.send_at = send_at
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


# --------------------------------------------------------------------------- digests

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


# --------------------------------------------------------------------------- dispatch

@dataclass
class DispatchSettings:
    base_url: str = "http://127.0.0.1:5000"
    sender: str = "FOIA Tracker <foia-tracker@localhost>"
    lease_seconds: int = 300
    batch: int = 200
    replan_batch: int = 1000


def dispatch_settings(config: Mapping[str, Any]) -> DispatchSettings:
    """Dispatch settings from the app's configuration (FOIA_BASE_URL, FOIA_MAIL_FROM, lease)."""
    return DispatchSettings(base_url=config["FOIA_BASE_URL"], sender=config["FOIA_MAIL_FROM"],
                            lease_seconds=config["FOIA_REMINDER_LEASE_SECONDS"])


def mailer_for(config: Mapping[str, Any]) -> Mailer:
    """The configured mailer: SMTP when FOIA_SMTP_URL is set, else the .eml outbox."""
    return mailer_from_config(config["FOIA_SMTP_URL"], config["FOIA_OUTBOX_DIR"])


# The partial index's predicate, written as literal SQL exactly as in the index: with bound parameters
# neither SQLite nor a generic PostgreSQL plan can prove a query matches the index, and they scan.
UNSENT = text("reminders.status IN ('pending', 'sending')")


def _supersede(session: Session, now: datetime) -> int:
    """A scheduler that was down finds several reminders for one deadline due at once: only the
    latest goes out; the older ones are recorded as superseded."""
    later = aliased(Reminder)
    newer_exists = (select(later.id).where(
        later.request_id == Reminder.request_id, later.user_id == Reminder.user_id,
        later.clock_kind == Reminder.clock_kind, later.due == Reminder.due,
        later.status.in_(("pending", "sending", "sent")), later.send_at > Reminder.send_at, later.send_at <= now,
    ).exists())
    result = session.execute(
        update(Reminder)
        .where(UNSENT, Reminder.status == "pending", Reminder.send_at <= now,
               Reminder.request_id.is_not(None), newer_exists)
        .values(status="skipped", last_error="Superseded by a later reminder for the same deadline.")
        .execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount or 0


def _claim(session: Session, now: datetime, settings: DispatchSettings) -> str | None:
    token = secrets.token_hex(16)
    lease_cutoff = now - timedelta(seconds=settings.lease_seconds)
    due = and_(
        Reminder.send_at <= now,
        or_(Reminder.next_attempt_at.is_(None), Reminder.next_attempt_at <= now),
        or_(Reminder.status == "pending", and_(Reminder.status == "sending", Reminder.claimed_at < lease_cutoff)),
    )
    candidates = select(Reminder.id).where(UNSENT, due).order_by(Reminder.send_at, Reminder.id)
    candidates = candidates.limit(settings.batch)
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(candidates.with_for_update(skip_locked=True)))
        if not ids:
            session.commit()
            return None
        session.execute(update(Reminder).where(Reminder.id.in_(ids))
                        .values(status="sending", claim_token=token, claimed_at=now)
                        .execution_options(synchronize_session=False))
    else:
        # SQLite runs one writer at a time: the conditional UPDATE re-checks every condition, so two
        # dispatchers can never claim the same row.
        result = session.execute(update(Reminder).where(Reminder.id.in_(candidates.scalar_subquery()), due)
                                 .values(status="sending", claim_token=token, claimed_at=now)
                                 .execution_options(synchronize_session=False))
        if result.rowcount == 0:
            session.commit()
            return None
    session.commit()
    return token


def _message_domain(sender: str) -> str:
    addr = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    return addr.split("@", 1)[1] if "@" in addr else "foia-tracker.local"


def dispatch_due(session: Session, *, now: datetime, mailer: Mailer,
                 settings: DispatchSettings | None = None) -> int:
    """Send every reminder that is due at `now`. Returns how many were sent."""
    settings = settings or DispatchSettings()
    replan_stale(session, now=now, limit=settings.replan_batch)
    session.commit()
    ensure_digests(session, now)
    session.commit()
    _supersede(session, now)
    domain = _message_domain(settings.sender)
    calendars: dict[tuple[str, int | None], Calendar] = {}  # one closures lookup per calendar and agency
    sent = 0
    while True:
        token = _claim(session, now, settings)
        if token is None:
            return sent
        rows = _load_claimed(session, token)
        if not rows:
            return sent
        for row in rows:
            sent += _send_one(session, row, now=now, mailer=mailer, settings=settings, domain=domain,
                              calendars=calendars)


def _load_claimed(session: Session, token: str) -> list[DueReminder]:
    """The claimed rows and what their emails need, in one query (no per-row lookups)."""
    stmt = (
        select(Reminder.id, Reminder.request_id, Reminder.user_id, Reminder.clock_kind, Reminder.due, Reminder.rule,
               Reminder.seq, Reminder.attempts, Request.ref, Request.title, Request.tracking_number, Request.status,
               Request.law, Agency.slug, Agency.name, RequestClock.due, RequestClock.status, RequestClock.label,
               User.email, User.name, User.timezone, Request.agency_id)
        .join(User, User.id == Reminder.user_id)
        .outerjoin(Request, Request.id == Reminder.request_id)
        .outerjoin(Agency, Agency.id == Request.agency_id)
        .outerjoin(RequestClock, and_(RequestClock.request_id == Reminder.request_id,
                                      RequestClock.kind == Reminder.clock_kind))
        .where(Reminder.claim_token == token)
        .order_by(Reminder.id)
    )
    return [DueReminder(*r) for r in session.execute(stmt)]


def reminder_key(row) -> str:
    """What the Message-ID is derived from: the row and everything that identifies it, so the same
    row always gets the same ID and no other row can (even if a database reuses a row id)."""
    return f"reminder-{row.id}-{row.request_id}-{row.user_id}-{row.clock_kind}-{row.due}-{row.rule}-{row.seq}"


_REMINDERS = Reminder.__table__


def _mark(session: Session, row_id: int, **values: Any) -> None:
    """Record one row's outcome and commit at once, so a crash can re-send at most the row in flight.
    A plain table UPDATE: no ORM objects are loaded, so nothing is expired and reloaded."""
    session.connection().execute(_REMINDERS.update().where(_REMINDERS.c.id == row_id).values(**values))
    session.commit()


def _send_one(session: Session, row: DueReminder, *, now: datetime, mailer: Mailer, settings: DispatchSettings,
              domain: str, calendars: dict[tuple[str, int | None], Calendar] | None = None) -> int:
    memo = {} if calendars is None else calendars

    def calendar_of(calendar_id: str, agency_id: int | None) -> Calendar:
        key = (calendar_id, agency_id)
        if key not in memo:
            memo[key] = agency_calendar(session, calendar_id, agency_id)
        return memo[key]

    if row.rule == "digest":
        content, why_not = compose_digest(session, row, now=now, base_url=settings.base_url)
    else:
        content, why_not = compose(row, now=now, base_url=settings.base_url, calendar_of=calendar_of)
    if content is None:  # e.g. the clock moved or closed since the row was planned: record why, send nothing
        _mark(session, row.id, status="skipped", last_error=why_not, claim_token=None)
        return 0
    message_id = make_message_id(reminder_key(row), domain)
    msg = build_message(sender=settings.sender, to=[row.user_email], subject=content.subject, text=content.text,
                        html=content.html, message_id=message_id, date=now,
                        headers={"X-FOIA-Tracker-Reminder": str(row.id)})
    try:
        mailer.send(msg)
    except MailError as exc:
        attempts = row.attempts + 1
        _mark(session, row.id, status="pending", claim_token=None, attempts=attempts, last_error=str(exc)[:2000],
              next_attempt_at=now + timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1]))
        return 0
    _mark(session, row.id, status="sent", sent_at=now, message_id=message_id, claim_token=None,
          attempts=row.attempts + 1, last_error="")
    if row.rule in ("overdue_1", "overdue_weekly") and row.request_id is not None:
        req = session.get(Request, row.request_id)
        if req is not None:
            plan(session, req, now=now)  # line up the next weekly reminder
            session.commit()
    return 1


def unsent(session: Session, limit: int = 500) -> list[Reminder]:
    """Rows still to send, failing ones first (for the admin page and `reminders list`)."""
    return list(session.scalars(select(Reminder).where(UNSENT)
                                .order_by(Reminder.attempts.desc(), Reminder.send_at).limit(limit)))
