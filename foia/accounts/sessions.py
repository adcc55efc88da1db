"""Server-side sessions: the cookie carries a random session id; the database decides whether it still
counts. Ending a session here (sign-out, password change, deactivation, timeouts) ends it everywhere,
whatever copies of the cookie exist."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from foia.models import User, UserSession

#: last_seen_at is written at most this often (a page view must not always cost a write).
TOUCH_EVERY = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(session: Session, *, user: User, now: datetime, user_agent: str = "", ip: str = "") -> str:
    """A new session for `user`; returns the token to put in the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=hash_token(token), created_at=now, last_seen_at=now,
                            user_agent=(user_agent or "")[:300], ip=(ip or "")[:64]))
    return token


def current(session: Session, *, token: str | None, now: datetime, idle: timedelta,
            lifetime: timedelta) -> UserSession | None:
    """The live session for this cookie token, or None (unknown, ended, idle too long, or too old; an
    expired one is ended now). Touches last_seen_at (at most once a minute)."""
    if not token:
        return None
    row = session.query(UserSession).filter_by(token_hash=hash_token(token)).one_or_none()
    if row is None or row.ended_at is not None:
        return None
    if now - row.last_seen_at > idle:
        end(row, now=now, reason="idle")
        return None
    if now - row.created_at > lifetime:
        end(row, now=now, reason="expired")
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row


def end(row: UserSession, *, now: datetime, reason: str) -> None:
    if row.ended_at is None:
        row.ended_at, row.ended_reason = now, reason[:30]


def end_user_sessions(session: Session, *, user_id: int, now: datetime, reason: str,
                      keep: UserSession | None = None) -> int:
    """End every live session of a user (all but `keep`): after a password change, a deactivation, a
    reset. Returns how many were ended."""
    stmt = (update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
            .values(ended_at=now, ended_reason=reason[:30]))
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    return int(cast(CursorResult[Any], session.execute(stmt)).rowcount or 0)
