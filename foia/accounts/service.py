"""Accounts: organizations, users, sign-in, reminder preferences and calendar tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.core.access import followed_clause
from foia.core.audit import audit
from foia.core.clock import valid_timezone
from foia.core.errors import ValidationError
from foia.models import REMINDER_KINDS, ROLES, Organization, Request, User
from foia.reminders.feeds import new_token
from foia.reminders.planner import plan


def get_or_create_organization(session: Session, name: str, *, now: datetime, actor: User | None = None,
                               **details: str) -> Organization:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"org": "Give the organization's name."})
    org = session.scalar(select(Organization).where(Organization.name == name))
    if org is None:
        org = Organization(name=name, created_at=now, **details)
        session.add(org)
        session.flush()
        audit(session, actor=actor, now=now, action="create", entity=org, after={"name": name, **details})
    return org


def create_user(session: Session, *, email: str, name: str, role: str, organization: Organization,
                password: str, now: datetime, actor: User | None = None) -> User:
    errors: dict[str, str] = {}
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        errors["email"] = "Enter a valid email address."
    elif session.scalar(select(User.id).where(User.email == email)) is not None:
        errors["email"] = "A user with this email address already exists."
    if role not in ROLES:
        errors["role"] = f"Role must be one of: {', '.join(ROLES)}."
    if len(password or "") < 8:
        errors["password"] = "The password must be at least 8 characters long."
    if errors:
        raise ValidationError(errors)
    user = User(email=email, name=(name or "").strip() or email.split("@")[0], role=role,
                organization=organization, created_at=now, active=True)
    user.set_password(password)
    session.add(user)
    session.flush()
    audit(session, actor=actor, now=now, action="create", entity=user,
          after={"email": email, "role": role, "organization": organization.name})
    return user


def update_preferences(session: Session, *, actor: User, now: datetime, mode: str, kinds_off: list[str],
                       timezone_name: str) -> None:

    errors: dict[str, str] = {}
    if mode not in ("immediate", "digest"):
        errors["mode"] = "Choose immediate emails or a daily digest."
    unknown = [k for k in kinds_off if k not in REMINDER_KINDS]
    if unknown:
        errors["kinds_off"] = "Choose reminder kinds from the list."
    if not valid_timezone(timezone_name):
        errors["timezone"] = "Choose a time zone from the list, e.g. America/Los_Angeles."
    if errors:
        raise ValidationError(errors)
    before = {"mode": actor.reminder_mode, "off": list(actor.reminders_off or []), "timezone": actor.timezone}
    actor.reminder_mode, actor.reminders_off, actor.timezone = mode, sorted(set(kinds_off)), timezone_name
    audit(session, actor=actor, now=now, action="preferences", entity=actor, before=before,
          after={"mode": mode, "off": sorted(set(kinds_off)), "timezone": timezone_name})
    # Their pending reminders follow the new preferences.
    for req in session.scalars(select(Request).where(followed_clause(actor))):
        plan(session, req, now=now)


def regenerate_calendar_token(session: Session, *, actor: User, now: datetime) -> str:

    actor.calendar_token = new_token()
    audit(session, actor=actor, now=now, action="calendar_token", entity=actor, after={"regenerated": True})
    return actor.calendar_token
