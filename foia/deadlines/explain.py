"""Turn the engine's trace steps into plain-language lines (built only when asked for)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time

from foia.deadlines.laws import UNIT_WORDS, ClockRule, ExtensionRule

__all__ = ["fmt_date", "render"]


def fmt_date(d: date) -> str:
    return f"{d:%a} {d.isoformat()}"


def _rule(rule: ClockRule, law_name: str, agency_name: str) -> str:
    who = f" (agency rule: {agency_name})" if agency_name else ""
    if rule.unit == "none":
        return f"{rule.label}: {law_name}{who} sets no fixed period ({rule.citation})."
    return f"{rule.label}: {rule.period_text} under {law_name}{who}, {rule.citation}."


def _day1(start: date, include_start: bool, citation: str) -> str:
    cite = f" ({citation})" if citation else ""
    if include_start:
        return f"Counts as received {fmt_date(start)}; the day of receipt is day 1{cite}."
    return f"Counts as received {fmt_date(start)}; that day is not counted, day 1 is the next day{cite}."


def _stamp(what: str, local: datetime, tz: str) -> str:
    return f"{what.capitalize()} at {local:%Y-%m-%d %H:%M} {tz}."


def _after(what: str, local: datetime, end: time, nxt: date) -> str:
    return f"{local:%H:%M} is at or after business hours end ({end:%H:%M}): treated as {what} on {fmt_date(nxt)} or the next working day."


def _ext(on: date, n: int, ext: ExtensionRule, capped: bool) -> str:
    extra = f" (capped at the maximum of {ext.length})" if capped else ""
    unit = UNIT_WORDS[ext.unit]
    return f"Extension invoked {fmt_date(on)}: +{n} {unit}{'' if n == 1 else 's'}{extra} after the unextended last day, {ext.citation}."


def _closures_ignored(days: tuple[tuple[date, str], ...], citation: str) -> str:
    listed = ", ".join(f"{fmt_date(d)} ({n})" for d, n in days)
    why = citation or "the law excepts only the days its own calendar lists"
    return f"Office closure(s) not counted for this clock: {listed}; {why}."


_FORMATS: dict[str, Callable[..., str]] = {
    "text": lambda s: s,
    "rule": _rule,
    "on": lambda what, d: f"{what.capitalize()} {fmt_date(d)}.",
    "stamp": _stamp,
    "after_hours": _after,
    "recv_skip": lambda d, r: f"Not a working day: {fmt_date(d)} ({r}).",
    "recv_moved": lambda what, a, b: f"A request {what} on a non-working day counts as {what} on the next working day: {fmt_date(b)}.",
    "restart": lambda d, c: f"Clock restarted {fmt_date(d)} (clarification), {c}." if c else f"Clock restarted {fmt_date(d)}.",
    "restart_ignored": lambda d, m: f"Restart on {fmt_date(d)} ignored: this law's tolling model is '{m}', not a restart.",
    "day1": _day1,
    "toll": lambda s, e, c: f"Tolled from {fmt_date(s)} (question sent; counts if a working day) to {fmt_date(e)} (answer received); counting resumes {fmt_date(e.fromordinal(e.toordinal() + 1))}. {c}".rstrip(),
    "toll_open": lambda s, c: f"Tolled since {fmt_date(s)}, awaiting the requester's answer. {c}".rstrip(),
    "toll_ignored": lambda m, c: f"Toll events ignored: this law's tolling model is '{m}'{', ' + c if c else ''}.",
    "toll_before_start": lambda d: f"Toll event on {fmt_date(d)} is before the clock started; ignored.",
    "toll_end_unmatched": lambda d: f"Toll end on {fmt_date(d)} has no matching start; ignored.",
    "skip": lambda d, r: f"Skipped {fmt_date(d)}: {r}.",
    "paused": lambda a, b, s, e: f"Paused {fmt_date(a)} through {fmt_date(b)} (toll {s.isoformat()} to {e.isoformat()}).",
    "paused_open": lambda s: f"Clock stopped: tolled since {fmt_date(s)}; no due date until the requester answers.",
    "base_due": lambda d, rule, ext: f"{'Unextended last' if ext else 'Last'} day of the {rule.period_text}: {fmt_date(d)}.",
    "ext": _ext,
    "ext_more": lambda n: f"{n} further extension event(s) ignored: the law allows one extension.",
    "ext_none": lambda d: f"Extension on {fmt_date(d)} ignored: this law sets no fixed extension.",
    "ext_due": lambda d: f"Extended last day: {fmt_date(d)}.",
    "roll": lambda d, r: f"{fmt_date(d)} is not a working day ({r}); the deadline moves forward.",
    "rolled": lambda a, b: f"Last day rolled from {fmt_date(a)} to {fmt_date(b)}.",
    "agreed": lambda on, d: f"Date agreed with the requester on {fmt_date(on)}: the deadline is {fmt_date(d)}.",
    "from_det": lambda d: f"Counted from the determination dated {fmt_date(d)} (that day not counted).",
    "due": lambda d, cite: f"Due {fmt_date(d)}" + (f" — {cite}." if cite else "."),
    "roll_cite": lambda c: f"Roll-forward: {c}.",
    "roll_sunday": lambda d, r: (f"{fmt_date(d)} is a Sunday or legal holiday ({r}); the last day moves to the next "
                                 "day that is neither (a Saturday counts)."),
    "saturday_stays": lambda d: (f"{fmt_date(d)} is a Saturday, not a Sunday or legal holiday: the last day stays "
                                 "(only a Sunday or legal holiday moves it)."),
    "from_event": lambda what, d: f"Counted from the {what} dated {fmt_date(d)} (that day not counted).",
    "start_fallback": lambda what: (f"The law counts this period from the {what}, not logged yet: counted from receipt "
                                    f"for now, the earliest it can end; it moves when the {what} is logged."),
    "start_pending": lambda what: f"The law counts this period from the {what}, not logged yet: no date until it is.",
    "deferral_cite": lambda c: f"Deferred receipt: {c}.",
    "closures_ignored": _closures_ignored,
    "toll_limit": lambda d, reason, n, c: (
        f"Toll from {fmt_date(d)} ignored: the law allows {'only one' if n == 1 else n} toll"
        f"{'' if n == 1 else 's'} for {reason}{', ' + c if c else ''}; the clock keeps running."),
    "fees_not_encoded": lambda name: (f"Fee steps are recorded but move no clock here: {name}'s fee rules are not "
                                      "encoded in FOIA Tracker."),
    "fee_info": lambda d, what, why: f"{what.capitalize()} {fmt_date(d)}: {why}.",
    "fee_toll": lambda s, e, what, c: (f"Tolled for fees from {fmt_date(s)} ({what}; counts if a working day) to "
                                       f"{fmt_date(e)} (answered, paid or waived); counting resumes "
                                       f"{fmt_date(e.fromordinal(e.toordinal() + 1))}. {c}").rstrip(),
    "fee_toll_open": lambda s, what, c: (f"Tolled for fees since {fmt_date(s)} ({what}), awaiting the requester's "
                                         f"answer or payment. {c}").rstrip(),
    "fee_restart": lambda d, c: (f"Advance payment received {fmt_date(d)}: the request counts as received that day"
                                 + (f", {c}." if c else ".")),
    "fee_respond_by": lambda d: f"The agency's letter asks for an answer by {fmt_date(d)}.",
    "option": lambda label, c: f"Applies: {label}{' (' + c + ')' if c else ''}.",
}


def render(steps: Sequence[tuple]) -> list[str]:
    lines: list[str] = []
    for s in steps:
        if s[0] == "skips":  # ("skips", calendar, first, last): expand lazily
            lines.extend(f"Skipped {fmt_date(d)}: {r}." for d, r in s[1].non_working_between(s[2], s[3]))
        elif s[0] == "ext":
            lines.append(_ext(*s[1:]))
            if s[3].note:
                lines.append(f"Note: {s[3].note}")
        elif s[0] == "rule":
            lines.append(_rule(*s[1:]))
            if s[1].note and s[1].unit != "none":
                lines.append(f"Note: {s[1].note}")
        else:
            lines.append(_FORMATS[s[0]](*s[1:]))
    return lines

