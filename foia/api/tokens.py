"""Personal API tokens: `ftk_` + 256 random bits, shown once; only the SHA-256 is stored, with a short prefix so a
person can tell tokens apart. A token acts as its user, with the user's access, until it is revoked or the user is
deactivated. Creating and revoking are audited; using one records `last_used_at` (at most once a minute)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.models import User
from foia.models.exchange import ApiToken

TOKEN_PREFIX = "ftk_"
#: Characters of the token kept in clear ("ftk_" and 6 more), enough to tell a person's tokens apart.
SHOWN_CHARS = 10
#: last_used_at is written at most this often (an API call must not always cost a write).
TOUCH_EVERY = timedelta(minutes=1)
MAX_NAME = 100


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewToken:
    row: ApiToken
    token: str  # the secret itself: shown once, never stored


def create_token(session: Session, *, actor: User | None, owner: User, name: str, now: datetime) -> NewToken:
    """A new token for `owner` (`actor` is who asked: the owner on Settings, None from the CLI)."""
    clean = " ".join((name or "").split())
    if not clean:
        raise ValidationError({"name": "Give the token a name, e.g. the script or tool that will use it."})
    if len(clean) > MAX_NAME:
        raise ValidationError({"name": f"Keep the name under {MAX_NAME} characters."})
    if not owner.active:
        raise ValidationError({"user": "This account is deactivated."})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=owner.id, name=clean, token_hash=hash_token(token), prefix=token[:SHOWN_CHARS],
                   created_at=now)
    session.add(row)
    session.flush()
    audit(session, actor=actor, now=now, action="api_token:create", entity=row,
          after={"user": owner.email, "name": clean, "prefix": row.prefix})
    return NewToken(row, token)


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, live first, newest first."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def revoke_token(session: Session, *, actor: User | None, token: ApiToken, now: datetime) -> bool:
    """Revoke a token (it stops working at once). False when it already was."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now
    session.flush()
    audit(session, actor=actor, now=now, action="api_token:revoke", entity=token,
          before={"revoked_at": None}, after={"name": token.name, "prefix": token.prefix,
                                              "revoked_at": now.isoformat()})
    return True


def authenticate(session: Session, raw: str | None, *, now: datetime) -> tuple[User, ApiToken] | None:
    """The user and token for a bearer token, or None (unknown, revoked, or the user is deactivated)."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    digest = hash_token(raw)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None or row.revoked_at is not None or not secrets.compare_digest(row.token_hash, digest):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
    return user, row
