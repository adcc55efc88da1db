"""The shared agency directory: validation, creation and updates (an update that can move dates queues a clock
recompute, a `recompute_clocks` scheduler job), and the preview of which open requests' dates an update would
move, computed without saving anything (bounded: above PREVIEW_LIMIT open requests only counted).

Every organization's requests, letters and deadlines depend on these rows, so only administrators change
them (`foia.core.access.can_edit_agencies`); everyone else suggests changes (`foia.agencies.changes`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from foia.agencies.directory import require_methods
from foia.clocks.jobs import queue_recompute
from foia.clocks.service import recompute_open
from foia.core.audit import audit, snapshot
from foia.core.clock import valid_timezone
from foia.core.errors import ValidationError
from foia.deadlines import law_slugs
from foia.models import CLOSED_STATUSES, Agency, Organization, Request, RequestClock, User

AGENCY_FIELDS = (
    "slug", "name", "abbreviation", "parent", "department", "jurisdiction", "law", "website", "filing_methods",
    "foia_email", "portal_url", "mailing_address", "phone", "fax", "appeal_authority", "appeal_address",
    "appeal_email", "timezone",
)

#: Form fields that are not a column of the same name: `parent` is the parent department's slug (stored as
#: `Agency.parent_id`). Everything else in AGENCY_FIELDS is an Agency attribute holding text.
RELATION_FIELDS = ("parent",)


def agency_values(agency: Agency) -> dict[str, str]:
    """The agency as the edit form and the audit trail see it: every field of AGENCY_FIELDS as text (the
    parent as its slug, '' for none)."""
    out = snapshot(agency, tuple(f for f in AGENCY_FIELDS if f not in RELATION_FIELDS))
    out["parent"] = agency.parent.slug if agency.parent is not None else ""
    return {f: out[f] for f in AGENCY_FIELDS}


AGENCY_SLUG_PATTERN = r"^[a-z0-9-]{2,64}$"


#: Words used by the directory's own pages under /agencies/ (an agency with one as short name would be hidden).
RESERVED_SLUGS = frozenset({"new", "suggest", "changes", "departments"})


#: Fields that change the rules an agency's requests are counted by: a new short name picks other law
#: overrides (e.g. dhs-* components' appeal period), a new time zone another day of receipt, a new law the
#: rules of requests filed from now on. Saving one needs the admin to confirm the dates it moves.
RULE_FIELDS = ("slug", "timezone", "law")


_AGENCY_LIMITS = {"name": 200, "abbreviation": 50, "website": 500, "department": 200, "jurisdiction": 100, "foia_email": 254, "portal_url": 500,
                  "phone": 50, "fax": 50, "appeal_authority": 200, "appeal_email": 254, "timezone": 64,
                  "mailing_address": 2000, "appeal_address": 2000}


def validate_agency_input(session: Session, data: Mapping[str, Any], *, agency: Agency | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """Clean values and errors for an agency's fields (a new agency when `agency` is None)."""

    clean = {f: _text(data.get(f)) for f in AGENCY_FIELDS}
    clean["slug"] = clean["slug"].lower()
    clean["parent"] = clean["parent"].lower()
    clean["foia_email"] = clean["foia_email"].lower()
    clean["appeal_email"] = clean["appeal_email"].lower()
    errors: dict[str, str] = {}
    if not re.fullmatch(AGENCY_SLUG_PATTERN, clean["slug"]):
        errors["slug"] = "Use 2 to 64 lower-case letters, digits and hyphens, e.g. dhs-ice."
    elif clean["slug"] in RESERVED_SLUGS:
        errors["slug"] = "This short name is used by the directory's own pages; choose another."
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
    for f in ("portal_url", "website"):
        if clean[f]:
            parts = urlsplit(clean[f])
            if parts.scheme not in ("http", "https") or not parts.netloc:
                errors[f] = "Enter a web address starting with https:// or http://, or leave it empty."
    try:
        clean["filing_methods"] = require_methods(clean["filing_methods"])
    except ValidationError as exc:
        errors.update(exc.errors)
    problem = _parent_problem(session, clean["parent"], agency)
    if problem:
        errors["parent"] = problem
    elif clean["parent"] and "slug" not in errors and not clean["slug"].startswith(clean["parent"] + "-"):
        # The laws' agency overrides match short names ("dhs|dhs-*"): a component named otherwise would
        # silently lose its department's rules (DHS's 90 working days to appeal, Interior's receipt day).
        errors["slug"] = (f"A component's short name starts with its department's and a hyphen, e.g. "
                          f"{clean['parent']}-{(clean['abbreviation'] or 'office').lower()}: the department's "
                          f"deadline rules follow the short name.")
    for f, limit in _AGENCY_LIMITS.items():
        if f not in errors and len(clean[f]) > limit:
            errors[f] = f"Keep this under {limit} characters."
    return clean, errors


