"""Sending due reminders: claim rows atomically, compose, send, mark; retries with backoff.

Claims (review F1, F2). Rows are claimed a few at a time (``claim_batch``) under a fresh token, and the
lease of every row still held is renewed before each send, so a slow relay never lets a claim lapse while
it is being worked through. Leases are written and compared with the DATABASE's clock (``statement_timestamp()``
on PostgreSQL, ``strftime('now')`` on SQLite), never a process's: a dispatcher whose clock is hours ahead, or a
``reminders dispatch --now`` catch-up, decides only what is *due*; it cannot see another process's claim as
expired. A row is marked only with the token that claimed it (an UPDATE ... WHERE claim_token = :mine).
On PostgreSQL candidates are locked with FOR UPDATE SKIP LOCKED; on SQLite the claim is one conditional
UPDATE that re-checks every condition, which is atomic whether or not the driver emits BEGIN.

Recovery (F7, F8). The relay is probed once per sweep before anything is claimed: if it does not answer
(refused, or silent past the short timeouts), nothing is sent, the failure is logged and the sweep reports
it; when it answers, backoff is reset so reminders waiting out a retry go at once. A relay that cannot be
reached mid-sweep stops the sweep without counting against the reminders. A permanent refusal (5xx) marks
the reminder failed (shown on the admin Reminders page, and mailed to administrators once); a reminder sent
well after its time says it is late.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, CursorResult, and_, literal_column, or_, select, text, update
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
from foia.reminders.compose import Content, DueReminder, compose, compose_digest
from foia.reminders.planner import ensure_digests, plan, replan_stale

log = logging.getLogger("foia.reminders")

BACKOFF_MINUTES = (1, 5, 15, 60, 180, 360)
# A reminder sent this long after its planned time says so (and when it was meant to go out). Two hours, so a
# once-a-morning cron sweep is not "late", but an outage or a stopped scheduler is.
LATE_AFTER = timedelta(hours=2)


@dataclass
class DispatchSettings:
    base_url: str = "http://127.0.0.1:5000"
    sender: str = "FOIA Tracker <foia-tracker@localhost>"
    lease_seconds: int = 300
    batch: int = 10  # rows per claim; every held row's lease is renewed before each send
    replan_batch: int = 1000


@dataclass
class DispatchResult:
    """What one sweep did. ``ok`` is False when any send failed or the relay did not answer."""

    sent: int = 0
    retrying: int = 0  # refused for now (4xx, dropped connection): retried at a later sweep
    failed: int = 0  # refused for good (5xx): marked failed, not retried
    skipped: int = 0
    late: int = 0  # sent, but more than LATE_AFTER after their time
    lost_claims: int = 0  # rows another process took over (a lease ran out): not sent or marked by us
    relay_error: str = ""  # the relay could not be reached: nothing more was sent this sweep
    failed_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.retrying or self.failed or self.relay_error)

    def summary(self) -> str:
        parts = [f"Sent {self.sent} reminder(s)."]
        if self.late:
            parts.append(f"{self.late} of them late.")
        if self.retrying:
            parts.append(f"{self.retrying} failed and will be retried.")
        if self.failed:
            parts.append(f"{self.failed} refused permanently (marked failed).")
        if self.relay_error:
            parts.append(f"Mail relay not reachable, sending stopped: {self.relay_error}")
        if self.lost_claims:
            parts.append(f"{self.lost_claims} claim(s) taken over by another process.")
        return " ".join(parts)


def dispatch_settings(config: Mapping[str, Any]) -> DispatchSettings:
    """Dispatch settings from the app's configuration (FOIA_BASE_URL, FOIA_MAIL_FROM, lease, claim batch)."""
    return DispatchSettings(base_url=config["FOIA_BASE_URL"], sender=config["FOIA_MAIL_FROM"],
                            lease_seconds=config["FOIA_REMINDER_LEASE_SECONDS"],
                            batch=int(config.get("FOIA_REMINDER_CLAIM_BATCH") or 10))


def mailer_for(config: Mapping[str, Any]) -> Mailer:
    """The configured mailer: SMTP when FOIA_SMTP_URL is set, else the .eml outbox."""
    return mailer_from_config(config["FOIA_SMTP_URL"], config["FOIA_OUTBOX_DIR"],
                              timeout=float(config.get("FOIA_SMTP_TIMEOUT") or 10),
                              connect_timeout=float(config.get("FOIA_SMTP_CONNECT_TIMEOUT") or 5))


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


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def db_now(session: Session, seconds_ago: int = 0) -> ColumnElement[Any]:
    """The database's clock as an SQL expression (minus `seconds_ago`), comparable with UTCDateTime columns.

    PostgreSQL: statement_timestamp() (not now(), which is frozen at the start of the transaction).
    SQLite: strftime('now') written in the same text form SQLAlchemy stores ('YYYY-MM-DD HH:MM:SS.ffffff'),
    so string comparison with stored values is time order."""
    if _is_pg(session):
        expr: ColumnElement[Any] = literal_column("statement_timestamp()")
        return expr - timedelta(seconds=seconds_ago) if seconds_ago else expr
    modifier = f", '-{int(seconds_ago)} seconds'" if seconds_ago else ""
    return literal_column(f"(strftime('%Y-%m-%d %H:%M:%f', 'now'{modifier}) || '000')")


