"""Escalation clocks: the day a requester may go to court or to a reviewing body, and the last day to do so,
per law (``[escalation.<kind>]`` in its file), each with its citation and an explanation.

Pure, like the engine: computed from the law, the ledger and the request's clocks (``compute_clocks``), never
stored (they are not the agency's deadlines and plan no reminders). Starts:

* ``exhaustion`` (federal constructive exhaustion, 5 U.S.C. § 552(a)(6)(C)(i)): with no determination logged,
  the day after the response clock's last day (with its extension and tolls); while the clock is tolled there
  is no date. After a determination, the day the appeal was decided (actual exhaustion) or the day after the
  appeal-decision clock's last day; before an appeal is filed, none (appeal first).
* ``denial``: a window counted from the last determination (that day not counted) or, where the law makes
  silence a denial (``deemed_denial``), from the response clock's last day: a projected date, which holds if
  the agency does not answer by then.
* ``accrual``: a limitation counted from the date of another escalation (``accrual_from``), e.g. six years
  from constructive exhaustion (28 U.S.C. § 2401(a)).
* ``option``: a remedy with no window (OGIS mediation, 5 U.S.C. § 552(h)(3)); shown with its citation.

Windows in months or years end on the same day of the month (the last day of a shorter month), without a
roll-forward unless the rule names one: the conservative date.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable, Sequence
from datetime import date

from foia.deadlines.calendars import calendar_for
from foia.deadlines.counting import ONE_DAY, Trace, count_business_days, count_calendar_days, roll_forward
from foia.deadlines.engine import Clock
from foia.deadlines.explain import fmt_date
from foia.deadlines.laws import EscalationRule, Law
from foia.deadlines.ledger import AgencyRules, LedgerEvent, local_date

__all__ = ["add_months", "escalation_clocks"]


def add_months(d: date, months: int) -> date:
    """``d`` plus ``months`` months, on the same day or the last day of a shorter month."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, _calendar.monthrange(year, month)[1]))


def _window(rule: EscalationRule, law: Law, anchor: date, trace: Trace) -> date:
    assert rule.length is not None
    if rule.unit in ("months", "years"):
        months = rule.length * (12 if rule.unit == "years" else 1)
        due = add_months(anchor, months)
        trace.append(("text", f"{rule.length} {rule.unit if rule.length != 1 else rule.unit[:-1]} after "
                              f"{fmt_date(anchor)}: {fmt_date(due)}."))
    elif rule.unit == "business_days":
        due = count_business_days(calendar_for(law.calendar), anchor, rule.length, include_start=False, trace=trace)
        trace.append(("base_due", due, rule.as_clock_rule(), False))
    else:
        due = count_calendar_days(anchor, rule.length, include_start=False, trace=trace)
        trace.append(("base_due", due, rule.as_clock_rule(), False))
    if rule.roll != "none":
        before = len(trace)
        due = roll_forward(calendar_for(law.roll_calendar or law.calendar), due, trace,
                           saturday_counts=rule.roll == "next_day_not_sunday_or_holiday")
        if len(trace) > before and rule.roll_citation:
            trace.append(("roll_cite", rule.roll_citation))
    else:
        trace.append(("text", "No roll-forward is applied: the conservative date."))
    return due


def _head(rule: EscalationRule, law: Law) -> Trace:
    trace: Trace = [("text", f"{rule.label}: {rule.citation} ({law.name}).")]
    if rule.note:
        trace.append(("text", f"Note: {rule.note}"))
    return trace


