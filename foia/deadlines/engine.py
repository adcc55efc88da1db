"""Clocks from a ledger: a pure function of law rules, agency overrides, calendar and events.

Counting rules
--------------
* **Start.** A request counts as received on the date in its ``received`` event; a
  timestamp at or after the agency's business-hours end (5 pm in its time zone by
  default), or a non-working day, counts as received on the next working day
  (``[receipt]`` can switch either off). The day of receipt does not count unless the
  law or agency says it does (``receipt.day_counts``, e.g. Interior, 43 C.F.R. 2.16(a)):
  day 1 is the next working day (business days) or the next calendar day.
* **Business days** skip weekends, the calendar's holidays and the closures passed in.
  **Calendar days** count every day; when the last day is not a working day and the
  rule says ``roll = "next_working_day"``, the deadline moves to the next working day.
* **Tolling (pause model, e.g. 5 U.S.C. § 552(a)(6)(A)(ii)).** For a toll from S (the
  agency sends its question) to E (the requester answers): S counts if it is a working
  day; no day counts from S+1 through E; counting resumes on E+1. A toll with no end
  stops the clock (status ``paused``, no date). Tolls are ignored, with a note, under
  laws whose tolling model is not ``pause``.
* **Restart model (Texas).** A ``restart`` event on or after receipt makes the clock
  start over as if the request had been received that day (tolls before it drop out).
* **Extension.** An ``extension`` event adds the law's extension (or ``data["days"]``,
  capped at the law's maximum) after the unextended last day. For calendar-day periods
  the period is lengthened and the roll-forward applies once, at the end; a
  calendar-day extension of a business-day period (Pennsylvania) is counted from the
  unextended last day and then rolled. Only one extension is applied.
* **Agreed date.** An ``agreed_date`` event (``data["date"]`` or its own date) replaces the
  suggested ``follow_up`` date of a law with no fixed period, and
  the response deadline.
* **Roll.** ``roll = "next_day_not_sunday_or_holiday"`` moves a last day only off a Sunday
  or a calendar holiday (AS 01.10.080, Idaho Code § 73-109, SDCL 1-5-1/1-5-4, Wyoming):
  a Saturday stays, and the explanation says so.
* **Appeals.** ``appeal_filing`` runs from the last ``determination``;
  ``appeal_decision`` from the last ``appeal_filed`` (which counts as received like a
  request) or, where the law says so, from the determination.
* **Other starts (extra clocks).** A clock with ``start = "acknowledged"`` runs from the
  first ``acknowledged`` event (that day not counted), with the request's extension and
  tolls; until one is logged it is counted from receipt when ``start_fallback =
  "received"`` says so (the earliest end), else it has no date. An extra clock with
  ``start`` = determination / appeal_filed / appeal_decided appears once that event is in
  the ledger and runs from its last occurrence (an appeal counts as received like a
  request); it is "met" once the request is closed (an appeal clock also once decided).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from foia.deadlines.calendars import Calendar, Closure, calendar_for
from foia.deadlines.counting import (
    ONE_DAY,
    Pause,
    Paused,
    Trace,
    count_business_days,
    count_calendar_days,
    roll_forward,
)
from foia.deadlines.explain import render
from foia.deadlines.fees import FeeEffects, fee_clocks_input, fee_effects
from foia.deadlines.laws import KIND_STARTS, REQUEST_STARTS, ClockRule, Law
from foia.deadlines.ledger import (
    AgencyRules,
    LedgerEvent,
    effective_receipt,
    local_date,
)

__all__ = ["Clock", "compute_clocks"]

_FIVE_PM = time(17, 0)


class Clock:
    """One deadline. ``explanation`` is rendered lazily from trace steps."""

    __slots__ = ("_explanation", "_steps", "citation", "due", "kind", "label", "length", "status", "unit")

    def __init__(
        self,
        kind: str,
        label: str,
        due: date | None,
        unit: str,
        citation: str,
        explanation: list[str] | None = None,
        status: str = "open",
        *,
        length: int | None = None,
        steps: Sequence[tuple] = (),
    ) -> None:
        self.kind = kind
        self.label = label
        self.due = due
        self.unit = unit
        self.citation = citation
        self.status = status
        self.length = length
        self._explanation = explanation
        self._steps = steps

    @property
    def explanation(self) -> list[str]:
        if self._explanation is None:
            self._explanation = render(self._steps)
        return self._explanation

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "due": self.due.isoformat() if self.due else None,
            "unit": self.unit,
            "length": self.length,
            "citation": self.citation,
            "status": self.status,
            "explanation": self.explanation,
        }

    def _key(self) -> tuple:
        return (self.kind, self.label, self.due, self.unit, self.citation, self.status)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Clock) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Clock({self.kind!r}, due={self.due!r}, status={self.status!r})"


@dataclass
class _Ctx:
    law: Law
    cal: Calendar  # counting calendar without closures
    tz: str
    hours_end: time
    closures: tuple[Closure, ...] = ()
    by_kind: dict[str, list[tuple[date, LedgerEvent]]] = field(default_factory=dict)
    fees: FeeEffects = field(default_factory=FeeEffects)

    def last(self, kind: str) -> tuple[date, LedgerEvent] | None:
        evs = self.by_kind.get(kind)
        return evs[-1] if evs else None

    def calendars(self, rule: ClockRule) -> tuple[Calendar, Calendar]:
        """(counting calendar, roll-forward calendar) for ``rule``: closures only where its law says
        they extend it (``closures_extend``)."""
        closures = self.closures if rule.closures_extend else ()
        count = calendar_for(self.law.calendar, closures)
        roll_id = self.law.roll_calendar or self.law.calendar
        return count, (count if roll_id == self.law.calendar else calendar_for(roll_id, closures))


def _closures_note(ctx: _Ctx, rule: ClockRule, first: date, last: date | None, trace: Trace) -> None:
    """Say which closures passed in were not applied to ``rule`` (its law does not extend it for them)."""
    if rule.closures_extend or not ctx.closures or last is None:
        return
    inside = sorted((c for c in ctx.closures if first <= c.date <= last), key=lambda c: (c.date, c.name))
    if inside:
        trace.append(("closures_ignored", tuple((c.date, c.name) for c in inside), rule.closures_citation))


def _na(rule_kind: str, label: str, citation: str, why: str) -> Clock:
    return Clock(rule_kind, label, None, "none", citation, status="n/a", steps=(("text", why),))


def _event_date(ev: LedgerEvent, tz: str) -> date:
    d = ev.data.get("date") if ev.data else None
    if isinstance(d, str):
        d = date.fromisoformat(d)
    return d if isinstance(d, date) else local_date(ev.on, tz)


def _run_period(
    rule: ClockRule,
    ctx: _Ctx,
    start: date,
    include_start: bool,
    pauses: Sequence[Pause],
    trace: Trace,
    ext_len: int = 0,
) -> date:
    """Count ``rule``'s period (plus ``ext_len`` of its extension) from ``start``."""
    cal, roll_cal = ctx.calendars(rule)
    assert rule.length is not None
    roll = rule.roll != "none"
    ext = rule.extension
    if rule.unit == "business_days":
        due = count_business_days(cal, start, rule.length, include_start=include_start, pauses=pauses, trace=trace)
        trace.append(("base_due", due, rule, bool(ext_len and ext)))
        if ext_len and ext is not None:
            if ext.unit == "business_days":
                due = count_business_days(cal, due, ext_len, include_start=False, pauses=pauses, trace=trace)
            else:
                end = count_calendar_days(due, ext_len, include_start=False, pauses=pauses, trace=trace)
                due = _roll(roll_cal, end, rule, trace) if roll else end
            trace.append(("ext_due", due))
        return due
    end = count_calendar_days(start, rule.length, include_start=include_start, pauses=pauses, trace=trace)
    trace.append(("base_due", end, rule, bool(ext_len and ext)))
    if ext_len and ext is not None:
        if ext.unit == "calendar_days":
            end = count_calendar_days(end, ext_len, include_start=False, pauses=pauses, trace=trace)
            trace.append(("ext_due", end))
        else:
            end = _roll(roll_cal, end, rule, trace) if roll else end
            end = count_business_days(cal, end, ext_len, include_start=False, pauses=pauses, trace=trace)
            trace.append(("ext_due", end))
            return end
    return _roll(roll_cal, end, rule, trace) if roll else end


