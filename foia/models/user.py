from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from foia.core.clock import default_timezone
from foia.extensions import Model
from foia.models.types import UTCDateTime

ROLES = ("admin", "staff", "reporter")

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
