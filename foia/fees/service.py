"""Fee steps as ledger events, and the running totals per request and per organization.

Each step is an event in the request's ledger (``foia.requests.service.log_event``: audited, clocks recomputed,
reminders re-planned); what it does to the clocks is its law's, in the engine (``foia.deadlines.fees``). Fees are
the organization's business: only its people (and admins) see them, and only those who may edit the request
record a step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.core.access import can_edit, can_view
from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.core.parse import parse_usd
from foia.deadlines.fees import money
from foia.deadlines.ledger import FEE_EVENT_KINDS
from foia.models import Event, Request, User
from foia.requests.service import log_event, update_request

FEE_STEPS: dict[str, str] = {
    "fee_estimate": "The agency sent a fee estimate",
    "fee_accepted": "I accepted the estimate",
    "fee_narrowed": "I narrowed the request to lower the fee",
    "advance_payment": "The agency asked for payment in advance",
    "fee_paid": "I paid",
    "fee_waiver_decided": "The agency decided the fee waiver",
}
assert set(FEE_STEPS) == FEE_EVENT_KINDS
PAYMENT_METHODS: dict[str, str] = {"check": "Check", "card": "Card", "online": "Online payment",
                                   "money_order": "Money order", "cash": "Cash", "other": "Other"}
WAIVER_DECISIONS: dict[str, str] = {"granted": "Granted", "partly_granted": "Partly granted", "denied": "Denied"}
AMOUNT_REQUIRED = frozenset({"fee_estimate", "advance_payment", "fee_paid"})
#: Statuses a fee question may move to "waiting on the requester" and back.
_WORKING = frozenset({"submitted", "acknowledged", "processing"})


def can_see_fees(user: User | None, req: Request) -> bool:
    """People of the request's organization who may see it, and admins."""
    if user is None or not can_view(user, req):
        return False
    return user.role == "admin" or user.organization_id == req.organization_id


def can_manage_fees(user: User | None, req: Request) -> bool:
    return can_see_fees(user, req) and can_edit(user, req)  # type: ignore[arg-type]


@dataclass
class FeeStepInput:
    step: str
    on: date | None
    amount: str = ""
    method: str = ""
    asks_requester: bool = False
    respond_by: date | None = None
    decision: str = ""
    notes: str = ""


