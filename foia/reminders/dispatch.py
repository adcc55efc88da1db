"""Sending due reminders: claim rows atomically, compose, send, mark; retries with backoff.

Claims (review F1, F2). Rows are claimed a few at a time (``claim_batch``) under a fresh token, and the
lease of every row still held is renewed before each send, so a slow relay never lets a claim lapse while
it is being worked through. Leases are written and compared with the DATABASE's clock (``statement_timestamp()``
on PostgreSQL, ``strftime('now')`` on SQLite), never a process's: a dispatcher whose clock is hours ahead, or a
``reminders dispatch --now`` catch-up, decides only what is *due*; it cannot see another process's claim as
expired. A row is marked only with the token that claimed it (an UPDATE ... WHERE claim_token = :mine).
On PostgreSQL candidates are locked with FOR UPDATE SKIP LOCKED; on SQLite the claim is one conditional
UPDATE that re-checks every condition, which is atomic whether or not the driver emits BEGIN.

Speed (issue 18). A sweep sends over ONE SMTP connection (``SMTPMailer.connection``, which reconnects when the
server drops it), renders each message straight to bytes (``render_message``), and records a claimed batch's
outcomes in one UPDATE and one COMMIT (``_mark_batch``) instead of one per row. The price is bounded: a crash
between sending and that commit re-sends at most the batch in flight (``FOIA_REMINDER_CLAIM_BATCH``, default
50), each message with the same Message-ID as the first time (derived from the row), so receivers can
de-duplicate; those rows stay claimed until the lease lapses, then a later sweep sends them.

Recovery (F7, F8). The relay is probed once per sweep before anything is claimed: if it does not answer
(refused, or silent past the short timeouts), nothing is sent, the failure is logged and the sweep reports
it; when it answers, backoff is reset so reminders waiting out a retry go at once. A relay that cannot be
reached mid-sweep stops the sweep without counting against the reminders. A permanent refusal (5xx) marks
the reminder failed (shown on the admin Reminders page, and mailed to administrators once); a reminder sent
well after its time says it is late.
"""

from __future__ import annotations

import dataclasses
import email.policy
import html
import logging
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, CursorResult, and_, case, literal, literal_column, or_, select, text, update
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
from foia.mail.outgoing import OutgoingMail, render_message
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
    # Rows per claim, and so the most a crash can re-send: a claimed batch is sent, then marked in one UPDATE
    # and one COMMIT (FOIA_REMINDER_CLAIM_BATCH). Every held row's lease is renewed while it is worked through.
    batch: int = 50
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
                            batch=int(config.get("FOIA_REMINDER_CLAIM_BATCH") or 50))


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


def _probe(session: Session, now: datetime, out: Any, result: DispatchResult) -> bool:
    """Once per sweep, before claiming: if anything is due (or waiting out a backoff), check that the relay
    answers (opening the sweep's connection). If it does, reset every backoff so those reminders go now; if
    not, log it and send nothing."""
    probe = getattr(out, "probe", None)
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
    with _sender(mailer) as out:  # one SMTP connection for the whole sweep
        if not _probe(session, now, out, result):
            return result
        while not result.relay_error:
            renewed = time.monotonic()  # taken before the claim: the lease runs from no earlier than this
            token = _claim(session, now, settings)
            if token is None:
                break
            rows = _load_claimed(session, token)
            if not rows:
                session.commit()
                break
            prepared = _prepare(session, rows, now=now, settings=settings, domain=domain, calendars=calendars)
            # No transaction stays open across the sends (PostgreSQL: no idle-in-transaction; SQLite: the
            # marks start their own transaction rather than upgrading a read one, which can fail under WAL).
            session.commit()
            renewed = _send_batch(session, prepared, token=token, now=now, out=out, settings=settings,
                                  result=result, renewed=renewed)
    if result.failed_ids:
        _tell_admins(session, result.failed_ids, now=now, mailer=admins_mailer or mailer, settings=settings,
                     domain=domain)
    return result


