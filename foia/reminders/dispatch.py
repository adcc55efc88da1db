"""Sending due reminders: claim rows atomically, compose, send, mark; retries with backoff."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, and_, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from foia.clocks.service import agency_calendar
from foia.core.clock import default_timezone
from foia.deadlines import Calendar
from foia.mail import (
    Mailer,
    MailError,
    build_message,
    mailer_from_config,
    make_message_id,
)
from foia.models import Agency, Reminder, Request, RequestClock, User
from foia.reminders.compose import DueReminder, compose, compose_digest
from foia.reminders.planner import ensure_digests, plan, replan_stale

BACKOFF_MINUTES = (1, 5, 15, 60, 180, 360)


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
    result = cast(CursorResult[Any], session.execute(  # an UPDATE: the result has a rowcount
        update(Reminder)
        .where(UNSENT, Reminder.status == "pending", Reminder.send_at <= now,
               Reminder.request_id.is_not(None), newer_exists)
        .values(status="skipped", last_error="Superseded by a later reminder for the same deadline.")
        .execution_options(synchronize_session=False)))
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
        result = cast(CursorResult[Any], session.execute(
            update(Reminder).where(Reminder.id.in_(candidates.scalar_subquery()), due)
            .values(status="sending", claim_token=token, claimed_at=now)
            .execution_options(synchronize_session=False)))
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
               User.email, User.name, User.timezone, Request.agency_id, Reminder.send_at)
        .join(User, User.id == Reminder.user_id)
        .outerjoin(Request, Request.id == Reminder.request_id)
        .outerjoin(Agency, Agency.id == Request.agency_id)
        .outerjoin(RequestClock, and_(RequestClock.request_id == Reminder.request_id,
                                      RequestClock.kind == Reminder.clock_kind))
        .where(Reminder.claim_token == token)
        .order_by(Reminder.id)
    )
    # Each row typed as a plain tuple: mypy cannot spread the 23-column row type (typed head, variadic tail) into arguments.
    rows: Iterable[tuple[Any, ...]] = session.execute(stmt)
    return [DueReminder(*r) for r in rows]


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


def _once_a_day(session: Session, row: DueReminder, *, now: datetime) -> str:
    """Why this row must not go out (empty if it may): one deadline gets at most one reminder a day in
    the person's time zone. A late row (a scheduler that was down over its day) gives way to a row for
    the same deadline due later today, and nothing follows a reminder already sent today."""
    tz = ZoneInfo(row.user_timezone or default_timezone())
    today = now.astimezone(tz).date()
    others = session.execute(
        select(Reminder.status, Reminder.send_at, Reminder.sent_at).where(
            Reminder.request_id == row.request_id, Reminder.user_id == row.user_id,
            Reminder.clock_kind == row.clock_kind, Reminder.due == row.due, Reminder.id != row.id,
            Reminder.status.in_(("pending", "sending", "sent")))).all()
    for status, _send_at, sent_at in others:
        if status == "sent" and sent_at is not None and sent_at.astimezone(tz).date() == today:
            return "A reminder for this deadline already went out today."
    row_day = row.send_at.astimezone(tz).date() if row.send_at is not None else today
    if row_day < today and any(status == "pending" and send_at > now and send_at.astimezone(tz).date() == today
                               for status, send_at, _ in others):
        return "Superseded by today's reminder for the same deadline."
    return ""


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
        content, why_not = None, _once_a_day(session, row, now=now)
        if not why_not:
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