def escalation_clocks(law: Law, clocks: Sequence[Clock], events: Sequence[LedgerEvent], *,
                      agency: AgencyRules | None = None, options: Iterable[str] = ()) -> list[Clock]:
    """The escalation dates of one request (see the module docstring), in the law file's order."""
    if agency is not None and agency.slug and law.agency != agency.slug:
        law = law.for_agency(agency.slug)
    law = law.with_options(options)
    if not law.escalations:
        return []
    tz = (agency.timezone if agency is not None else None) or law.timezone
    by_kind: dict[str, list[date]] = {}
    for ev in events:
        by_kind.setdefault(ev.kind, []).append(local_date(ev.on, tz))
    for days in by_kind.values():
        days.sort()
    clock_of = {c.kind: c for c in clocks}
    response = clock_of.get("response")
    closed = bool(by_kind.get("closed"))
    dates: dict[str, date | None] = {}
    out: dict[str, Clock] = {}
    order = sorted(law.escalations.values(), key=lambda r: r.start == "accrual")  # accruals after their anchors
    for rule in order:
        trace = _head(rule, law)
        due: date | None = None
        why_none = ""
        if rule.start == "option":
            trace.append(("text", "An option, with no deadline of its own."))
            out[rule.kind] = Clock(rule.kind, rule.label, None, "none", rule.citation, status="option", steps=trace)
            dates[rule.kind] = None
            continue
        if rule.start == "exhaustion":
            due, why_none = _exhaustion(by_kind, clock_of, closed, trace)
        elif rule.start == "denial":
            anchor: date | None = None
            if by_kind.get("determination"):
                anchor = by_kind["determination"][-1]
                trace.append(("from_event", "denial (determination)", anchor))
            elif closed:
                why_none = "The request is closed with no denial logged."
            elif rule.deemed_denial and response is not None and response.due is not None:
                anchor = response.due
                trace.append(("text", f"No determination logged: if the agency has not answered by "
                                      f"{fmt_date(anchor)} (the response clock's last day), its silence is a "
                                      f"denial ({rule.deemed_citation}), and this window runs from then."))
            elif rule.deemed_denial and response is not None and response.status == "paused":
                why_none = "The response clock is stopped (tolled): no deemed denial until it runs again."
            else:
                why_none = "No denial logged yet: the window opens with the agency's denial."
            if anchor is not None:
                due = _window(rule, law, anchor, trace)
        else:  # accrual
            anchor = dates.get(rule.accrual_from)
            source = law.escalations[rule.accrual_from]
            if anchor is None:
                why_none = f"The claim has not accrued yet: it accrues on the date of “{source.label}”."
            else:
                trace.append(("text", f"The claim accrues {fmt_date(anchor)} ({source.label.lower()})."))
                due = _window(rule, law, anchor, trace)
        dates[rule.kind] = due
        if due is None:
            trace.append(("text", why_none))
            out[rule.kind] = Clock(rule.kind, rule.label, None, rule.unit, rule.citation, status="n/a", steps=trace)
        else:
            trace.append(("due", due, rule.citation))
            out[rule.kind] = Clock(rule.kind, rule.label, due, rule.unit, rule.citation,
                                   status="met" if closed else "open", length=rule.length, steps=trace)
    return [out[k] for k in law.escalations]


def _exhaustion(by_kind: dict[str, list[date]], clock_of: dict[str, Clock], closed: bool,
                trace: Trace) -> tuple[date | None, str]:
    dets = by_kind.get("determination")
    if not dets:
        if closed:
            return None, "The request is closed with no determination logged."
        response = clock_of.get("response")
        if response is None or response.status == "n/a":
            return None, "No response clock yet (the request has not been received)."
        if response.due is None:
            return None, "The response clock is stopped (tolled): no date until it runs again."
        day = response.due + ONE_DAY
        trace.append(("text", f"No determination logged: the response time (with any extension and tolls) ends "
                              f"{fmt_date(response.due)}; from {fmt_date(day)} the requester is deemed to have "
                              f"exhausted administrative remedies and may sue."))
        return day, ""
    decided = [d for d in by_kind.get("appeal_decided", ()) if d >= dets[-1]]
    if decided:
        trace.append(("text", f"The appeal was decided {fmt_date(decided[-1])}: administrative remedies are "
                              f"exhausted that day."))
        return decided[-1], ""
    filed = [d for d in by_kind.get("appeal_filed", ()) if d >= dets[-1]]
    appeal = clock_of.get("appeal_decision")
    if filed and appeal is not None and appeal.due is not None:
        day = appeal.due + ONE_DAY
        trace.append(("text", f"Appeal filed {fmt_date(filed[-1])}, decision due {fmt_date(appeal.due)}: with no "
                              f"decision by then, from {fmt_date(day)} the requester may sue."))
        return day, ""
    return None, (f"A determination was logged {fmt_date(dets[-1])}: file the administrative appeal first "
                  "(see its window); court follows the appeal.")
