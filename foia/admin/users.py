"""User and organization management by administrators: invite, change role and organization, deactivate
and reactivate; create and rename organizations. Every change is audited. The app always keeps at least
one active administrator."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from foia.accounts.passwords import has_password, issue_token, unusable_password_hash
from foia.accounts.sessions import end_user_sessions
from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.models import ROLES, AccountToken, Organization, User


def user_status(user: User) -> str:
    """"deactivated", "invited" (no password set yet) or "active"."""
    if not user.active:
        return "deactivated"
    if not has_password(user):
        return "invited"
    return "active"


def _other_active_admins(session: Session, user: User) -> int:
    return int(session.scalar(select(func.count(User.id)).where(
        User.role == "admin", User.active.is_(True), User.id != user.id)) or 0)


def _check_email(session: Session, email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@") or any(
            c.isspace() for c in email):
        raise ValidationError({"email": "Enter a valid email address, e.g. name@city.example."})
    return email


def invite_user(session: Session, *, actor: User, email: str, name: str, role: str, organization: Organization | None,
                now: datetime, lifetime: timedelta) -> tuple[User, str]:
    """A new account with no usable password, and the token of its one-time invitation link."""
    errors: dict[str, str] = {}
    try:
        email = _check_email(session, email)
    except ValidationError as exc:
        errors.update(exc.errors)
    else:
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            errors["email"] = "There is already an account with this email address (see the list below)."
    if role not in ROLES:
        errors["role"] = "Choose a role: admin, staff or reporter."
    if organization is None:
        errors["organization"] = "Choose the person's organization."
    name = (name or "").strip()
    if len(name) > 200:
        errors["name"] = "Use at most 200 characters for the name."
    if errors:
        raise ValidationError(errors)
    assert organization is not None
    user = User(email=email, name=name or email.split("@")[0], role=role, organization=organization,
                password_hash=unusable_password_hash(), created_at=now, active=True)
    session.add(user)
    session.flush()
    audit(session, actor=actor, now=now, action="invite", entity=user,
          after={"email": email, "role": role, "organization": organization.name})
    token = issue_token(session, user=user, purpose="invite", now=now, lifetime=lifetime, actor=actor)
    return user, token


def reinvite_user(session: Session, *, actor: User, user: User, now: datetime, lifetime: timedelta) -> str:
    """A new invitation link for someone who has not set a password yet; the old link stops working."""
    if user_status(user) != "invited":
        raise ValidationError({"user": "Only people who have not set a password yet can be invited again."})
    token = issue_token(session, user=user, purpose="invite", now=now, lifetime=lifetime, actor=actor)
    audit(session, actor=actor, now=now, action="reinvite", entity=user)
    return token


def update_user(session: Session, *, actor: User, user: User, role: str, organization: Organization | None,
                now: datetime) -> bool:
    """Change a person's role and organization; returns whether anything changed."""
    if role not in ROLES:
        raise ValidationError({"role": "Choose a role: admin, staff or reporter."})
    if organization is None:
        raise ValidationError({"organization": "Choose an organization from the list."})
    if user.role == "admin" and role != "admin" and user.active and _other_active_admins(session, user) == 0:
        raise ValidationError({"role": "This is the last active administrator. Make someone else an "
                                       "administrator first."})
    before = {"role": user.role, "organization": user.organization.name}
    after = {"role": role, "organization": organization.name}
    if before == after:
        return False
    user.role, user.organization = role, organization
    audit(session, actor=actor, now=now, action="update", entity=user, before=before, after=after)
    return True


def deactivate_user(session: Session, *, actor: User, user: User, now: datetime) -> int:
    """Deactivate an account: it can no longer sign in, every session ends at once, and unused links
    stop working. Returns how many sessions were ended."""
    if not user.active:
        raise ValidationError({"user": "This account is already deactivated."})
    if user.role == "admin" and _other_active_admins(session, user) == 0:
        raise ValidationError({"user": "This is the last active administrator and cannot be deactivated."})
    user.active, user.deactivated_at = False, now
    ended = end_user_sessions(session, user_id=user.id, now=now, reason="deactivated")
    session.execute(update(AccountToken).where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None),
                                               AccountToken.expires_at > now).values(expires_at=now))
    audit(session, actor=actor, now=now, action="deactivate", entity=user, before={"active": True},
          after={"active": False, "sessions_ended": ended})
    return ended


def reactivate_user(session: Session, *, actor: User, user: User, now: datetime) -> None:
    if user.active:
        raise ValidationError({"user": "This account is already active."})
    user.active, user.deactivated_at = True, None
    audit(session, actor=actor, now=now, action="reactivate", entity=user, before={"active": False},
          after={"active": True})


def _org_name(session: Session, name: str, *, exclude: Organization | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Give the organization's name."})
    if len(name) > 200:
        raise ValidationError({"name": "Use at most 200 characters."})
    clash = session.scalar(select(Organization).where(func.lower(Organization.name) == name.lower()))
    if clash is not None and clash is not exclude:
        raise ValidationError({"name": "There is already an organization with this name."})
    return name


def create_organization(session: Session, *, actor: User, name: str, now: datetime) -> Organization:
    org = Organization(name=_org_name(session, name), created_at=now)
    session.add(org)
    session.flush()
    audit(session, actor=actor, now=now, action="create", entity=org, after={"name": org.name})
    return org


def rename_organization(session: Session, *, actor: User, organization: Organization, name: str,
                        now: datetime) -> None:
    new = _org_name(session, name, exclude=organization)
    if new == organization.name:
        return
    before = {"name": organization.name}
    organization.name = new
    audit(session, actor=actor, now=now, action="rename", entity=organization, before=before, after={"name": new})