def validate_fee_step(data: FeeStepInput, *, today: date) -> dict[str, Any]:
    """The event data for a fee step, or ValidationError with a message per field."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    if data.step not in FEE_STEPS:
        errors["step"] = "Choose which fee step happened."
    if data.on is None:
        errors["on"] = "Give the date of this step."
    elif data.on > today:
        errors["on"] = "A fee step is something that happened: the date cannot be in the future."
    amount_text = (data.amount or "").strip()
    if amount_text:
        try:
            out["amount"] = str(parse_usd(amount_text))
        except ValueError:
            errors["amount"] = "Enter the amount in dollars, e.g. 125 or 125.50."
    elif data.step in AMOUNT_REQUIRED:
        errors["amount"] = "Give the amount in dollars."
    if data.step == "fee_paid":
        if data.method not in PAYMENT_METHODS:
            errors["method"] = "Choose how it was paid."
        else:
            out["method"] = data.method
    if data.step == "fee_waiver_decided":
        if data.decision not in WAIVER_DECISIONS:
            errors["decision"] = "Choose the agency's decision on the fee waiver."
        else:
            out["decision"] = data.decision
    if data.step == "fee_estimate":
        out["asks_requester"] = bool(data.asks_requester)
        if data.respond_by is not None:
            if data.on is not None and data.respond_by < data.on:
                errors["respond_by"] = "The date to answer by cannot be before the estimate."
            else:
                out["respond_by"] = data.respond_by.isoformat()
    if len(data.notes or "") > 2000:
        errors["notes"] = "Keep the note under 2,000 characters."
    if errors:
        raise ValidationError(errors)
    return out


def record_fee_step(session: Session, *, actor: User, now: datetime, req: Request, data: FeeStepInput,
                    today: date) -> Event:
    """Log one fee step in the ledger (clocks and reminders follow) and move the status where the step says:
    an estimate that asks the requester waits on them; their answer or payment puts the request back to work."""
    if not can_manage_fees(actor, req):
        raise PermissionError("Only people of the request's organization who may edit it record fee steps.")
    event_data = validate_fee_step(data, today=today)
    assert data.on is not None
    event = log_event(session, actor=actor, now=now, req=req, kind=data.step, occurred_on=data.on,
                      notes=(data.notes or "").strip(), data=event_data)
    audit(session, actor=actor, now=now, action=f"fees:{data.step}", entity=req,
          after={"event_id": event.id, **event_data})
    if data.step == "fee_estimate" and event_data.get("asks_requester") and req.status in _WORKING:
        update_request(session, actor=actor, now=now, req=req, status="awaiting_requester")
    elif data.step in ("fee_accepted", "fee_narrowed", "fee_paid") and req.status == "awaiting_requester":
        update_request(session, actor=actor, now=now, req=req, status="processing")
    return event


# ---------------------------------------------------------------------------- running totals

@dataclass
class FeeTotals:
    """The money of one request, from its ledger."""

    current: Decimal | None = None      # the fee as last estimated, accepted or narrowed
    requested_in_advance: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")
    waiver: str = ""                    # the last fee-waiver decision
    ceiling: Decimal | None = None      # the most the requester said they would pay without being asked
    steps: int = 0

    @property
    def outstanding(self) -> Decimal:
        if self.waiver == "granted" or self.current is None:
            return Decimal("0.00")
        return max(self.current - self.paid, Decimal("0.00"))

    @property
    def over_ceiling(self) -> bool:
        return self.ceiling is not None and self.current is not None and self.current > self.ceiling


def _totals(rows: Iterable[tuple[str, Any]], ceiling: Decimal | None) -> FeeTotals:
    t = FeeTotals(ceiling=ceiling)
    for kind, data in rows:  # in ledger order
        data = data or {}
        t.steps += 1
        amount = money(data.get("amount"))
        if kind in ("fee_estimate", "fee_accepted", "fee_narrowed") and amount is not None:
            t.current = amount
        elif kind == "advance_payment" and amount is not None:
            t.requested_in_advance += amount
        elif kind == "fee_paid" and amount is not None:
            t.paid += amount
        elif kind == "fee_waiver_decided":
            t.waiver = str(data.get("decision") or "")
    return t


def fee_events(session: Session, req: Request) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.request_id == req.id, Event.kind.in_(FEE_EVENT_KINDS))
                                .order_by(Event.occurred_on, Event.id)))


def request_fee_totals(session: Session, req: Request, events: Sequence[Event] | None = None) -> FeeTotals:
    if events is None:
        events = fee_events(session, req)
    return _totals(((e.kind, e.data) for e in events if e.kind in FEE_EVENT_KINDS and e.voided_at is None),
                   req.fee_ceiling)


@dataclass
class OrganizationFees:
    paid: Decimal = Decimal("0.00")
    outstanding: Decimal = Decimal("0.00")
    requests: list[tuple[str, str, FeeTotals]] = field(default_factory=list)  # (ref, title, totals)

    @property
    def over_ceiling(self) -> int:
        return sum(1 for *_, t in self.requests if t.over_ceiling)


def organization_fee_totals(session: Session, organization_id: int) -> OrganizationFees:
    """Every fee step of the organization's requests, summed per request and in all (one query; only requests
    with a fee step are read)."""
    rows = session.execute(
        select(Request.id, Request.ref, Request.title, Request.fee_ceiling, Event.kind, Event.data)
        .join(Event, Event.request_id == Request.id)
        .where(Request.organization_id == organization_id, Request.deleted_at.is_(None),
               Event.kind.in_(FEE_EVENT_KINDS), Event.voided_at.is_(None))
        .order_by(Request.id, Event.occurred_on, Event.id)).all()
    per: dict[int, list[tuple[str, Any]]] = defaultdict(list)
    head: dict[int, tuple[str, str, Decimal | None]] = {}
    for rid, ref, title, ceiling, kind, data in rows:
        per[rid].append((kind, data))
        head[rid] = (ref, title, ceiling)
    out = OrganizationFees()
    for rid, steps in per.items():
        ref, title, ceiling = head[rid]
        t = _totals(steps, ceiling)
        out.requests.append((ref, title, t))
        out.paid += t.paid
        out.outstanding += t.outstanding
    return out
