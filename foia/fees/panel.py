"""What the request page shows of fees, escalation dates and litigation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from foia.clocks.service import agency_rules, ledger_for, request_options
from foia.deadlines import Clock, load_law
from foia.deadlines.escalation import escalation_clocks
from foia.fees.litigation import current_case, litigation_events
from foia.fees.service import can_manage_fees, can_see_fees, request_fee_totals
from foia.models import Event, Request, User


def escalations_for(req: Request, clocks: Sequence[Clock], events: Sequence[Event]) -> list[Clock]:
    """The request's escalation dates (foia.deadlines.escalation), from the clocks the page already computed."""
    return escalation_clocks(load_law(req.law), clocks, ledger_for(events), agency=agency_rules(req.agency),
                             options=request_options(req.fee_category))


def request_panel(session: Session, user: User, req: Request, clocks: Sequence[Clock],
                  events: Sequence[Event]) -> dict[str, Any]:
    law = load_law(req.law).for_agency(req.agency.slug)
    inside = can_see_fees(user, req)
    return {
        "escalations": escalations_for(req, clocks, events),
        "fees_visible": inside,
        "fees_manage": can_manage_fees(user, req),
        "fee_rules": law.fees,
        "totals": request_fee_totals(session, req, events) if inside else None,
        "case": current_case(session, req) if inside else None,
        "litigation": litigation_events(session, req) if inside else [],
    }
