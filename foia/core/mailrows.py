"""Emails kept as rows until the scheduler sends them (mentions in notes, assignment notices): how a pass claims a
batch of them, sends each and records its outcome, and when a failed one is tried again. One mechanism for every such
table, whose rows carry `status` ("pending", "sending", then "sent", "failed" or "dropped"), `attempts`,
`next_attempt_at`, `claim_token`, `claimed_until`, `sent_at`, `message_id` and `last_error`.

A claim is a conditional UPDATE committed at once: two schedulers never claim the same row, and a row whose
claimant died ("sending" past its lease) is claimed again, so it is sent at most twice, both times with the same
Message-ID (made from the row), which mail clients treat as one message."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session

__all__ = ["LEASE", "MAX_ATTEMPTS", "RowsPass", "claim_rows", "retry_at", "send_rows", "unsent_trouble"]

log = logging.getLogger("foia.mailrows")

#: How long a pass may keep a claimed row before another scheduler may take it.
LEASE = timedelta(minutes=5)
#: Attempts before a row is marked failed (about 75 minutes of retries with `retry_at`'s delays).
MAX_ATTEMPTS = 5


def claim_rows(session: Session, model: Any, *, now: datetime, limit: int, lease: timedelta = LEASE) -> str | None:
    """Claim up to `limit` due rows of `model` (pending and due, or sending past their lease), oldest first, and
    commit the claim. Returns the claim token the claimed rows now carry, or None when none was claimed."""
    due = or_(and_(model.status == "pending", model.next_attempt_at <= now),
              and_(model.status == "sending", model.claimed_until < now))
    ids = list(session.scalars(select(model.id).where(due).order_by(model.id).limit(limit)))
    if not ids:
        return None
    token = secrets.token_hex(16)
    result = cast(CursorResult[Any], session.execute(
        update(model).where(model.id.in_(ids), due)
        .values(status="sending", claim_token=token, claimed_until=now + lease, attempts=model.attempts + 1)
        .execution_options(synchronize_session=False)))
    session.commit()
    return token if result.rowcount else None


def retry_at(now: datetime, attempts: int) -> datetime:
    """When a row that failed its `attempts`-th time is tried again: 5, 10, 20, 40 minutes later."""
    return now + timedelta(minutes=5 * 2 ** max(attempts - 1, 0))


@dataclass
class RowsPass:
    """What one pass did: sent, dropped (no longer to be sent), to retry, given up."""

    sent: int = 0
    dropped: int = 0
    retrying: int = 0
    failed: int = 0


def send_rows(session: Session, model: Any, *, now: datetime, limit: int, compose: Callable[[Any], EmailMessage | str],
              send: Callable[[EmailMessage], object], errors: tuple[type[Exception], ...],
              lease: timedelta = LEASE) -> RowsPass:
    """Claim the due rows of `model` (`claim_rows`) and send each once, committing each row's outcome.

    `compose(row)` gives the row's message (its Message-ID made from the row), or a string saying why the row is no
    longer to be sent (dropped, with that reason). `send(msg)` delivers it and raises one of `errors` when the mail
    server could not take it: the row is tried again later (`retry_at`) until MAX_ATTEMPTS, then marked failed."""
    result = RowsPass()
    token = claim_rows(session, model, now=now, limit=limit, lease=lease)
    if token is None:
        return result
    rows = list(session.scalars(select(model).where(model.claim_token == token, model.status == "sending")
                                .order_by(model.id)))
    for row in rows:
        mine = and_(model.id == row.id, model.claim_token == token)
        msg = compose(row)
        if isinstance(msg, str):
            session.execute(update(model).where(mine).values(status="dropped", claim_token=None, last_error=msg))
            session.commit()
            result.dropped += 1
            continue
        try:
            send(msg)
        except errors as exc:
            last = row.attempts >= MAX_ATTEMPTS
            session.execute(update(model).where(mine).values(
                status="failed" if last else "pending", claim_token=None, last_error=str(exc)[:2000],
                next_attempt_at=retry_at(now, row.attempts)))
            session.commit()
            log.warning("%s %d to %s not sent (attempt %d): %s", model.__tablename__, row.id, msg["To"], row.attempts,
                        exc)
            if last:
                result.failed += 1
            else:
                result.retrying += 1
            continue
        session.execute(update(model).where(mine).values(status="sent", claim_token=None, sent_at=now,
                                                          message_id=msg["Message-ID"], last_error=""))
        session.commit()
        result.sent += 1
    return result


def unsent_trouble(model: Any) -> ColumnElement[bool]:
    """The rows of `model` that did not go out: given up, or still to be sent after a failed attempt."""
    return or_(model.status == "failed", and_(model.status.in_(("pending", "sending")), model.attempts > 0))
