"""Operations a person performs. Every function takes the session, the actor and `now`
explicitly and never reads Flask globals or the clock, so the web app, the CLI and tests
run them the same way. Every state change writes an audit row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from foia.core.audit import audit, snapshot
from foia.core.clock import local_today, valid_timezone
from foia.core.db import insert_with_retry
from foia.core.errors import ValidationError
from foia.clocks import recompute_open, refresh
from foia.reminders import plan, replan_moved
from foia.access import followed_clause
from foia.models import FEE_CATEGORIES, ROLES, VISIBILITIES, Agency, Event, Organization, Request, User, Watcher

REF_PREFIX = "FT"


# ---------------------------------------------------------------------------- organizations, users

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


def authenticate(session: Session, email: str, password: str, *, now: datetime) -> User | None:
    """The user for these credentials, or None. Spends the same KDF time whether or not
    the email exists, so response timing does not reveal which accounts exist."""
    user = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    user.last_login_at = now
    return user


_DUMMY_HASH = "scrypt:32768:8:1$dummysalt$" + "0" * 128


# ---------------------------------------------------------------------------- requests

REQUEST_FIELDS = (
    "title", "records_sought", "records_from", "records_to", "agency_id", "law", "status",
    "fee_category", "fee_ceiling", "fee_waiver", "fee_waiver_justification", "expedited",
    "expedited_justification", "preferred_format", "visibility", "tracking_number",
)


@dataclass
class RequestInput:
    title: str
    records_sought: str
    agency_slug: str
    law: str | None = None
    records_from: date | None = None
    records_to: date | None = None
    fee_category: str = "other"
    fee_ceiling: str | Decimal | None = None
    fee_waiver: bool = False
    fee_waiver_justification: str = ""
    expedited: bool = False
    expedited_justification: str = ""
    preferred_format: str = ""
    visibility: str = "private"


def validate_request_input(session: Session, data: RequestInput) -> tuple[Agency | None, Decimal | None, dict[str, str]]:
    errors: dict[str, str] = {}
    title = (data.title or "").strip()
    if not title:
        errors["title"] = "Give the request a short title."
    elif len(title) > 200:
        errors["title"] = "Keep the title under 200 characters."
    if len((data.records_sought or "").strip()) < 10:
        errors["records_sought"] = "Describe the records you are asking for (at least a sentence)."
    agency = session.scalar(select(Agency).where(Agency.slug == (data.agency_slug or "").strip()))
    if agency is None:
        errors["agency"] = "Choose an agency from the directory."
    from foia.deadlines import law_slugs

    law = data.law or (agency.law if agency else None)
    if law and law not in law_slugs():
        errors["law"] = "Choose a law from the list."
    if data.records_from and data.records_to and data.records_from > data.records_to:
        errors["records_to"] = "The end of the date range must be on or after its start."
    if data.fee_category not in FEE_CATEGORIES:
        errors["fee_category"] = "Choose a fee category from the list."
    if data.visibility not in VISIBILITIES:
        errors["visibility"] = "Choose who can see this request."
    if data.fee_waiver and not (data.fee_waiver_justification or "").strip():
        errors["fee_waiver_justification"] = "Explain why disclosure is in the public interest to ask for a fee waiver."
    if data.expedited and not (data.expedited_justification or "").strip():
        errors["expedited_justification"] = "Explain the compelling need to ask for expedited processing."
    ceiling: Decimal | None = None
    if data.fee_ceiling not in (None, ""):
        try:
            ceiling = Decimal(str(data.fee_ceiling).replace("$", "").replace(",", "").strip())
            if ceiling < 0 or ceiling >= Decimal("100000000"):
                raise InvalidOperation
            ceiling = ceiling.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            errors["fee_ceiling"] = "Enter the most you will pay in dollars, e.g. 250 or 250.00."
    if len(data.preferred_format or "") > 100:
        errors["preferred_format"] = "Keep the format under 100 characters."
    return agency, ceiling, errors


def next_reference(session: Session, year: int) -> tuple[int, str]:
    current = session.scalar(select(func.max(Request.ref_seq)).where(Request.ref_year == year)) or 0
    seq = current + 1
    return seq, f"{REF_PREFIX}-{year}-{seq:04d}"


def create_request(session: Session, *, actor: User, now: datetime, data: RequestInput,
                   timezone: str | None = None) -> Request:
    agency, ceiling, errors = validate_request_input(session, data)
    if errors:
        raise ValidationError(errors)
    assert agency is not None
    year = local_today(now, timezone).year

    def build() -> Request:  # a new number each attempt: another writer may take the same one
        seq, ref = next_reference(session, year)
        return Request(
            ref=ref, ref_year=year, ref_seq=seq,
            title=data.title.strip(), records_sought=data.records_sought.strip(),
            records_from=data.records_from, records_to=data.records_to,
            requester_id=actor.id, organization_id=actor.organization_id, agency_id=agency.id,
            law=data.law or agency.law, status="draft", fee_category=data.fee_category,
            fee_ceiling=ceiling, fee_waiver=bool(data.fee_waiver),
            fee_waiver_justification=(data.fee_waiver_justification or "").strip() if data.fee_waiver else "",
            expedited=bool(data.expedited),
            expedited_justification=(data.expedited_justification or "").strip() if data.expedited else "",
            preferred_format=(data.preferred_format or "").strip(), visibility=data.visibility,
            created_at=now, updated_at=now,
        )

    req = insert_with_retry(session, build, what="a request reference")
    session.add(Event(request_id=req.id, kind="created", occurred_on=local_today(now, timezone),
                      occurred_at=now, actor_id=actor.id, notes="", data={}, created_at=now))
    audit(session, actor=actor, now=now, action="create", entity=req, after=snapshot(req, REQUEST_FIELDS))
    from foia.search import index_request

    index_request(session, req)  # the request's own title and description are searchable
    return req


def log_event(session: Session, *, actor: User | None, now: datetime, req: Request, kind: str,
              occurred_on: date, occurred_at: datetime | None = None, notes: str = "",
              data: dict[str, Any] | None = None) -> Event:
    from foia.models import EVENT_KINDS

    if kind not in EVENT_KINDS:
        raise ValidationError({"kind": f"Unknown event kind {kind!r}."})
    event = Event(request_id=req.id, kind=kind, occurred_on=occurred_on, occurred_at=occurred_at,
                  actor_id=actor.id if actor else None, notes=notes or "", data=data or {}, created_at=now)
    session.add(event)
    session.flush()
    audit(session, actor=actor, now=now, action=f"event:{kind}", entity=req,
          after={"event_id": event.id, "kind": kind, "occurred_on": occurred_on.isoformat(), "notes": notes or ""})
    clocks = refresh(session, req, now=now)  # the ledger changed: recompute the cached clocks
    plan(session, req, now=now, clocks=clocks)  # and the reminders follow them
    return event


def update_request(session: Session, *, actor: User, now: datetime, req: Request, **changes: Any) -> Request:
    before = snapshot(req, REQUEST_FIELDS)
    for key, value in changes.items():
        if key not in REQUEST_FIELDS:
            raise ValidationError({key: "This field cannot be changed here."})
        setattr(req, key, value)
    if "visibility" in changes and req.visibility not in VISIBILITIES:
        raise ValidationError({"visibility": "Choose who can see this request."})
    req.updated_at = now
    if "status" in changes or "law" in changes or "expedited" in changes:
        plan(session, req, now=now, clocks=refresh(session, req, now=now))
    after = snapshot(req, REQUEST_FIELDS)
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if "title" in changed or "records_sought" in changed:
        from foia.search import index_request

        index_request(session, req)  # keep the request's own text searchable as it is now
    if changed:
        audit(session, actor=actor, now=now, action="update", entity=req,
              before={k: before[k] for k in changed}, after=changed)
    return req


# ---------------------------------------------------------------------------- watchers, preferences

def add_watcher(session: Session, *, actor: User, now: datetime, req: Request, user: User) -> Watcher:
    from foia.access import can_view
    from foia.models import Watcher

    if user.organization_id != req.organization_id:
        raise ValidationError({"user": "Only people in the request's organization can watch it."})
    if not can_view(user, req):
        raise ValidationError({"user": f"{user.name} cannot see this request; share it with the organization first."})
    existing = session.scalar(select(Watcher).where(Watcher.request_id == req.id, Watcher.user_id == user.id))
    if existing is not None or user.id == req.requester_id:
        raise ValidationError({"user": f"{user.name} already gets this request's reminders."})
    watcher = Watcher(request_id=req.id, user_id=user.id, created_at=now)
    session.add(watcher)
    session.flush()
    audit(session, actor=actor, now=now, action="watch", entity=req, after={"watcher": user.email})
    plan(session, req, now=now)
    return watcher


def remove_watcher(session: Session, *, actor: User, now: datetime, req: Request, user_id: int) -> None:
    from foia.models import Watcher

    watcher = session.scalar(select(Watcher).where(Watcher.request_id == req.id, Watcher.user_id == user_id))
    if watcher is None:
        raise ValidationError({"user": "That person is not watching this request."})
    email = watcher.user.email
    session.delete(watcher)
    session.flush()
    audit(session, actor=actor, now=now, action="unwatch", entity=req, before={"watcher": email})
    plan(session, req, now=now)


def update_preferences(session: Session, *, actor: User, now: datetime, mode: str, kinds_off: list[str],
                       timezone_name: str) -> None:
    from foia.models import REMINDER_KINDS, Request

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
    from foia.feeds import new_token

    actor.calendar_token = new_token()
    audit(session, actor=actor, now=now, action="calendar_token", entity=actor, after={"regenerated": True})
    return actor.calendar_token


# ---------------------------------------------------------------------------- agencies

AGENCY_FIELDS = (
    "slug", "name", "department", "jurisdiction", "law", "foia_email", "portal_url", "mailing_address", "phone",
    "appeal_authority", "appeal_address", "appeal_email", "timezone",
)
AGENCY_SLUG_PATTERN = r"^[a-z0-9-]{2,64}$"
_AGENCY_LIMITS = {"name": 200, "department": 200, "jurisdiction": 100, "foia_email": 254, "portal_url": 500,
                  "phone": 50, "appeal_authority": 200, "appeal_email": 254, "timezone": 64,
                  "mailing_address": 2000, "appeal_address": 2000}


def validate_agency_input(session: Session, data: Mapping[str, Any], *, agency: Agency | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """Clean values and errors for an agency's fields (a new agency when `agency` is None)."""
    import re
    from urllib.parse import urlsplit
    from foia.deadlines import law_slugs

    clean = {f: str(data.get(f) or "").strip() for f in AGENCY_FIELDS}
    clean["slug"] = clean["slug"].lower()
    clean["foia_email"] = clean["foia_email"].lower()
    clean["appeal_email"] = clean["appeal_email"].lower()
    errors: dict[str, str] = {}
    if not re.fullmatch(AGENCY_SLUG_PATTERN, clean["slug"]):
        errors["slug"] = "Use 2 to 64 lower-case letters, digits and hyphens, e.g. dhs-ice."
    else:
        taken = session.scalar(select(Agency.id).where(Agency.slug == clean["slug"]))
        if taken is not None and (agency is None or taken != agency.id):
            errors["slug"] = "Another agency already uses this short name."
    if not clean["name"]:
        errors["name"] = "Give the agency's name."
    if not clean["jurisdiction"]:
        errors["jurisdiction"] = "Say which jurisdiction the agency belongs to, e.g. United States (federal)."
    if clean["law"] not in law_slugs():
        errors["law"] = "Choose the public-records law from the list."
    if not valid_timezone(clean["timezone"]):
        errors["timezone"] = "Choose a time zone such as America/Los_Angeles."
    email_re = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    for f in ("foia_email", "appeal_email"):
        if clean[f] and not email_re.fullmatch(clean[f]):
            errors[f] = "Enter a valid email address, e.g. foia@agency.gov, or leave it empty."
    if clean["portal_url"]:
        parts = urlsplit(clean["portal_url"])
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors["portal_url"] = "Enter a web address starting with https:// or http://, or leave it empty."
    for f, limit in _AGENCY_LIMITS.items():
        if f not in errors and len(clean[f]) > limit:
            errors[f] = f"Keep this under {limit} characters."
    return clean, errors


