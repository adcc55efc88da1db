"""Passwords: the policy every new password meets, changing one, and the one-time links (password reset,
invitation) that let a person set one by email.

The policy (ASVS 2.1): at least 12 characters, at most 256, and not guessable: zxcvbn, offline, with the
person's email and name as words an attacker would try, must score at least 3 of 4. Stored with scrypt
(`User.set_password`).

One-time links carry a random token; only its SHA-256 is stored. A link works once, until it expires, and
issuing a new one for the same person and purpose ends the earlier ones.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn  # type: ignore[import-untyped]  # no type stubs published

from foia.accounts.sessions import end_user_sessions
from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.models import AccountToken, User, UserSession

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_SCORE = 3
#: zxcvbn scores at most this many characters (its own limit); a longer password is at least as strong.
_SCORED_CHARS = 72

#: The password hash of an account that has no password yet (invited): no scrypt hash can equal it, so
#: no password matches it (werkzeug's check answers False for a hash without a method and salt).
UNUSABLE_PREFIX = "!"

RESET_MINUTES = 60
INVITE_HOURS = 72


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password may not be used, in words a person can act on; None if it is fine."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters. A few uncommon words together are easy to remember."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    local = email.split("@")[0].lower()
    if len(local) >= 4 and local in password.lower():
        return "Do not use your email address in your password."
    inputs = [w for w in (email, email.split("@")[0], *name.split(), name, "foia", "foia tracker") if w]
    result = zxcvbn(password[:_SCORED_CHARS], user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result.get("feedback") or {}
    parts = ["This password is too easy to guess."]
    if feedback.get("warning"):
        parts.append(str(feedback["warning"]))
    parts.extend(str(s) for s in feedback.get("suggestions") or [])
    if len(parts) == 1:
        parts.append("Add another word or two. Uncommon words are better.")
    return " ".join(p if p.endswith(".") else p + "." for p in parts)


def check_new_password(password: str, confirm: str | None = None, *, email: str = "", name: str = "",
                       field: str = "password") -> None:
    """Raise ValidationError unless `password` meets the policy (and equals `confirm`, when given)."""
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise ValidationError({field: problem})
    if confirm is not None and confirm != password:
        raise ValidationError({"confirm": "The two passwords are not the same. Type the new password twice."})


def has_password(user: User) -> bool:
    return bool(user.password_hash) and not user.password_hash.startswith(UNUSABLE_PREFIX)


def unusable_password_hash() -> str:
    return UNUSABLE_PREFIX + secrets.token_hex(16)


def _store(session: Session, user: User, password: str, *, actor: User | None, now: datetime, how: str) -> None:
    user.set_password(password)
    user.password_changed_at = now
    audit(session, actor=actor, now=now, action="password", entity=user, after={"how": how})


def change_password(session: Session, *, actor: User, current: str, new: str, confirm: str, now: datetime,
                    keep: UserSession | None) -> int:
    """The signed-in person changes their own password. Every other session of theirs ends (all of them
    when `keep` is None). Returns how many sessions were ended."""
    if not actor.check_password(current or ""):
        raise ValidationError({"current": "That is not your current password."})
    check_new_password(new, confirm, email=actor.email, name=actor.name, field="new")
    if actor.check_password(new):
        raise ValidationError({"new": "Choose a password different from your current one."})
    _store(session, actor, new, actor=actor, now=now, how="changed")
    return end_user_sessions(session, user_id=actor.id, now=now, reason="password changed", keep=keep)


# ------------------------------------------------------------------ one-time links


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, *, user: User, purpose: str, now: datetime, lifetime: timedelta,
                actor: User | None) -> str:
    """A new one-time link token for `user`; earlier unused links of the same purpose stop working.
    Returns the token (only its hash is stored)."""
    session.execute(update(AccountToken)
                    .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose,
                           AccountToken.used_at.is_(None), AccountToken.expires_at > now)
                    .values(expires_at=now))
    token = secrets.token_urlsafe(32)
    session.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=hash_token(token), created_at=now,
                             expires_at=now + lifetime, created_by_id=actor.id if actor is not None else None))
    return token


@dataclass(frozen=True)
class TokenCheck:
    """What a link's token is worth now: `state` is "ok", "unknown", "used", "expired" or "inactive"."""

    state: str
    row: AccountToken | None = None
    user: User | None = None


def check_token(session: Session, token: str, *, purpose: str, now: datetime) -> TokenCheck:
    if not token or len(token) > 200:
        return TokenCheck("unknown")
    row = session.scalar(select(AccountToken).where(AccountToken.token_hash == hash_token(token),
                                                    AccountToken.purpose == purpose))
    if row is None:
        return TokenCheck("unknown")
    user = session.get(User, row.user_id)
    if user is None:
        return TokenCheck("unknown")
    if row.used_at is not None:
        return TokenCheck("used", row, user)
    if row.expires_at <= now:
        return TokenCheck("expired", row, user)
    if not user.active:
        return TokenCheck("inactive", row, user)
    return TokenCheck("ok", row, user)


def set_password_with_token(session: Session, token: str, *, purpose: str, password: str, confirm: str,
                            now: datetime) -> User:
    """Use a reset or invitation link: set the person's password, end the link and every session they
    have. Raises ValidationError (field "token" when the link itself no longer works)."""
    found = check_token(session, token, purpose=purpose, now=now)
    if found.state != "ok" or found.row is None or found.user is None:
        raise ValidationError({"token": found.state})
    user = found.user
    check_new_password(password, confirm, email=user.email, name=user.name)
    found.row.used_at = now
    _store(session, user, password, actor=user, now=now, how="invitation" if purpose == "invite" else "reset")
    end_user_sessions(session, user_id=user.id, now=now, reason="password reset")
    return user


def request_reset(session: Session, email: str, *, now: datetime, lifetime: timedelta) -> tuple[User, str] | None:
    """Someone asked for a reset link for `email`: the user and a new token when the address is an
    active account's, else None. The caller answers the same either way."""
    user = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None or not user.active:
        return None
    token = issue_token(session, user=user, purpose="reset", now=now, lifetime=lifetime, actor=None)
    audit(session, actor=None, now=now, action="password_reset_requested", entity=user)
    return user, token
