"""Suggested changes to the shared agency directory: anyone signed in suggests (the same form and the same
rules as an edit, nothing changes yet), an administrator accepts (applied through `update_agency` or
`create_agency`, which recompute clocks as any update does) or rejects with a note. Every step is audited."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.agencies.service import AGENCY_FIELDS, agency_values, create_agency, update_agency, validate_agency_input
from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.models import Agency, AgencyChange, User

NOTE_LIMIT = 2000


def suggest_change(session: Session, *, actor: User, now: datetime, agency: Agency | None,
                   data: Mapping[str, Any], note: str = "") -> AgencyChange:
    """Store a suggested change to `agency` (a suggested new agency when None); validated as an edit would be.
    Only the fields that differ from the agency as it is are kept (`changes`), with their values now (`before`)."""
    clean, errors = validate_agency_input(session, data, agency=agency)
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        errors["note"] = f"Keep the note under {NOTE_LIMIT} characters."
    if errors:
        raise ValidationError(errors)
    if agency is None:
        changes = {k: v for k, v in clean.items() if v}
        before: dict[str, Any] = {}
    else:
        current = agency_values(agency)
        changes = {k: v for k, v in clean.items() if current.get(k) != v}
        before = {k: current[k] for k in changes}
        if not changes:
            raise ValidationError({"name": "Nothing differs from the directory: change at least one field."})
    change = AgencyChange(agency_id=agency.id if agency is not None else None, organization_id=actor.organization_id,
                          proposed_by_id=actor.id, changes=changes, before=before, note=note, status="pending",
                          decision_note="", created_at=now)
    session.add(change)
    session.flush()
    audit(session, actor=actor, now=now, action="suggest", entity=change,
          after={"agency_id": change.agency_id, "changes": changes, "note": note})
    return change


def proposed_data(session: Session, change: AgencyChange) -> dict[str, Any]:
    """The agency's form as it would be saved: its values now with the suggested fields on top."""
    agency = session.get(Agency, change.agency_id) if change.agency_id is not None else None
    base = agency_values(agency) if agency is not None else dict.fromkeys(AGENCY_FIELDS, "")
    return {**base, **{k: v for k, v in (change.changes or {}).items() if k in AGENCY_FIELDS}}


def _pending(change: AgencyChange) -> None:
    if change.status != "pending":
        raise ValidationError({"status": f"This suggestion was already {change.status}."})


def accept_change(session: Session, *, actor: User, now: datetime, change: AgencyChange, note: str = "") -> Agency:
    """Apply a suggestion through the normal update (or create) path and record who accepted it."""
    _pending(change)
    data = proposed_data(session, change)
    if change.agency_id is None:
        agency = create_agency(session, actor=actor, now=now, data=data)
    else:
        target = session.get(Agency, change.agency_id)
        if target is None:
            raise ValidationError({"agency": "The agency no longer exists."})
        agency = update_agency(session, actor=actor, now=now, agency=target, data=data)
    _decide(session, actor=actor, now=now, change=change, status="accepted", note=note)
    if change.agency_id is None:
        change.agency_id = agency.id
    return agency


def reject_change(session: Session, *, actor: User, now: datetime, change: AgencyChange, note: str) -> AgencyChange:
    """Turn a suggestion down with a note saying why; the directory does not change."""
    _pending(change)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"decision_note": "Say why the suggestion is rejected."})
    if len(note) > NOTE_LIMIT:
        raise ValidationError({"decision_note": f"Keep the note under {NOTE_LIMIT} characters."})
    _decide(session, actor=actor, now=now, change=change, status="rejected", note=note)
    return change


def _decide(session: Session, *, actor: User, now: datetime, change: AgencyChange, status: str, note: str) -> None:
    change.status, change.decided_by_id, change.decided_at = status, actor.id, now
    change.decision_note = (note or "").strip()[:NOTE_LIMIT]
    session.flush()
    audit(session, actor=actor, now=now, action="accept" if status == "accepted" else "reject",
          entity=change, before={"status": "pending"},
          after={"status": status, "agency_id": change.agency_id, "decision_note": change.decision_note})


def pending_changes(session: Session) -> list[AgencyChange]:
    return list(session.scalars(select(AgencyChange).where(AgencyChange.status == "pending")
                                .order_by(AgencyChange.created_at, AgencyChange.id)))


def recent_decisions(session: Session, limit: int = 20) -> list[AgencyChange]:
    return list(session.scalars(select(AgencyChange).where(AgencyChange.status != "pending")
                                .order_by(AgencyChange.decided_at.desc(), AgencyChange.id.desc()).limit(limit)))