def _claim(session: Session, now: datetime, settings: DispatchSettings) -> str | None:
    """Claim up to `settings.batch` due rows under a new token; None when nothing is left to claim.

    `now` (the process's clock, or `--now`) decides only what is due. Whether another process's claim has
    lapsed is decided by the database's clock, so no process clock can take over a live claim."""
    session.commit()  # the claim is the first statement of its transaction (SQLite: no stale read snapshot)
    token = secrets.token_hex(16)
    lapsed = db_now(session, settings.lease_seconds)
    due = and_(
        Reminder.send_at <= now,
        or_(Reminder.next_attempt_at.is_(None), Reminder.next_attempt_at <= now),
        or_(Reminder.status == "pending",
            and_(Reminder.status == "sending", or_(Reminder.claimed_at.is_(None), Reminder.claimed_at < lapsed))),
    )
    candidates = select(Reminder.id).where(UNSENT, due).order_by(Reminder.send_at, Reminder.id)
    candidates = candidates.limit(settings.batch)
    if _is_pg(session):
        ids = list(session.scalars(candidates.with_for_update(skip_locked=True)))
        if not ids:
            session.commit()
            return None
        # The rows are locked by us; PostgreSQL re-checked the conditions on any row changed meanwhile.
        session.execute(update(Reminder).where(Reminder.id.in_(ids))
                        .values(status="sending", claim_token=token, claimed_at=db_now(session))
                        .execution_options(synchronize_session=False))
    else:
        # One conditional UPDATE that re-checks every condition: SQLite runs one writer at a time, so two
        # dispatchers can never claim the same row (with or without an explicit BEGIN).
        result = cast(CursorResult[Any], session.execute(
            update(Reminder).where(Reminder.id.in_(candidates.scalar_subquery()), due)
            .values(status="sending", claim_token=token, claimed_at=db_now(session))
            .execution_options(synchronize_session=False)))
        if result.rowcount == 0:
            session.commit()
            return None
    session.commit()
    return token


def _renew(session: Session, token: str, row_id: int) -> bool:
    """Renew the lease on every row still held under `token` (database clock); True if `row_id` is one."""
    session.connection().execute(
        _REMINDERS.update().where(_REMINDERS.c.claim_token == token, _REMINDERS.c.status == "sending")
        .values(claimed_at=db_now(session)))
    held = session.scalar(select(Reminder.id).where(Reminder.id == row_id, Reminder.claim_token == token,
                                                    Reminder.status == "sending"))
    session.commit()
    return held is not None


def _release(session: Session, token: str) -> None:
    """Give back the rows still held under `token`, untouched (not attempted), for the next sweep."""
    session.connection().execute(
        _REMINDERS.update().where(_REMINDERS.c.claim_token == token, _REMINDERS.c.status == "sending")
        .values(status="pending", claim_token=None, claimed_at=None))
    session.commit()


def _probe(session: Session, now: datetime, mailer: Mailer, result: DispatchResult) -> bool:
    """Once per sweep, before claiming: if anything is due (or waiting out a backoff), check that the relay
    answers. If it does, reset every backoff so those reminders go now; if not, log it and send nothing."""
    probe = getattr(mailer, "probe", None)
    if probe is None:  # the outbox folder: nothing to probe
        return True
    waiting = session.scalar(select(Reminder.id).where(UNSENT, Reminder.send_at <= now).limit(1))
    session.commit()
    if waiting is None:
        return True
    try:
        probe()
    except MailError as exc:
        result.relay_error = str(exc)
        log.error("reminders: the mail relay did not answer; nothing sent this sweep, retrying next sweep: %s", exc)
        # Shown on the admin page (failing, with the reason); no backoff: the next sweep's probe decides.
        session.connection().execute(
            _REMINDERS.update().where(UNSENT, _REMINDERS.c.status == "pending", _REMINDERS.c.send_at <= now,
                                      or_(_REMINDERS.c.next_attempt_at.is_(None), _REMINDERS.c.next_attempt_at <= now))
            .values(attempts=_REMINDERS.c.attempts + 1, last_error=str(exc)[:2000], next_attempt_at=None))
        session.commit()
        return False
    session.connection().execute(
        _REMINDERS.update().where(UNSENT, _REMINDERS.c.status == "pending", _REMINDERS.c.next_attempt_at > now)
        .values(next_attempt_at=None))
    session.commit()
    return True


