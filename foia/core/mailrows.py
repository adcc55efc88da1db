"""Emails kept as rows until the scheduler sends them (mentions in notes, assignment notices): how a pass claims a
batch of them and when a failed one is tried again. One mechanism for every such table, whose rows carry `status`
("pending", "sending", then "sent", "failed" or "dropped"), `attempts`, `next_attempt_at`, `claim_token` and
`claimed_until`.

A claim is a conditional UPDATE committed at once: two schedulers never claim the same row, and a row whose
claimant died ("sending" past its lease) is claimed again, so it is sent at most twice, both times with the same
Message-ID (made from the row), which mail clients treat as one message."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session

__all__ = ["LEASE", "MAX_ATTEMPTS", "claim_rows", "retry_at"]

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