def create_agency(session: Session, *, actor: User, now: datetime, data: Mapping[str, Any]) -> Agency:
    clean, errors = validate_agency_input(session, data)
    if errors:
        raise ValidationError(errors)
    agency = Agency(created_at=now, updated_at=now, **clean)
    try:
        with session.begin_nested():  # someone may have taken the slug meanwhile
            session.add(agency)
            session.flush()
    except IntegrityError:
        raise ValidationError({"slug": "Another agency already uses this short name."}) from None
    audit(session, actor=actor, now=now, action="create", entity=agency, after=snapshot(agency, AGENCY_FIELDS))
    return agency


def update_agency(session: Session, *, actor: User, now: datetime, agency: Agency, data: Mapping[str, Any]) -> Agency:
    """Change an agency's details. A new short name or time zone can change which law overrides and
    receipt rules apply, so the agency's open requests are recomputed (and their reminders re-planned)."""
    clean, errors = validate_agency_input(session, data, agency=agency)
    if errors:
        raise ValidationError(errors)
    before = snapshot(agency, AGENCY_FIELDS)
    changed = {k: v for k, v in clean.items() if before.get(k) != v}
    if not changed:
        return agency
    try:
        with session.begin_nested():
            for key, value in changed.items():
                setattr(agency, key, value)
            agency.updated_at = now
            session.flush()
    except IntegrityError:
        raise ValidationError({"slug": "Another agency already uses this short name."}) from None
    audit(session, actor=actor, now=now, action="update", entity=agency,
          before={k: before[k] for k in changed}, after=changed)
    if "slug" in changed or "timezone" in changed:
        moved = recompute_open(session, now=now, actor=actor, reason=f"agency {agency.slug} updated",
                               agency_id=agency.id)
        replan_moved(session, moved, now=now)
    return agency