def _roll(cal: Calendar, d: date, rule: ClockRule, trace: Trace) -> date:
    sunday_only = rule.roll == "next_day_not_sunday_or_holiday"
    n = len(trace)
    out = roll_forward(cal, d, trace, saturday_counts=sunday_only)
    if (out != d or len(trace) > n) and rule.roll_citation:
        trace.append(("roll_cite", rule.roll_citation))
    return out


def _pauses(ctx: _Ctx, not_before: date, prefix: Trace) -> list[Pause]:
    """The pauses of the request's clocks: its information tolls (under a ``pause`` tolling model) and the
    tolls its law's fee rules make of the fee steps (``foia.deadlines.fees``), in date order."""
    info = _toll_pauses(ctx, ctx.by_kind.get("toll_start", []) + ctx.by_kind.get("toll_end", []), not_before,
                        prefix, fee=False)
    fee = _toll_pauses(ctx, ctx.fees.tolls, not_before, prefix, fee=True) if ctx.fees.tolls else []
    return sorted(info + fee, key=lambda p: p[0]) if fee else info


def _toll_pauses(ctx: _Ctx, dated: list[tuple[date, LedgerEvent]], not_before: date, prefix: Trace, *,
                 fee: bool) -> list[Pause]:
    events = sorted(dated, key=lambda x: (x[0], 0 if x[1].kind == "toll_start" else 1))
    if not events:
        return []
    if not fee and ctx.law.tolling.model != "pause":
        prefix.append(("toll_ignored", ctx.law.tolling.model, ctx.law.tolling.citation))
        return []
    out: list[Pause] = []
    open_at: date | None = None
    open_what = ""
    limits = ctx.law.tolling.limits
    used: dict[str, int] = {}
    skipping = False  # inside a toll the law does not allow (its end is ignored too)
    for d, ev in events:
        if d < not_before:
            prefix.append(("toll_before_start", d))
            continue
        if ev.kind == "toll_start":
            if open_at is None and not skipping:
                reason = str((ev.data or {}).get("reason") or "information")
                allowed = limits.get(reason)
                if allowed is not None and used.get(reason, 0) >= allowed:
                    prefix.append(("toll_limit", d, reason, allowed, ctx.law.tolling.limits_citation))
                    skipping = True
                    continue
                used[reason] = used.get(reason, 0) + 1
                open_at = d
                open_what = str((ev.data or {}).get("what") or "")
            continue
        if skipping:
            skipping = False
            continue
        if open_at is None:
            prefix.append(("toll_end_unmatched", d))
            continue
        if d > open_at:
            out.append((open_at + ONE_DAY, d, open_at, d))
        if fee:
            prefix.append(("fee_toll", open_at, d, open_what, _fee_citation(ctx.law, open_what)))
        else:
            prefix.append(("toll", open_at, d, ctx.law.tolling.citation))
        open_at = None
    if open_at is not None:
        out.append((open_at + ONE_DAY, None, open_at, None))
        if fee:
            prefix.append(("fee_toll_open", open_at, open_what, _fee_citation(ctx.law, open_what)))
        else:
            prefix.append(("toll_open", open_at, ctx.law.tolling.citation))
    return out


