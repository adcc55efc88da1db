"""Operations a person performs. Every function takes the session, the actor and `now`
explicitly and never reads Flask globals or the clock, so the web app, the CLI and tests
run them the same way. Every state change writes an audit row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from foia.clocks.service import lock_clocks, lock_requests, refresh
from foia.core.audit import audit, snapshot
from foia.core.clock import local_today
from foia.core.db import insert_with_retry
from foia.core.errors import ValidationError
from foia.core.parse import parse_usd
from foia.deadlines import law_slugs
from foia.models import (
    EVENT_KINDS,
    FEE_CATEGORIES,
    VISIBILITIES,
    Agency,
    Event,
    Request,
    User,
)
from foia.reminders.planner import plan
from foia.search.service import index_request, sync_request_visibility
from foia.webhooks.service import emit

REF_PREFIX = "FT"


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
            ceiling = parse_usd(data.fee_ceiling)
        except ValueError:
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

    index_request(session, req)  # the request's own title and description are searchable
    return req


def lock_request(session: Session, req: Request) -> Request:
    """Take the request for this transaction before reading what a change depends on (its status, its open
    clarification, its ledger): the shared clocks lock, then the request's row (`clocks.service.lock_requests`:
    SELECT ... FOR NO KEY UPDATE on PostgreSQL; on SQLite the database write lock), then re-read the row, so
    `req` holds what was committed last, not what this transaction loaded before it waited.

    Two communications logged at the same moment are then applied one after the other, each to the status the
    other left (review F4: an acknowledgment computed from a stale "submitted" overwrote a denial committed a
    moment before, and a denied request showed "Acknowledged"). Idempotent within a transaction; call it first,
    before writing anything about the request (the clocks lock comes before row locks: `lock_clocks`)."""
    if req.id is None or req in session.new:
        return req  # made in this transaction: nobody else can see it yet
    session.flush()
    lock_clocks(session)
    lock_requests(session, [req.id])
    session.execute(select(Request).where(Request.id == req.id).execution_options(populate_existing=True)).scalar_one()
    return req


def log_event(session: Session, *, actor: User | None, now: datetime, req: Request, kind: str,
              occurred_on: date, occurred_at: datetime | None = None, notes: str = "",
              data: dict[str, Any] | None = None) -> Event:

    lock_request(session, req)  # the ledger and the clocks computed from it move one writer at a time
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


def update_request(session: Session, *, actor: User | None, now: datetime, req: Request, **changes: Any) -> Request:
    if {"status", "law", "expedited"} & changes.keys():
        lock_request(session, req)  # before writing the row: the clocks are recomputed below
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
    elif "visibility" in changes:  # a watcher may have lost access: their pending reminders go
        plan(session, req, now=now)
    after = snapshot(req, REQUEST_FIELDS)
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if "title" in changed or "records_sought" in changed:

        index_request(session, req)  # keep the request's own text searchable as it is now
    if "visibility" in changed:  # who may find its text changes with it, in this transaction
        sync_request_visibility(session, req)
    if changed:
        audit(session, actor=actor, now=now, action="update", entity=req,
              before={k: before[k] for k in changed}, after=changed)
    if "status" in changed:
        emit(session, event="status.changed", request=req, now=now, details={"from": before["status"], "to": req.status},
             key=f"status.changed:{req.ref}:{before['status']}>{req.status}:{now.isoformat()}")
    return req
