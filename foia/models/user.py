from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from foia.core.clock import default_timezone
from foia.core.vocab import ROLES as ROLES  # defined in a leaf so that command options can offer them
from foia.extensions import Model
from foia.models.types import UTCDateTime

# scrypt (werkzeug's default KDF) with explicit, modern parameters.
PASSWORD_METHOD = "scrypt:32768:8:1"


class Organization(Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    users: Mapped[list[User]] = relationship(back_populates="organization")

    def __repr__(self) -> str:
        return f"<Organization {self.name!r}>"


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Reminder preferences: "immediate" mail or a daily "digest" at 7:00 in their time zone,
    # and the kinds of reminder switched off (see models.reminder.REMINDER_KINDS).
    reminder_mode: Mapped[str] = mapped_column(String(10), default="immediate", server_default="immediate")
    reminders_off: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    timezone: Mapped[str] = mapped_column(String(64), default=default_timezone,
                                          server_default="America/Los_Angeles")
    # Secret for the iCalendar feed URL; regenerated on request. Stored hashed would prevent showing
    # the URL again, so it is stored as is and never logged.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    # Sign-in safety: failed attempts since the last success, and when the account may try again.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Two-factor sign-in (TOTP): the shared secret once enrolment is confirmed, and the hashes of the
    # unused recovery codes.
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    recovery_code_hashes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    organization: Mapped[Organization] = relationship(back_populates="users", lazy="joined")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        return self.role in ("admin", "staff")

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class UserSession(Model):
    """One signed-in session, kept on the server so it can be ended: the cookie carries only a random id
    (its SHA-256 is stored). Signing out, a password change or deactivation ends sessions here; a
    session also ends after `FOIA_SESSION_IDLE_MINUTES` without use or `FOIA_SESSION_MAX_HOURS` after
    sign-in."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_reason: Mapped[str] = mapped_column(String(30), default="", server_default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="", server_default="")
    ip: Mapped[str] = mapped_column(String(64), default="", server_default="")


#: What an account token is for.
TOKEN_PURPOSES = ("invite", "reset")


class AccountToken(Model):
    """A one-time link sent by email: an invitation to set a first password (72 hours) or a password
    reset. Only the SHA-256 of the token is stored; using it once ends it."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