def _text(value: Any) -> str:
    """A submitted value as text: a list (the filing-method checkboxes) is joined with commas."""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v).strip() for v in value if str(v).strip())
    return str(value or "").strip()


def _parent_problem(session: Session, parent_slug: str, agency: Agency | None) -> str:
    """Why `parent_slug` cannot be the agency's parent ('' when it can, or when none is given): it must be an
    agency in the directory, not the agency itself, and not one of its own components (at any depth)."""
    if not parent_slug:
        return ""
    parent = session.scalar(select(Agency).where(Agency.slug == parent_slug))
    if parent is None:
        return "Choose the parent department from the directory (no agency has this short name)."
    if agency is None:
        return ""
    seen: set[int] = set()
    node: Agency | None = parent
    while node is not None and node.id not in seen:
        if node.id == agency.id:
            return ("An agency cannot be its own parent." if node is parent
                    else "This agency is a parent of the one you chose: an agency cannot sit under its own component.")
        seen.add(node.id)
        node = node.parent
    return ""


def _apply(session: Session, agency: Agency, values: Mapping[str, str]) -> None:
    """Set the cleaned values on the agency (the parent by its slug)."""
    for key, value in values.items():
        if key == "parent":
            agency.parent_id = session.scalar(select(Agency.id).where(Agency.slug == value)) if value else None
            agency.parent = session.get(Agency, agency.parent_id) if agency.parent_id is not None else None
        else:
            setattr(agency, key, value)


def create_agency(session: Session, *, actor: User, now: datetime, data: Mapping[str, Any]) -> Agency:
    clean, errors = validate_agency_input(session, data)
    if errors:
        raise ValidationError(errors)
    agency = Agency(created_at=now, updated_at=now)
    _apply(session, agency, clean)
    try:
        with session.begin_nested():  # someone may have taken the slug meanwhile
            session.add(agency)
            session.flush()
    except IntegrityError:
        raise ValidationError({"slug": "Another agency already uses this short name."}) from None
    audit(session, actor=actor, now=now, action="create", entity=agency, after=agency_values(agency))
    return agency


#: The agency fields whose change can move open requests' dates (law overrides by short name, receipt time zone).
RECOMPUTE_FIELDS = ("slug", "timezone")


def moves_dates(changes: Mapping[str, Any]) -> bool:
    """Whether saving these changes (field -> anything) queues a recompute of the agency's open requests."""
    return any(f in changes for f in RECOMPUTE_FIELDS)


def update_agency(session: Session, *, actor: User, now: datetime, agency: Agency, data: Mapping[str, Any]) -> Agency:
    """Change an agency's details. A new short name or time zone can change which law overrides and
    receipt rules apply, so a recompute of the agency's open requests is queued in this transaction (a
    `recompute_clocks` job: the scheduler recomputes them and re-plans their reminders, never the web request;
    request pages compute from the ledger and show the new dates at once)."""
    clean, errors = validate_agency_input(session, data, agency=agency)
    if errors:
        raise ValidationError(errors)
    before = agency_values(agency)
    changed = {k: v for k, v in clean.items() if before.get(k) != v}
    if not changed:
        return agency
    try:
        with session.begin_nested():
            _apply(session, agency, changed)
            agency.updated_at = now
            session.flush()
    except IntegrityError:
        raise ValidationError({"slug": "Another agency already uses this short name."}) from None
    audit(session, actor=actor, now=now, action="update", entity=agency,
          before={k: before[k] for k in changed}, after=changed)
    if moves_dates(changed):
        queue_recompute(session, now=now, actor=actor, reason=f"agency {agency.slug} updated", agency_id=agency.id)
    return agency