class _OneAtATime:
    """A mailer without a kept-open connection (the .eml outbox folder) behind the sweep's interface."""

    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer

    def __enter__(self) -> _OneAtATime:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def send(self, mail: OutgoingMail) -> None:
        send_raw = getattr(self.mailer, "send_raw", None)
        if send_raw is not None:
            send_raw(mail.data, mail_from=mail.mail_from, rcpt_to=mail.rcpt_to)
        else:  # any other Mailer: hand it the parsed message
            self.mailer.send(message_from_bytes(mail.data, policy=email.policy.default))


def _sender(mailer: Mailer) -> Any:
    """What the sweep sends through: one SMTP connection for the whole sweep (``SMTPMailer.connection``:
    reconnects when the server drops it), or the mailer itself one message at a time."""
    connection = getattr(mailer, "connection", None)
    return connection() if callable(connection) else _OneAtATime(mailer)


@dataclass
class _Prepared:
    """One claimed row, ready to go: its rendered message, or why it must not be sent."""

    row: DueReminder
    mail: OutgoingMail | None
    why_not: str = ""


def _prepare(session: Session, rows: list[DueReminder], *, now: datetime, settings: DispatchSettings, domain: str,
             calendars: dict[tuple[str, int | None], Calendar]) -> list[_Prepared]:
    """Compose and render every message of a claimed batch before any is sent (a template or address that
    raises does so before the first send, so nothing sent is left unmarked). Reads only."""

    def calendar_of(calendar_id: str, agency_id: int | None) -> Calendar:
        key = (calendar_id, agency_id)
        if key not in calendars:
            calendars[key] = agency_calendar(session, calendar_id, agency_id)
        return calendars[key]

    others = _same_deadline_rows(session, [r for r in rows if r.rule != "digest"])
    prepared = []
    for row in rows:
        if row.rule == "digest":
            content, why_not = compose_digest(session, row, now=now, base_url=settings.base_url)
        else:
            content, why_not = None, _once_a_day(row, others.get(_deadline(row), []), now=now)
            if not why_not:
                content, why_not = compose(row, now=now, base_url=settings.base_url, calendar_of=calendar_of)
        if content is None:  # e.g. the clock moved or closed since the row was planned: record why, send nothing
            prepared.append(_Prepared(row, None, why_not))
            continue
        content = _late_note(content, row, now)
        mail = render_message(sender=settings.sender, to=[row.user_email], subject=content.subject,
                              text=content.text, html=content.html,
                              message_id=make_message_id(reminder_key(row), domain), date=now,
                              headers={"X-FOIA-Tracker-Reminder": str(row.id)})
        prepared.append(_Prepared(row, mail))
    return prepared


