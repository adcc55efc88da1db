"""Checking a sign-in attempt, with a per-account back-off kept in the database (so every worker sees it).

After `max_failures` consecutive failures (wrong password or wrong second-factor code) the account is
locked for 1 minute, then 2, 4, 8 ... up to 60 minutes for each further failure. While locked, even the
right password is refused. A completed sign-in resets the count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from foia.core.audit import audit
from foia.models import User

LOCK_MAX = timedelta(minutes=60)

_DUMMY_HASH = "scrypt:32768:8:1$dummysalt$" + "0" * 128


@dataclass(frozen=True)
class Attempt:
    """The outcome of a password check: `user` when the password was right and the account may sign in
    (the second factor may still be due); `locked_until` when the account is locked."""

    user: User | None = None
    locked_until: datetime | None = None


def lock_remaining(user: User, now: datetime) -> timedelta | None:
    if user.locked_until is not None and user.locked_until > now:
        return user.locked_until - now
    return None


def check_password(session: Session, email: str, password: str, *, now: datetime, max_failures: int) -> Attempt:
    """Check credentials. Spends the same KDF time whether or not the email exists or is locked."""
    user = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return Attempt()
    right = user.check_password(password or "")
    if lock_remaining(user, now) is not None:
        return Attempt(locked_until=user.locked_until)
    if not user.active:
        return Attempt()
    if not right:
        record_failure(session, user, now=now, max_failures=max_failures)
        return Attempt(locked_until=user.locked_until if lock_remaining(user, now) else None)
    return Attempt(user=user)


def record_failure(session: Session, user: User, *, now: datetime, max_failures: int) -> None:
    """One more failed attempt; at `max_failures` and beyond, lock for 1, 2, 4 ... 60 minutes (audited)."""
    user.failed_logins = (user.failed_logins or 0) + 1
    over = user.failed_logins - max(1, max_failures)
    if over >= 0:
        duration = min(timedelta(minutes=2 ** min(over, 6)), LOCK_MAX)
        user.locked_until = now + duration
        audit(session, actor=None, now=now, action="sign_in_locked", entity=user,
              after={"failed_logins": user.failed_logins, "locked_until": user.locked_until.isoformat()})


def record_success(session: Session, user: User, *, now: datetime) -> None:
    """A completed sign-in: the failure count starts again."""
    if user.failed_logins or user.locked_until is not None:
        audit(session, actor=user, now=now, action="sign_in_unlocked", entity=user,
              before={"failed_logins": user.failed_logins}, after={"failed_logins": 0})
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