def _fee_citation(law: Law, what: str) -> str:
    fees = law.fees
    return fees.advance_payment_citation if what == "advance-payment request" else fees.estimate_citation


def _received_clocks(ctx: _Ctx, expedited: bool) -> list[Clock]:
    law = ctx.law
    received = ctx.by_kind.get("received")
    if not received:
        resp = law.response
        return [_na("response", resp.label, resp.citation, "No 'received' event in the ledger yet.")]
    recv_date, recv_ev = received[0]
    prefix: Trace = []
    recv_cal = ctx.calendars(law.response)[0]
    first_start = effective_receipt(recv_ev.on, law.receipt, recv_cal, ctx.tz, ctx.hours_end, prefix)
    receipt_steps = tuple(prefix)
    start, start_on = first_start, recv_date
    restarts = [(d, e) for d, e in ctx.by_kind.get("restart", []) if d >= recv_date]
    if restarts and law.tolling.model != "restart":
        prefix.append(("restart_ignored", restarts[-1][0], law.tolling.model))
        restarts = []
    restarts = sorted(restarts + [(d, e) for d, e in ctx.fees.restarts if d >= recv_date], key=lambda x: x[0])
    if restarts:
        r_date, r_ev = restarts[-1]
        if (r_ev.data or {}).get("fee"):  # an advance payment received: the law's own fee rule
            prefix.append(("fee_restart", r_date, str(r_ev.data.get("citation", ""))))
        else:
            prefix.append(("restart", r_date, law.tolling.citation))
        start = effective_receipt(r_ev.on, law.receipt, recv_cal, ctx.tz, ctx.hours_end, prefix, "restarted")
        start_on = r_date
    include_start = law.receipt.day_counts
    prefix.append(("day1", start, include_start, law.receipt.citation))
    prefix.extend(ctx.fees.steps)
    pauses = _pauses(ctx, start_on, prefix)
    ext_events = ctx.by_kind.get("extension", [])
    agreed = ctx.last("agreed_date")
    finished = bool(ctx.by_kind.get("determination") or ctx.by_kind.get("closed"))

    clocks: list[Clock] = []
    kinds = ["response"] + [
        k for k, r in law.clocks.items()
        if r.start in REQUEST_STARTS and k not in ("response", "expedited_decision")
    ]
    acks = ctx.by_kind.get("acknowledged")
    ack = acks[0] if acks else None
    ack_prefix: Trace = []
    ack_pauses: list[Pause] = []
    if ack is not None and any(law.clocks[k].start == "acknowledged" for k in kinds):
        ack_prefix.append(("from_event", "acknowledgment", ack[0]))
        ack_pauses = _pauses(ctx, ack[0], ack_prefix)
    options = [law.options[o] for o in sorted(law.applied_options)]
    for kind in kinds:
        rule = law.clocks[kind]
        trace: Trace = [("rule", rule, law.name, law.agency_name)]
        trace.extend(("option", o.label, o.citation) for o in options)
        if rule.unit == "none":
            trace.append(("text", rule.note or "The law sets no fixed period."))
            clocks.append(Clock(kind, rule.label, None, "none", rule.citation, status="n/a", steps=trace))
            continue
        rule_start, rule_include, rule_pauses = start, include_start, pauses
        if rule.start == "acknowledged":
            if ack is not None:
                trace.extend(ack_prefix)
                rule_start, rule_include, rule_pauses = ack[0], False, ack_pauses
            elif rule.start_fallback == "received":
                trace.append(("start_fallback", "acknowledgment"))
                trace.extend(prefix)
            else:
                trace.append(("start_pending", "acknowledgment"))
                clocks.append(Clock(kind, rule.label, None, rule.unit, rule.citation, status="n/a",
                                    length=rule.length, steps=trace))
                continue
        else:
            trace.extend(prefix)
        ext_len = 0
        if ext_events:
            if rule.extension is None:
                if kind == "response":
                    trace.append(("ext_none", ext_events[0][0]))
            else:
                ext_on, ext_ev = ext_events[0]
                want = (ext_ev.data or {}).get("days", rule.extension.length)
                ext_len = max(0, min(int(want), rule.extension.length))
                trace.append(("ext", ext_on, ext_len, rule.extension, int(want) != ext_len))
                if len(ext_events) > 1:
                    trace.append(("ext_more", len(ext_events) - 1))
        try:
            due: date | None = _run_period(rule, ctx, rule_start, rule_include, rule_pauses, trace, ext_len)
            status = "met" if finished else "open"
        except Paused as p:
            due, status = None, "paused"
            trace.append(("paused_open", p.since))
        _closures_note(ctx, rule, rule_start, due, trace)
        cite = rule.citation
        if ext_len and rule.extension is not None:
            cite = rule.extension.citation
        # An agreed date replaces the response deadline; where the law sets no period, it is the date to follow up
        # on instead of FOIA Tracker's default (the `follow_up` clock of such laws).
        if kind in ("response", "follow_up") and agreed is not None:
            new = _event_date(agreed[1], ctx.tz)
            trace.append(("agreed", agreed[0], new))
            due = new
            status = "met" if finished else "open"
            cite = ""
        if due is not None:
            trace.append(("due", due, cite))
        clocks.append(Clock(kind, rule.label, due, rule.unit, rule.citation, status=status, length=rule.length, steps=trace))

    if expedited:
        exp_rule = law.clocks.get("expedited_decision")
        if exp_rule is None:
            clocks.append(_na("expedited_decision", "Expedited processing decision", law.citation,
                              f"{law.name} provides no expedited-processing decision deadline."))
        else:
            trace = [("rule", exp_rule, law.name, law.agency_name), *receipt_steps]
            trace.append(("day1", first_start, include_start, law.receipt.citation))
            due = _run_period(exp_rule, ctx, first_start, include_start, (), trace)
            _closures_note(ctx, exp_rule, first_start, due, trace)
            trace.append(("due", due, exp_rule.citation))
            clocks.append(Clock("expedited_decision", exp_rule.label, due, exp_rule.unit, exp_rule.citation,
                                status="met" if finished else "open", length=exp_rule.length, steps=trace))

    est = ctx.last("estimated_completion")
    if est is not None:
        d = _event_date(est[1], ctx.tz)
        clocks.append(Clock("estimated_completion", "Agency's estimated completion date", d, "date",
                            "Agency estimate", status="met" if finished else "open",
                            steps=(("text", f"The agency estimated completion by {d.isoformat()} (given {est[0].isoformat()})."),)))
    return clocks