def _message_domain(sender: str) -> str:
    addr = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    return addr.split("@", 1)[1] if "@" in addr else "foia-tracker.local"


def dispatch_due(session: Session, *, now: datetime, mailer: Mailer,
                 settings: DispatchSettings | None = None) -> int:
    """Send every reminder that is due at `now`. Returns how many were sent (see `dispatch` for the rest)."""
    return dispatch(session, now=now, mailer=mailer, settings=settings).sent


def dispatch(session: Session, *, now: datetime, mailer: Mailer, settings: DispatchSettings | None = None,
             admins_mailer: Mailer | None = None) -> DispatchResult:
    """One sweep: send every reminder due at `now`; report what was sent, refused, retried and late.
    Reminders refused for good are mailed to the administrators once (through `admins_mailer`, default
    `mailer`)."""
    settings = settings or DispatchSettings()
    result = DispatchResult()
    replan_stale(session, now=now, limit=settings.replan_batch)
    session.commit()
    ensure_digests(session, now)
    session.commit()
    _supersede(session, now)
    if not _probe(session, now, mailer, result):
        return result
    domain = _message_domain(settings.sender)
    calendars: dict[tuple[str, int | None], Calendar] = {}  # one closures lookup per calendar and agency
    while not result.relay_error:
        renewed = time.monotonic()  # taken before the claim: the lease runs from no earlier than this
        token = _claim(session, now, settings)
        if token is None:
            break
        rows = _load_claimed(session, token)
        session.commit()  # end the read: every write below starts its own transaction (SQLite upgrades safely)
        if not rows:
            break
        for row in rows:
            # Renew (on the database's clock) once a quarter of the lease has passed on ours: a claim being
            # worked through never lapses, and a fast relay costs no extra write per reminder. Only the
            # elapsed time is measured here, never compared with another process's clock.
            if time.monotonic() - renewed > settings.lease_seconds / 4:
                renewed = time.monotonic()
                held = _renew(session, token, row.id)
            else:
                held = True
            if not held:
                result.lost_claims += 1
                log.warning("reminders: claim on reminder %s was taken over by another process; not sending it",
                            row.id)
                continue
            _send_one(session, row, now=now, mailer=mailer, settings=settings, domain=domain,
                      calendars=calendars, token=token, result=result)
            if result.relay_error:
                break
        _release(session, token)
    if result.failed_ids:
        _tell_admins(session, result.failed_ids, now=now, mailer=admins_mailer or mailer, settings=settings,
                     domain=domain)
    return result


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


def _mark(session: Session, row_id: int, token: str | None = None, **values: Any) -> bool:
    """Record one row's outcome and commit at once, so a crash can re-send at most the row in flight.
    With `token`, only while that claim is still ours (False if another process took the row over).
    A plain table UPDATE: no ORM objects are loaded, so nothing is expired and reloaded."""
    stmt = _REMINDERS.update().where(_REMINDERS.c.id == row_id)
    if token is not None:
        stmt = stmt.where(_REMINDERS.c.claim_token == token)
    done = cast(CursorResult[Any], session.connection().execute(stmt.values(**values))).rowcount
    session.commit()
    if token is not None and not done:
        log.warning("reminders: reminder %s was taken over by another process before it was marked %s",
                    row_id, values.get("status"))
    return bool(done)