def _send_batch(session: Session, prepared: list[_Prepared], *, token: str, now: datetime, out: Any,
                settings: DispatchSettings, result: DispatchResult, renewed: float) -> float:
    """Send a prepared batch over `out`, then record every outcome in ONE UPDATE and ONE COMMIT (`_mark_batch`)
    and give back the rows not attempted. A crash before that commit re-sends at most this batch (each
    message with the same Message-ID); its rows stay claimed until the lease lapses, as before."""
    marks: dict[int, dict[str, Any]] = {}
    sent_today: set[tuple[Any, ...]] = set()  # deadlines mailed in this batch (their rows are not marked yet)
    finished = False
    try:
        for item in prepared:
            row = item.row
            # Renew (on the database's clock) once a quarter of the lease has passed on ours: a claim being
            # worked through never lapses, and a fast relay costs no extra write per reminder. Only the
            # elapsed time is measured here, never compared with another process's clock.
            if time.monotonic() - renewed > settings.lease_seconds / 4:
                renewed = time.monotonic()
                if not _renew(session, token, row.id):
                    result.lost_claims += 1
                    log.warning("reminders: claim on reminder %s was taken over by another process; not sending it",
                                row.id)
                    continue
            if item.mail is None:
                marks[row.id] = dict(status="skipped", last_error=item.why_not)
                continue
            if row.rule != "digest" and _deadline(row) in sent_today:
                marks[row.id] = dict(status="skipped", last_error="A reminder for this deadline already went out today.")
                continue
            try:
                out.send(item.mail)
            except MailError as exc:
                marks[row.id] = _failure(row, exc, now=now, result=result)
                if result.relay_error:
                    break
                continue
            marks[row.id] = dict(status="sent", sent_at=now, message_id=item.mail.message_id,
                                 attempts=row.attempts + 1, last_error="")
            if row.rule != "digest":
                sent_today.add(_deadline(row))
        finished = True
    finally:
        # Even when something unexpected raised mid-batch, what was sent is recorded; the rows not attempted
        # are given back only after a normal pass (otherwise they wait for the lease, as after a crash).
        marked = _mark_batch(session, token, marks, release=finished)
    by_id = {item.row.id: item.row for item in prepared}
    for row_id, values in marks.items():
        row = by_id[row_id]
        if row_id not in marked:
            result.lost_claims += 1
            log.warning("reminders: reminder %s was taken over by another process before it was marked %s",
                        row_id, values["status"])
            continue
        status = values["status"]
        if status == "skipped":
            result.skipped += 1
        elif status == "failed":
            result.failed += 1
            result.failed_ids.append(row_id)
        elif status == "pending":
            if values.get("next_attempt_at") is not None:
                result.retrying += 1
        elif status == "sent":
            result.sent += 1
            if row.send_at is not None and now - row.send_at >= LATE_AFTER:
                result.late += 1
                log.warning("reminders: reminder %s sent late (planned for %s)", row_id, row.send_at)
            if row.rule in ("overdue_1", "overdue_weekly") and row.request_id is not None:
                req = session.get(Request, row.request_id)
                if req is not None:
                    plan(session, req, now=now)  # line up the next weekly reminder
                    session.commit()
    return renewed


def _failure(row: DueReminder, exc: MailError, *, now: datetime, result: DispatchResult) -> dict[str, Any]:
    """The mark for a send the relay refused or could not take (logged here; counted once marked)."""
    attempts = row.attempts + 1
    error = str(exc)[:2000]
    if exc.unreachable:  # the relay, not this message: stop the sweep, no backoff (the next probe decides)
        result.relay_error = error
        log.error("reminders: the mail relay is not reachable; stopping this sweep: %s", exc)
        return dict(status="pending", claimed_at=None, attempts=attempts, last_error=error, next_attempt_at=None)
    if exc.permanent:
        log.error("reminders: reminder %s to %s refused permanently; marked failed: %s", row.id, row.user_email, exc)
        return dict(status="failed", attempts=attempts, last_error=error, next_attempt_at=None)
    retry_at = now + timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])
    log.warning("reminders: reminder %s to %s not sent (attempt %d), retrying after %s: %s", row.id,
                row.user_email, attempts, retry_at.isoformat(timespec="minutes"), exc)
    return dict(status="pending", claimed_at=None, attempts=attempts, last_error=error, next_attempt_at=retry_at)