def _appeal_clocks(ctx: _Ctx) -> list[Clock]:
    law = ctx.law
    det = ctx.last("determination")
    filed = ctx.last("appeal_filed")
    out: list[Clock] = []
    why_none = law.appeal_note or f"{law.name} provides no administrative appeal."
    if det is not None:
        rule = law.clocks.get("appeal_filing")
        if not law.appeal_available or rule is None or rule.unit == "none":
            label = rule.label if rule else "Administrative appeal filing"
            note = (rule.note if rule and rule.note else why_none)
            out.append(_na("appeal_filing", label, rule.citation if rule else law.citation, note))
        else:
            trace: Trace = [("rule", rule, law.name, law.agency_name), ("from_det", det[0])]
            due = _run_period(rule, ctx, det[0], False, (), trace)
            _closures_note(ctx, rule, det[0], due, trace)
            trace.append(("due", due, rule.citation))
            met = filed is not None and filed[0] >= det[0]
            out.append(Clock("appeal_filing", rule.label, due, rule.unit, rule.citation,
                             status="met" if met else "open", length=rule.length, steps=trace))
    rule = law.clocks.get("appeal_decision")
    anchor = det if rule is not None and rule.start == "determination" else filed
    if anchor is not None:
        decided = bool(ctx.by_kind.get("appeal_decided") or ctx.by_kind.get("closed"))
        if not law.appeal_available or rule is None or rule.unit == "none":
            label = rule.label if rule else "Appeal decision"
            note = rule.note if rule and rule.note else why_none
            out.append(_na("appeal_decision", label, rule.citation if rule else law.citation, note))
        else:
            trace = [("rule", rule, law.name, law.agency_name)]
            if rule.start == "determination":
                trace.append(("from_det", anchor[0]))
                start = anchor[0]
            else:
                start = effective_receipt(anchor[1].on, law.receipt, ctx.calendars(rule)[0], ctx.tz,
                                          ctx.hours_end, trace, "appeal received")
                trace.append(("day1", start, False, law.receipt.citation))
            due = _run_period(rule, ctx, start, False, (), trace)
            _closures_note(ctx, rule, start, due, trace)
            trace.append(("due", due, rule.citation))
            out.append(Clock("appeal_decision", rule.label, due, rule.unit, rule.citation,
                             status="met" if decided else "open", length=rule.length, steps=trace))
    return out