def _late_note(content: Content, row: DueReminder, now: datetime) -> Content:
    """Say so when a reminder goes out well after its time (an outage, a scheduler that was down)."""
    if row.send_at is None or now - row.send_at < LATE_AFTER:
        return content
    tz = ZoneInfo(row.user_timezone or default_timezone())
    when = row.send_at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
    note = (f"This reminder is late: it was due to go out at {when} but could not be sent until now. "
            "The dates below are current.")
    return dataclasses.replace(content, subject=f"(Late) {content.subject}", text=f"{note}\n\n{content.text}",
                               html=f"<p><strong>{html.escape(note)}</strong></p>\n{content.html}")


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
              domain: str, calendars: dict[tuple[str, int | None], Calendar] | None = None,
              token: str | None = None, result: DispatchResult | None = None) -> int:
    result = result if result is not None else DispatchResult()
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
    # No transaction stays open across the send (PostgreSQL: no idle-in-transaction; SQLite: each write
    # starts its own transaction rather than upgrading a read one, which can fail at once under WAL).
    session.commit()
    if content is None:  # e.g. the clock moved or closed since the row was planned: record why, send nothing
        if _mark(session, row.id, token, status="skipped", last_error=why_not, claim_token=None):
            result.skipped += 1
        return 0
    late = row.send_at is not None and now - row.send_at >= LATE_AFTER
    content = _late_note(content, row, now)
    message_id = make_message_id(reminder_key(row), domain)
    msg = build_message(sender=settings.sender, to=[row.user_email], subject=content.subject, text=content.text,
                        html=content.html, message_id=message_id, date=now,
                        headers={"X-FOIA-Tracker-Reminder": str(row.id)})
    try:
        mailer.send(msg)
    except MailError as exc:
        attempts = row.attempts + 1
        error = str(exc)[:2000]
        if exc.unreachable:  # the relay, not this message: stop the sweep, no backoff (the next probe decides)
            result.relay_error = error
            log.error("reminders: the mail relay is not reachable; stopping this sweep: %s", exc)
            _mark(session, row.id, token, status="pending", claim_token=None, claimed_at=None, attempts=attempts,
                  last_error=error, next_attempt_at=None)
        elif exc.permanent:
            result.failed += 1
            result.failed_ids.append(row.id)
            log.error("reminders: reminder %s to %s refused permanently; marked failed: %s", row.id,
                      row.user_email, exc)
            _mark(session, row.id, token, status="failed", claim_token=None, attempts=attempts, last_error=error,
                  next_attempt_at=None)
        else:
            result.retrying += 1
            retry_at = now + timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])
            log.warning("reminders: reminder %s to %s not sent (attempt %d), retrying after %s: %s", row.id,
                        row.user_email, attempts, retry_at.isoformat(timespec="minutes"), exc)
            _mark(session, row.id, token, status="pending", claim_token=None, claimed_at=None, attempts=attempts,
                  last_error=error, next_attempt_at=retry_at)
        return 0
    if not _mark(session, row.id, token, status="sent", sent_at=now, message_id=message_id, claim_token=None,
                 attempts=row.attempts + 1, last_error=""):
        result.lost_claims += 1
        return 0
    result.sent += 1
    if late:
        result.late += 1
        log.warning("reminders: reminder %s sent late (planned for %s)", row.id, row.send_at)
    if row.rule in ("overdue_1", "overdue_weekly") and row.request_id is not None:
        req = session.get(Request, row.request_id)
        if req is not None:
            plan(session, req, now=now)  # line up the next weekly reminder
            session.commit()
    return 1


def _tell_admins(session: Session, failed_ids: list[int], *, now: datetime, mailer: Mailer,
                 settings: DispatchSettings, domain: str) -> None:
    """One email to every active administrator listing the reminders this sweep marked failed. Each row is
    marked failed once, so each failure is mailed once; if this email cannot be sent it is logged, not retried
    (the rows stay on the admin Reminders page)."""
    admins = list(session.scalars(select(User.email).where(User.role == "admin", User.active.is_(True))))
    if not admins:
        return
    rows = session.execute(
        select(Reminder.id, Reminder.clock_kind, Reminder.due, Reminder.last_error, Request.ref, User.email)
        .join(User, User.id == Reminder.user_id).outerjoin(Request, Request.id == Reminder.request_id)
        .where(Reminder.id.in_(failed_ids)).order_by(Reminder.id)).all()
    lines = [f"- {ref or 'digest'} {kind} due {due.isoformat()} to {email}: {err}"
             for _id, kind, due, err, ref, email in rows]
    body = (f"{len(rows)} reminder(s) were refused permanently by the mail relay and will not be retried:\n\n"
            + "\n".join(lines) + f"\n\nSee {settings.base_url.rstrip('/')}/admin/reminders\n")
    msg = build_message(sender=settings.sender, to=admins, subject=f"FOIA Tracker: {len(rows)} reminder(s) failed",
                        text=body, html=f"<pre>{html.escape(body)}</pre>", message_id=make_message_id(f"reminder-failures-{'-'.join(map(str, failed_ids))}",
                                                              domain), date=now)
    try:
        mailer.send(msg)
    except MailError as exc:
        log.error("reminders: could not mail administrators about %d failed reminder(s): %s", len(rows), exc)


def failed_reminders(session: Session, limit: int = 500) -> list[Reminder]:
    """Rows refused for good (5xx), newest first (for the admin page)."""
    return list(session.scalars(select(Reminder).where(Reminder.status == "failed")
                                .order_by(Reminder.send_at.desc(), Reminder.id.desc()).limit(limit)))


def unsent(session: Session, limit: int = 500) -> list[Reminder]:
    """Rows still to send, failing ones first (for the admin page and `reminders list`)."""
    return list(session.scalars(select(Reminder).where(UNSENT)
                                .order_by(Reminder.attempts.desc(), Reminder.send_at).limit(limit)))
