"""The fee lifecycle in the ledger, and what each step does to the clocks under its law's ``[fees]`` rules.

Fee steps (ledger event kinds, with the ``data`` the engine reads):

* ``fee_estimate`` — ``amount``; ``asks_requester`` (true when the agency asks the requester to accept,
  narrow or pay before it goes on); ``respond_by`` (ISO date, when the agency's letter or its regulation sets
  one). Only an estimate that asks the requester has any effect on a clock.
* ``fee_accepted`` / ``fee_narrowed`` — the requester's answer (``amount`` of the accepted or narrowed fee).
* ``advance_payment`` — the agency asks for payment in advance (``amount``).
* ``fee_paid`` — ``amount``, ``method``.
* ``fee_waiver_decided`` — ``decision`` = "granted" | "partly_granted" | "denied". A denial opens the
  law's fee-waiver appeal window (``[fees.waiver_appeal]``); a grant settles the fee question.

What a step does is the law's, never a default: ``estimate_effect = "pause"`` turns an estimate that asks the
requester into a toll with reason "fees" (federal: as often as needed, 5 U.S.C. § 552(a)(6)(A)(ii)(II); the
engine's per-reason toll limits apply, and the federal file limits only "information"), ended by the
requester's answer, a payment or a granted waiver; ``advance_payment_effect = "pause"`` does the same for an
advance-payment request above ``advance_payment_over`` (Pennsylvania's $100); ``"restart_on_payment"``
makes the request count as received again on the day the advance payment is received (Texas, Gov. Code
§ 552.263(e)). A law without a ``[fees]`` table is "not encoded": its fee steps are recorded and move no
clock, and each explanation says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from foia.deadlines.counting import Trace
from foia.deadlines.laws import ClockRule, Law
from foia.deadlines.ledger import FEE_EVENT_KINDS, LedgerEvent

__all__ = ["ANSWER_KINDS", "FEE_EVENT_KINDS", "FeeEffects", "fee_clocks_input", "fee_effects", "money"]

#: Steps that answer an open fee question (end a fee toll, settle the time to answer an estimate).
ANSWER_KINDS = ("fee_accepted", "fee_narrowed", "fee_paid")

Dated = tuple[date, LedgerEvent]


def money(value: Any) -> Decimal | None:
    """A dollar amount from event data (a string like "125.50", a number), or None."""
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


class FeeEffects:
    """What the fee steps do to the request's clocks: synthetic toll events (reason "fees") for the pause
    model, restart events for the restart-on-payment model, and trace steps for the explanation."""

    __slots__ = ("restarts", "steps", "tolls")

    def __init__(self) -> None:
        self.tolls: list[Dated] = []
        self.restarts: list[Dated] = []
        self.steps: Trace = []


def _fees_toll(kind: str, on: date, what: str) -> LedgerEvent:
    return LedgerEvent(kind, on, {"reason": "fees", "fee": True, "what": what})


def fee_effects(law: Law, ledger: Sequence[Dated]) -> FeeEffects:
    """Translate the fee steps of a ledger (``(date, event)`` in ledger order: by date, then as logged) into what
    they do under ``law`` (see the module docstring)."""
    out = FeeEffects()
    steps = [(d, ev) for d, ev in ledger if ev.kind in FEE_EVENT_KINDS]
    if not steps:
        return out
    rules = law.fees
    if not rules.encoded:
        out.steps.append(("fees_not_encoded", law.name))
        return out
    toll_open = False
    deposit_pending: date | None = None
    for d, ev in steps:
        data = ev.data or {}
        if ev.kind == "fee_estimate":
            if not data.get("asks_requester"):
                out.steps.append(("fee_info", d, "fee estimate", "it does not ask the requester to answer, so no "
                                                                  "clock moves"))
            elif rules.estimate_effect == "pause":
                if not toll_open:
                    out.tolls.append((d, _fees_toll("toll_start", d, "fee estimate")))
                    toll_open = True
            else:
                out.steps.append(("fee_info", d, "fee estimate", f"no clock moves under {law.name} ("
                                  f"{rules.estimate_citation or rules.citation})"))
        elif ev.kind == "advance_payment":
            amount = money(data.get("amount"))
            over = rules.advance_payment_over
            if rules.advance_payment_effect == "none":
                out.steps.append(("fee_info", d, "advance-payment request", f"no clock moves under {law.name} ("
                                  f"{rules.advance_payment_citation or rules.citation})"))
            elif over is not None and (amount is None or amount <= over):
                shown = f"${amount}" if amount is not None else "an amount not given"
                out.steps.append(("fee_info", d, "advance-payment request",
                                  f"{shown} is not over ${over}, so it does not stop the clock "
                                  f"({rules.advance_payment_citation})"))
            elif rules.advance_payment_effect == "pause":
                if not toll_open:
                    out.tolls.append((d, _fees_toll("toll_start", d, "advance-payment request")))
                    toll_open = True
            else:  # restart_on_payment
                deposit_pending = d
                out.steps.append(("fee_info", d, "advance-payment request",
                                  f"the request will count as received on the day the payment is received "
                                  f"({rules.advance_payment_citation})"))
        elif ev.kind in ANSWER_KINDS or (ev.kind == "fee_waiver_decided" and data.get("decision") == "granted"):
            if toll_open:
                out.tolls.append((d, _fees_toll("toll_end", d, "answer")))
                toll_open = False
            if ev.kind == "fee_paid" and deposit_pending is not None and d >= deposit_pending:
                out.restarts.append((d, LedgerEvent("restart", d, {"fee": True,
                                                                   "citation": rules.advance_payment_citation})))
                deposit_pending = None
    return out


def fee_clocks_input(law: Law, by_kind: Mapping[str, Sequence[Dated]]) -> list[tuple[str, ClockRule | None, date, date | None, bool, Trace]]:
    """The fee clocks a ledger calls for, as (kind, rule, start, fixed due, settled, trace) for the engine to
    count: the requester's time to answer the last estimate that asks them, and the window to appeal the last
    fee-waiver denial. ``fixed due`` is a date the agency's letter gave (``respond_by``)."""
    rules = law.fees
    out: list[tuple[str, ClockRule | None, date, date | None, bool, Trace]] = []
    estimates = [(d, e) for d, e in by_kind.get("fee_estimate", ()) if (e.data or {}).get("asks_requester")]
    if estimates:
        d, ev = estimates[-1]
        answered = any(a >= d for k in ANSWER_KINDS for a, _ in by_kind.get(k, ())) or any(
            a >= d and (e.data or {}).get("decision") == "granted" for a, e in by_kind.get("fee_waiver_decided", ()))
        trace: Trace = [("from_event", "fee estimate", d)]
        fixed = (ev.data or {}).get("respond_by")
        fixed_date = date.fromisoformat(fixed) if isinstance(fixed, str) and fixed else None
        if fixed_date is not None:
            trace.insert(0, ("fee_respond_by", fixed_date))
        elif rules.estimate_response is None:
            why = (f"{law.name}'s fee rules set no time to answer an estimate" if rules.encoded
                   else f"{law.name}'s fee rules are not encoded in FOIA Tracker")
            trace = [("text", f"{why}: enter the date the agency's letter gives, if any.")]
        if rules.estimate_response is not None and rules.estimate_consequence:
            trace.append(("text", f"If not answered in time: {rules.estimate_consequence}"))
        out.append(("fee_response", rules.estimate_response, d, fixed_date, answered, trace))
    denials = [(d, e) for d, e in by_kind.get("fee_waiver_decided", ()) if (e.data or {}).get("decision") == "denied"]
    if denials:
        d, _ = denials[-1]
        appealed = any(a >= d for a, _ in by_kind.get("appeal_filed", ()))
        trace = [("from_event", "fee-waiver denial", d)]
        if rules.waiver_appeal is None:
            why = (f"{law.name}'s fee rules give no separate appeal of a fee-waiver denial" if rules.encoded
                   else f"{law.name}'s fee rules are not encoded in FOIA Tracker")
            trace = [("text", f"{why}.")]
        out.append(("fee_waiver_appeal", rules.waiver_appeal, d, None, appealed, trace))
    return out