#: Extra clocks started from a ledger event: the event kind, how explanations name it, and the events that
#: settle the clock (status "met").
_EVENT_STARTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "determination": ("determination", "determination", ("closed",)),
    "appeal_filed": ("appeal_filed", "appeal", ("appeal_decided", "closed")),
    "appeal_decided": ("appeal_decided", "appeal decision", ("closed",)),
}


def _event_clocks(ctx: _Ctx) -> list[Clock]:
    """Extra clocks (any kind but the four the engine names) that start from the determination, the appeal
    filing or the appeal decision: computed once that event is in the ledger (its last occurrence)."""
    law = ctx.law
    out: list[Clock] = []
    for kind, rule in law.clocks.items():
        if kind in KIND_STARTS or rule.start not in _EVENT_STARTS:
            continue
        event_kind, what, settled_by = _EVENT_STARTS[rule.start]
        anchor = ctx.last(event_kind)
        if anchor is None:
            continue
        settled = any(ctx.by_kind.get(k) for k in settled_by)
        status = "met" if settled else "open"
        trace: Trace = [("rule", rule, law.name, law.agency_name)]
        if rule.unit == "none":
            trace.append(("text", rule.note or "The law sets no fixed period."))
            out.append(Clock(kind, rule.label, None, "none", rule.citation, status="n/a", steps=trace))
            continue
        if rule.start == "appeal_filed":  # an appeal counts as received like a request
            start = effective_receipt(anchor[1].on, law.receipt, ctx.calendars(rule)[0], ctx.tz,
                                      ctx.hours_end, trace, "appeal received")
            trace.append(("day1", start, False, law.receipt.citation))
        else:
            start = anchor[0]
            trace.append(("from_event", what, start))
        due = _run_period(rule, ctx, start, False, (), trace)
        _closures_note(ctx, rule, start, due, trace)
        trace.append(("due", due, rule.citation))
        out.append(Clock(kind, rule.label, due, rule.unit, rule.citation, status=status, length=rule.length,
                         steps=trace))
    return out