# ---------------------------------------------------------------------------- the impact of a rule change

@dataclass(frozen=True)
class Impact:
    """One open request's clock date that a change to its agency would move."""

    ref: str
    organization: str
    clock: str
    before: date | None
    after: date | None


def rule_changes(agency: Agency | None, clean: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """The rule fields (`RULE_FIELDS`) a change would alter: field -> (now, proposed). A new agency has none."""
    if agency is None:
        return {}
    return {f: (getattr(agency, f), clean[f]) for f in RULE_FIELDS if f in clean and getattr(agency, f) != clean[f]}


def rules_key(clean: Mapping[str, str]) -> str:
    """What the admin confirms: the proposed rule values (a confirmation of other values does not count)."""
    return "|".join(f"{f}={clean.get(f, '')}" for f in RULE_FIELDS)


#: The most open requests a preview recomputes inside the web request (a fraction of a second); an agency with
#: more gets their count instead, and saving recomputes them in the background.
PREVIEW_LIMIT = 2000


@dataclass(frozen=True)
class Preview:
    """What saving a change would do to open requests' dates: `impact` (every date that moves) when the agency has
    at most PREVIEW_LIMIT open requests (`computed`), else only how many open requests will be recomputed."""

    impact: list[Impact]
    open_requests: int
    computed: bool


def preview_impact(session: Session, *, now: datetime, agency: Agency, data: Mapping[str, Any]) -> Preview:
    """Which open requests' dates saving `data` on `agency` would move, and to what, without saving anything:
    the change and the recomputation run in a savepoint (through the same `recompute_open` as the job a real
    update queues) that is rolled back. Bounded: above PREVIEW_LIMIT open requests nothing is recomputed, the
    preview only counts them. Raises ValidationError for input an edit would refuse."""
    clean, errors = validate_agency_input(session, data, agency=agency)
    if errors:
        raise ValidationError(errors)
    changes = rule_changes(agency, clean)
    if not moves_dates(changes):
        return Preview([], 0, True)  # a new law applies to requests filed from now on: no open request's dates move
    open_requests = session.scalar(select(func.count(Request.id)).where(
        Request.agency_id == agency.id, Request.status.not_in(CLOSED_STATUSES))) or 0
    if open_requests > PREVIEW_LIMIT:
        return Preview([], open_requests, False)
    return Preview(_impact(session, now=now, agency=agency, clean=clean), open_requests, True)


def _impact(session: Session, *, now: datetime, agency: Agency, clean: Mapping[str, str]) -> list[Impact]:
    session.flush()
    savepoint = session.begin_nested()
    try:
        agency.slug, agency.timezone = clean["slug"], clean["timezone"]
        session.flush()
        moved = recompute_open(session, now=now, actor=None, reason="preview", agency_id=agency.id)
    finally:
        savepoint.rollback()  # nothing of the preview stays: the agency, the clocks and the audit rows are as they were
    session.expire(agency)
    if not moved:
        return []
    refs = sorted({m.ref for m in moved})
    info: dict[str, str] = {row.ref: row.name for row in session.execute(
        select(Request.ref, Organization.name).join(Organization, Organization.id == Request.organization_id)
        .where(Request.ref.in_(refs)))}
    labels = {(ref, kind): label for ref, kind, label in session.execute(
        select(Request.ref, RequestClock.kind, RequestClock.label).join(RequestClock, RequestClock.request_id == Request.id)
        .where(Request.ref.in_(refs)))}
    return sorted((Impact(ref=m.ref, organization=info.get(m.ref, ""), clock=labels.get((m.ref, m.kind), m.kind),
                          before=m.before, after=m.after) for m in moved),
                  key=lambda i: (i.ref, i.clock))
