"""Two-factor sign-in with TOTP (RFC 6238, the codes of authenticator apps) and one-time recovery codes.

The secret is kept only once enrolment is confirmed with a code; recovery codes are shown once and only
their SHA-256 is stored (they are random, 40 bits each, so a fast hash is enough)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy.orm import Session

from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.models import User

ISSUER = "FOIA Tracker"
RECOVERY_CODES = 10


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The otpauth:// URI as a QR code, an SVG data: URI made locally (no network)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4)


def _normal(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(_normal(code).encode()).hexdigest()


def verify_totp(secret: str, code: str, *, now: datetime) -> bool:
    code = _normal(code)
    if not (secret and code.isdigit() and len(code) == 6):
        return False
    return bool(pyotp.TOTP(secret).verify(code, for_time=now, valid_window=1))


def enable(session: Session, *, actor: User, secret: str, code: str, now: datetime) -> list[str]:
    """Confirm enrolment with a code from the app; returns the recovery codes (to show once)."""
    if actor.totp_enabled_at is not None:
        raise ValidationError({"code": "Two-factor sign-in is already on."})
    if not verify_totp(secret, code, now=now):
        raise ValidationError({"code": "That code is not right. Enter the 6-digit code your app shows now."})
    codes = [f"{secrets.token_hex(5)[:5]}-{secrets.token_hex(5)[:5]}" for _ in range(RECOVERY_CODES)]
    actor.totp_secret, actor.totp_enabled_at = secret, now
    actor.recovery_code_hashes = [_hash(c) for c in codes]
    audit(session, actor=actor, now=now, action="two_factor_enabled", entity=actor,
          after={"recovery_codes": RECOVERY_CODES})
    return codes


def disable(session: Session, *, actor: User, code: str, now: datetime) -> None:
    if actor.totp_enabled_at is None or not actor.totp_secret:
        raise ValidationError({"code": "Two-factor sign-in is not on."})
    if not verify_totp(actor.totp_secret, code, now=now):
        raise ValidationError({"code": "That code is not right. Enter the 6-digit code your app shows now."})
    actor.totp_secret, actor.totp_enabled_at, actor.recovery_code_hashes = None, None, []
    audit(session, actor=actor, now=now, action="two_factor_disabled", entity=actor)


def check_second_factor(session: Session, user: User, code: str, *, now: datetime) -> bool:
    """A current TOTP code, or an unused recovery code (which is used up, audited)."""
    if not user.totp_secret:
        return False
    if verify_totp(user.totp_secret, code, now=now):
        return True
    digest = _hash(code)
    hashes = list(user.recovery_code_hashes or [])
    if len(_normal(code)) == 10 and any(secrets.compare_digest(digest, h) for h in hashes):
        hashes.remove(digest)
        user.recovery_code_hashes = hashes
        audit(session, actor=user, now=now, action="recovery_code_used", entity=user,
              after={"recovery_codes_left": len(hashes)})
        return True
    return False