_FEE_LABELS = {"fee_response": "Answer the fee estimate by", "fee_waiver_appeal": "Appeal the fee-waiver denial by"}


def _fee_clocks(ctx: _Ctx) -> list[Clock]:
    """The requester's time to answer a fee estimate and the window to appeal a fee-waiver denial (see
    ``foia.deadlines.fees.fee_clocks_input``); a date the agency's letter gave replaces the law's period."""
    law = ctx.law
    finished = bool(ctx.by_kind.get("determination") or ctx.by_kind.get("closed"))
    out: list[Clock] = []
    for kind, rule, start, fixed, settled, steps in fee_clocks_input(law, ctx.by_kind):
        label = rule.label if rule is not None else _FEE_LABELS[kind]
        status = "met" if settled or finished else "open"
        trace: Trace = [("rule", rule, law.name, law.agency_name)] if rule is not None else []
        trace.extend(steps)
        if fixed is not None:
            trace.append(("due", fixed, ""))
            out.append(Clock(kind, label, fixed, "date", rule.citation if rule else "the agency's letter",
                             status=status, steps=trace))
        elif rule is None or rule.unit == "none":
            out.append(Clock(kind, label, None, "none", rule.citation if rule else law.fees.citation or law.citation,
                             status="n/a", steps=trace))
        else:
            due = _run_period(rule, ctx, start, False, (), trace)
            trace.append(("due", due, rule.citation))
            out.append(Clock(kind, label, due, rule.unit, rule.citation, status=status, length=rule.length,
                             steps=trace))
    return out


def compute_clocks(
    law: Law,
    events: Sequence[LedgerEvent],
    *,
    agency: AgencyRules | None = None,
    closures: Iterable[Closure] = (),
    expedited: bool = False,
    options: Iterable[str] = (),
) -> list[Clock]:
    """All clocks for one request. Pure: same inputs, same outputs; reads no clock or I/O
    (apart from the cached law files). See the module docstring for the counting rules.

    ``closures`` are applied only to clocks whose law says closures extend them
    (``closures_extend``); ``options`` names the law's ``[options.<name>]`` that apply to the
    request (e.g. "commercial" for a New Jersey commercial request)."""
    if agency is not None and agency.slug and law.agency != agency.slug:
        law = law.for_agency(agency.slug)
    law = law.with_options(options)
    tz = (agency.timezone if agency is not None else None) or law.timezone
    hours_end = agency.business_hours_end if agency is not None else _FIVE_PM
    ctx = _Ctx(law, calendar_for(law.calendar), tz, hours_end, tuple(closures))
    indexed = sorted(
        ((local_date(ev.on, tz), i, ev) for i, ev in enumerate(events)), key=lambda t: (t[0], t[1])
    )
    for d, _, ev in indexed:
        ctx.by_kind.setdefault(ev.kind, []).append((d, ev))
    ctx.fees = fee_effects(law, [(d, ev) for d, _, ev in indexed])
    return _received_clocks(ctx, expedited) + _appeal_clocks(ctx) + _event_clocks(ctx) + _fee_clocks(ctx)