def _mark_batch(session: Session, token: str, marks: Mapping[int, Mapping[str, Any]], *, release: bool) -> set[int]:
    """Record a batch's outcomes: ONE UPDATE (a CASE per column that differs between rows), only on the rows
    still claimed under `token`, RETURNING the ids it marked; then (with `release`) give back the rows still
    held and not attempted; then ONE COMMIT. Returns the ids marked (a row missing was taken over)."""
    marked: set[int] = set()
    if marks:
        ids = list(marks)
        column_values: dict[str, Any] = {"claim_token": None}
        for name in sorted({name for values in marks.values() for name in values}):
            col = _REMINDERS.c[name]
            per_row = {row_id: values[name] for row_id, values in marks.items() if name in values}
            distinct = set(map(repr, per_row.values()))
            if len(per_row) == len(ids) and len(distinct) == 1:
                column_values[name] = next(iter(per_row.values()))
            else:
                column_values[name] = case(*[(_REMINDERS.c.id == row_id, literal(value, col.type))
                                             for row_id, value in per_row.items()], else_=col)
        stmt = (_REMINDERS.update().where(_REMINDERS.c.id.in_(ids), _REMINDERS.c.claim_token == token)
                .values(**column_values).returning(_REMINDERS.c.id))
        marked = set(session.connection().execute(stmt).scalars())
    if release:
        session.connection().execute(
            _REMINDERS.update().where(_REMINDERS.c.claim_token == token, _REMINDERS.c.status == "sending")
            .values(status="pending", claim_token=None, claimed_at=None))
    session.commit()
    return marked


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
    """Record one row's outcome and commit at once (the sweep itself marks a whole batch: `_mark_batch`).
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


def _deadline(row: DueReminder) -> tuple[Any, ...]:
    return (row.request_id, row.user_id, row.clock_kind, row.due)


# Deadlines per same-deadline query: 4 bound parameters each, well inside SQLite's limit.
_DEADLINES_PER_QUERY = 500


def _same_deadline_rows(session: Session, rows: list[DueReminder]) -> dict[tuple[Any, ...], list[tuple[Any, ...]]]:
    """For a batch, in one query (per 500 deadlines): the other live rows for each row's deadline (status, send_at, sent_at, id).

    Selects exactly the batch's deadlines, an OR of ``request_id = ? AND user_id = ? AND clock_kind = ? AND
    due = ?``: each term is an equality lookup on the leading columns of ``uq_reminders_identity`` (PostgreSQL:
    a BitmapOr; SQLite: a MULTI-INDEX OR), so a batch reads only its own deadlines' rows however many reminders
    each request has had (issue 18). A row-value ``IN (VALUES ...)`` would be simpler, but SQLite scans the
    table for it."""
    found: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    wanted = list({_deadline(r) for r in rows})
    for start in range(0, len(wanted), _DEADLINES_PER_QUERY):
        deadlines = or_(*[and_(Reminder.request_id == request_id, Reminder.user_id == user_id,
                               Reminder.clock_kind == kind, Reminder.due == due)
                          for request_id, user_id, kind, due in wanted[start:start + _DEADLINES_PER_QUERY]])
        for request_id, user_id, kind, due, status, send_at, sent_at, row_id in session.execute(
                select(Reminder.request_id, Reminder.user_id, Reminder.clock_kind, Reminder.due, Reminder.status,
                       Reminder.send_at, Reminder.sent_at, Reminder.id)
                .where(deadlines, Reminder.status.in_(("pending", "sending", "sent")))):
            found.setdefault((request_id, user_id, kind, due), []).append((status, send_at, sent_at, row_id))
    return found


def _once_a_day(row: DueReminder, same_deadline: list[tuple[Any, ...]], *, now: datetime) -> str:
    """Why this row must not go out (empty if it may): one deadline gets at most one reminder a day in
    the person's time zone. A late row (a scheduler that was down over its day) gives way to a row for
    the same deadline due later today, and nothing follows a reminder already sent today.
    `same_deadline`: the live rows for the row's deadline (`_same_deadline_rows`), this row included or not."""
    tz = ZoneInfo(row.user_timezone or default_timezone())
    today = now.astimezone(tz).date()
    others = [(status, send_at, sent_at) for status, send_at, sent_at, row_id in same_deadline if row_id != row.id]
    for status, _send_at, sent_at in others:
        if status == "sent" and sent_at is not None and sent_at.astimezone(tz).date() == today:
            return "A reminder for this deadline already went out today."
    row_day = row.send_at.astimezone(tz).date() if row.send_at is not None else today
    if row_day < today and any(status == "pending" and send_at > now and send_at.astimezone(tz).date() == today
                               for status, send_at, _ in others):
        return "Superseded by today's reminder for the same deadline."
    return ""


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
