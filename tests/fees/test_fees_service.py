"""Fee steps through the app: the ledger, the clocks (single and bulk recompute), status, totals, the ceiling
flag, access. Federal request at ICE (us-foia): received Mon 2025-11-03."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from foia.clocks.service import compute_for, recompute_open
from foia.core.errors import ValidationError
from foia.fees.service import (
    FeeStepInput,
    organization_fee_totals,
    record_fee_step,
    request_fee_totals,
)
from foia.models import AuditLog, RequestClock
from foia.requests.service import log_event, update_request
from tests.conftest import NOW

TODAY = date(2026, 1, 15)


def _received(session, req, actor, on=date(2025, 11, 3)):
    update_request(session, actor=actor, now=NOW, req=req, status="submitted")
    log_event(session, actor=actor, now=NOW, req=req, kind="received", occurred_on=on)


def _step(session, actor, req, step, on, **kw):
    return record_fee_step(session, actor=actor, now=NOW, req=req, data=FeeStepInput(step=step, on=on, **kw),
                           today=TODAY)


def _response(session, req):
    return next(c for c in compute_for(session, req) if c.kind == "response")


def test_federal_fee_estimate_tolls_until_accepted_and_bulk_recompute_agrees(session, world):
    staff = world["users"]["staff"]
    req = world["requests"][("staff", "organization")]
    _received(session, req, staff)
    # No fees: day 1 Tue Nov 4: Nov 4-7 (4), Mon 10 (5), Tue 11 Veterans Day skipped, 12-14 (8), 17-21 (13),
    # 24-26 (16), Thu 27 Thanksgiving skipped, Fri 28 (17), Dec 1, 2, 3 (20) -> Wed 2025-12-03.
    assert _response(session, req).due == date(2025, 12, 3)
    _step(session, staff, req, "fee_estimate", date(2025, 11, 6), amount="300", asks_requester=True)
    assert req.status == "awaiting_requester"
    paused = _response(session, req)
    assert (paused.due, paused.status) == (None, "paused")
    _step(session, staff, req, "fee_accepted", date(2025, 11, 17), amount="300")
    assert req.status == "processing"
    # Nov 4, 5 (2), Thu 6 = estimate day (3); Nov 7-17 paused; Tue 18-21 (7), 24-26 (10), 27 skipped, 28 (11),
    # Dec 1-5 (16), Dec 8, 9, 10, 11 (20) -> Thu 2025-12-11.
    assert _response(session, req).due == date(2025, 12, 11)
    session.commit()
    stored = session.scalar(select(RequestClock.due).where(RequestClock.request_id == req.id,
                                                           RequestClock.kind == "response"))
    assert stored == date(2025, 12, 11)
    # The bulk recompute (calendar changes) reads the fee steps' data too: nothing moves.
    assert [m for m in recompute_open(session, now=NOW, actor=None, reason="test") if m.ref == req.ref] == []
    actions = set(session.scalars(select(AuditLog.action).where(AuditLog.request_id == req.id)))
    assert {"event:fee_estimate", "fees:fee_estimate", "fees:fee_accepted"} <= actions


def test_totals_ceiling_flag_and_organization_totals(session, world):
    staff = world["users"]["staff"]
    req = world["requests"][("staff", "private")]
    other = world["requests"][("staff", "public")]
    update_request(session, actor=staff, now=NOW, req=req, fee_ceiling=Decimal("200.00"))
    _received(session, req, staff)
    _step(session, staff, req, "fee_estimate", date(2025, 11, 6), amount="300", asks_requester=True)
    _step(session, staff, req, "advance_payment", date(2025, 11, 7), amount="100")
    _step(session, staff, req, "fee_paid", date(2025, 11, 10), amount="100", method="check")
    _step(session, staff, req, "fee_paid", date(2025, 11, 20), amount="50.25", method="card")
    t = request_fee_totals(session, req)
    assert (t.current, t.requested_in_advance, t.paid, t.outstanding) == (
        Decimal("300.00"), Decimal("100.00"), Decimal("150.25"), Decimal("149.75"))
    assert t.over_ceiling  # 300 > 200
    _step(session, staff, req, "fee_narrowed", date(2025, 11, 21), amount="180")
    assert not request_fee_totals(session, req).over_ceiling  # 180 <= 200
    _received(session, other, staff)
    _step(session, staff, other, "fee_paid", date(2025, 11, 12), amount="20", method="online")
    org = organization_fee_totals(session, world["orgs"]["city"].id)
    # paid 150.25 + 20; outstanding: 180 - 150.25 = 29.75 (the other request has no fee estimate: 0).
    assert (org.paid, org.outstanding) == (Decimal("170.25"), Decimal("29.75"))
    assert {ref for ref, *_ in org.requests} == {req.ref, other.ref}
    assert organization_fee_totals(session, world["orgs"]["other"].id).requests == []


def test_waiver_granted_clears_the_outstanding_fee(session, world):
    staff = world["users"]["staff"]
    req = world["requests"][("staff", "private")]
    _received(session, req, staff)
    _step(session, staff, req, "fee_estimate", date(2025, 11, 6), amount="90")
    _step(session, staff, req, "fee_waiver_decided", date(2025, 11, 8), decision="granted")
    assert request_fee_totals(session, req).outstanding == Decimal("0.00")


@pytest.mark.parametrize(("kw", "field", "message"), [
    ({"step": "fee_paid", "on": date(2025, 11, 6), "amount": "", "method": "check"}, "amount", "Give the amount"),
    ({"step": "fee_paid", "on": date(2025, 11, 6), "amount": "-4", "method": "check"}, "amount", "in dollars"),
    ({"step": "fee_paid", "on": date(2025, 11, 6), "amount": "4", "method": "barter"}, "method", "how it was paid"),
    ({"step": "fee_estimate", "on": date(2026, 2, 1), "amount": "4"}, "on", "cannot be in the future"),
    ({"step": "fee_waiver_decided", "on": date(2025, 11, 6)}, "decision", "decision"),
    ({"step": "refund", "on": date(2025, 11, 6)}, "step", "Choose which fee step"),
    ({"step": "fee_estimate", "on": date(2025, 11, 6), "amount": "4", "respond_by": date(2025, 11, 1)},
     "respond_by", "before the estimate"),
])
def test_validation_messages(session, world, kw, field, message):
    staff = world["users"]["staff"]
    req = world["requests"][("staff", "private")]
    with pytest.raises(ValidationError) as exc:
        record_fee_step(session, actor=staff, now=NOW, req=req, data=FeeStepInput(**kw), today=TODAY)
    assert message in exc.value.errors[field]


def test_another_organization_cannot_record_fee_steps(session, world):
    req = world["requests"][("staff", "public")]  # public: the outsider may read it, not its fees
    for role in ("outsider", "reporter", "news_staff"):
        with pytest.raises(PermissionError):
            _step(session, world["users"][role], req, "fee_paid", date(2025, 11, 6), amount="5", method="cash")
    assert request_fee_totals(session, req).steps == 0


def test_times_are_kept_out_of_the_reference(session, world):
    # `now` is what the service stamps; the fee step's own date is its legal date.
    staff = world["users"]["staff"]
    req = world["requests"][("staff", "private")]
    event = _step(session, staff, req, "fee_estimate", date(2025, 11, 6), amount="12.5")
    assert event.occurred_on == date(2025, 11, 6) and event.created_at == NOW
    assert event.data == {"amount": "12.50", "asks_requester": False}


def test_fee_waiver_denial_plans_appeal_window_reminders(session, world):
    from foia.models import Reminder

    staff = world["users"]["staff"]
    req = world["requests"][("staff", "private")]
    _received(session, req, staff, on=date(2026, 1, 5))
    # Denied Mon 2026-01-12: 90 calendar days: Jan 13-31 (19), Feb (47), Mar (78), Apr 1-12 (90) -> Sun 04-12.
    _step(session, staff, req, "fee_waiver_decided", date(2026, 1, 12), decision="denied")
    rows = session.scalars(select(Reminder).where(Reminder.request_id == req.id,
                                                  Reminder.clock_kind == "fee_waiver_appeal")).all()
    assert {(r.due, r.rule) for r in rows} == {(date(2026, 4, 12), "appeal_before_10"),
                                               (date(2026, 4, 12), "appeal_before_3")}


def test_fee_communications_are_fee_steps_in_the_running_total(session, world):
    from foia.communications.service import log_communication

    staff = world["users"]["staff"]
    req = world["requests"][("staff", "private")]
    _received(session, req, staff)
    log_communication(session, actor=staff, now=NOW, req=req, direction="incoming", kind="fee_estimate",
                      occurred_on=date(2025, 11, 6), data={"amount": "$60"})
    log_communication(session, actor=staff, now=NOW, req=req, direction="outgoing", kind="payment",
                      occurred_on=date(2025, 11, 10), data={"amount": "25"})
    t = request_fee_totals(session, req)
    assert (t.current, t.paid, t.outstanding) == (Decimal("60.00"), Decimal("25.00"), Decimal("35.00"))
    assert _response(session, req).due == date(2025, 12, 3)  # an estimate logged there asks nothing: no toll
