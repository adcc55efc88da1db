"""Laws as data: parse ``foia/laws/<slug>.toml`` into frozen dataclasses.

Schema (brief; see any law file for a full example)::

    slug, name, jurisdiction, citation, calendar, timezone   # top level
    roll_calendar             # optional: the calendar a last day is rolled on (default: calendar)
    [receipt]   day_counts, after_hours_next_day, nonworking_next_day, deferral_citation, citation, note
                (both deferrals are off unless the law or agency rule says so, with its citation)
    [tolling]   model = "pause" | "restart" | "none", citation, note,
                limits = { <reason> = n, ... }, limits_citation   # e.g. information = 1
    [appeal]    available (bool), note, citation
    [clocks.<kind>]   label, length, unit = "business_days"|"calendar_days"|"none",
                      start = "received"|"acknowledged"|"determination"|"appeal_filed"|"appeal_decided",
                      start_fallback = "received"   # only with start = "acknowledged": count from receipt
                                                    # (the earliest end) until an acknowledgment is logged
                      roll = "next_working_day"|"next_day_not_sunday_or_holiday"|"none",
                      (next_day_not_sunday_or_holiday: a last day on a Sunday or a calendar holiday moves
                       to the next day that is neither; a Saturday is a day like any other)
                      citation (printed in letters: the rule itself), roll_citation (explanations only),
                      closures_extend (bool, default false), closures_citation, note,
                      verified (bool: checked against the primary text), source (URL of that text)
    [clocks.<kind>.extension]   length, unit, citation, note
    [options.<name>]      label, citation, note, and tables deep-merged over the law when the
                          option applies to a request (e.g. a commercial request's clock)
    [agencies."<globs>"]  name, citation, and any of the tables above to override; "<globs>" is one or
                          more globs separated by "|" (e.g. "dhs|dhs-*": DHS and its components)
                          (deep-merged over the law for matching agency slugs)
    [letter]    letter wording, every value a string except fee_categories (bool);
                empty or absent = the sentence is written without it (see LETTER_KEYS)
    [[exemptions]]   code, label   (one table per exemption, in statute order)
    [fees]      citation, charges, note, verified, source: the law's fee rules, each with its citation
                (a law without the table: "not encoded", fee events are recorded and move no clock);
                estimate_effect = "pause"|"none", estimate_citation: what a fee estimate that asks the
                requester to answer does to the request's clocks; advance_payment_effect =
                "pause"|"restart_on_payment"|"none", advance_payment_over (dollars: only a larger
                advance payment has that effect), advance_payment_citation
    [fees.estimate_response]   a clock table: the requester's time to answer a fee estimate
                               (label, length, unit, roll, citation, note, verified, consequence)
    [fees.waiver_appeal]       a clock table: the window to appeal a fee-waiver denial
    [escalation.<kind>]  label, start = "exhaustion"|"denial"|"accrual"|"option", length, unit =
                "calendar_days"|"business_days"|"months"|"years"|"none", roll, citation, roll_citation,
                note, verified, source, deemed_denial (bool: silence past the response clock is a denial),
                deemed_citation, accrual_from (start = "accrual": the escalation kind whose date the
                claim accrues on). See foia.deadlines.escalation.

Clock kinds used by the engine: response, expedited_decision, appeal_filing,
appeal_decision; any other kind is an extra clock computed the same way, from the start
its ``start`` names (see :data:`KIND_STARTS` for what each kind may start from; the loader
refuses any other combination rather than ignore it). A clock started from an event
(acknowledged, determination, appeal_filed, appeal_decided) is computed once that event is
in the ledger (the last one; the first acknowledgment); the day of the event is not counted.
Only a clock started from receipt or the acknowledgment takes the request's extension and tolls.

Where laws live: the built-in ``foia/laws/`` first, then any extra directories given
to :func:`set_laws_dirs` (the app passes ``FOIA_LAWS_DIRS``); the first file named
``<slug>.toml`` wins. The set of law files *is* the list of laws: adding a
jurisdiction is adding its file (plus tests), nothing else.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fnmatch import fnmatchcase
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from foia.deadlines.calendars import calendar_ids

__all__ = [
    "LAWS_DIR",
    "LETTER_KEYS",
    "ClockRule",
    "EscalationRule",
    "ExtensionRule",
    "FeeRules",
    "Law",
    "LawOption",
    "ReceiptRule",
    "TollingRule",
    "closures_count_on",
    "law_slugs",
    "laws_dirs",
    "load_law",
    "reset_law_cache",
    "set_laws_dirs",
]

LAWS_DIR = Path(__file__).resolve().parent.parent / "laws"
UNITS = ("business_days", "calendar_days", "none")
STARTS = ("received", "acknowledged", "determination", "appeal_filed", "appeal_decided")
#: The starts each engine clock kind can be computed from; any other kind (an extra clock) takes any start.
KIND_STARTS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "response": ("received",),
    "expedited_decision": ("received",),
    "appeal_filing": ("determination",),
    "appeal_decision": ("appeal_filed", "determination"),
})
#: Starts whose clocks run while the request is pending: they take the extension and tolls.
REQUEST_STARTS = ("received", "acknowledged")
ROLLS = ("next_working_day", "next_day_not_sunday_or_holiday", "none")
TOLLING_MODELS = ("pause", "restart", "none")
UNIT_WORDS = {"business_days": "working day", "calendar_days": "calendar day"}
SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")

#: Keys of a law's ``[letter]`` table and their type. All are optional; ``name`` and
#: ``citation`` default to the law's own. The last five are plain-text paragraphs that
#: ``letters/laws/_default.html`` writes for a law without its own macro file.
LETTER_KEYS: Mapping[str, type] = MappingProxyType({
    "name": str, "short": str, "citation": str,            # law's name, short name, citation
    "response_period": str, "response_citation": str,      # default clock and its source
    "officer": str,                                        # who receives requests
    "format_citation": str,                                # right to the requested/electronic form
    "fee_citation": str, "fee_categories": bool,           # fees; true when the law has categories
    "fee_waiver_citation": str,                            # fee waiver in the public interest
    "expedited_citation": str, "expedited_certification_citation": str, "expedited_decision": str,
    "segregable_citation": str,                            # release of segregable portions
    "reasons_citation": str,                               # duty to state the basis of a withholding
    "request_heading": str, "followup_heading": str, "appeal_heading": str,
    "appeal_label": str,                                   # what the third letter is ("appeal", "demand")
    "appeal_citation": str, "appeal_window": str,          # where that step comes from; when to file it
    "appeal_decision_period": str, "appeal_decision_citation": str,
    "request_note": str, "followup_note": str,             # extra paragraphs (default macros only)
    "appeal_grounds": str, "appeal_next_step": str, "appeal_copies": str,
    "no_response": str,                                    # what silence means, with its citation ("" = nothing)
    "fee_waiver_factors_citation": str,                    # the regulation listing the fee-waiver factors
})


def period_text(length: int | None, unit: str) -> str:
    """"20 working days", "10 calendar days", "no fixed period"."""
    if length is None or unit == "none":
        return "no fixed period"
    word = UNIT_WORDS[unit]
    return f"{length} {word}{'' if length == 1 else 's'}"


@dataclass(frozen=True)
class ExtensionRule:
    length: int
    unit: str
    citation: str
    note: str = ""


@dataclass(frozen=True)
class ClockRule:
    kind: str
    label: str
    length: int | None
    unit: str
    start: str
    roll: str
    citation: str  # the rule itself, as letters print it
    note: str = ""
    extension: ExtensionRule | None = None
    roll_citation: str = ""  # where the roll-forward comes from (explanations only)
    closures_extend: bool = False  # do ad-hoc office closures extend this clock?
    closures_citation: str = ""  # why (or why not)
    # Checked against the primary text? True / False (say why in `note`), None = not recorded. `source`: where
    # the number was read (a URL to the official text). The coverage page shows both.
    verified: bool | None = None
    source: str = ""
    start_fallback: str = ""  # start = "acknowledged": "received" = count from receipt until it is logged

    @property
    def period_text(self) -> str:
        return period_text(self.length, self.unit)


@dataclass(frozen=True)
class ReceiptRule:
    """When a request counts as received. No deferral unless a source says so: a request that
    arrives on a weekend, a holiday or after hours is received that day, unless the law or the
    agency's rule (``deferral_citation``) defers it to the next working day."""

    day_counts: bool = False
    after_hours_next_day: bool = False
    nonworking_next_day: bool = False
    deferral_citation: str = ""
    citation: str = ""
    note: str = ""


@dataclass(frozen=True)
class TollingRule:
    model: str = "none"
    citation: str = ""
    note: str = ""
    #: How many tolls of each reason the law allows (a reason not listed: unlimited). A toll's
    #: reason is ``data["reason"]`` on its ``toll_start`` event; without one it is "information".
    limits: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    limits_citation: str = ""


FEE_EFFECTS = ("pause", "none")
ADVANCE_EFFECTS = ("pause", "restart_on_payment", "none")
ESCALATION_STARTS = ("exhaustion", "denial", "accrual", "option")
ESCALATION_UNITS = ("calendar_days", "business_days", "months", "years", "none")


@dataclass(frozen=True)
class FeeRules:
    """A law's fee rules (``[fees]``). ``encoded`` is False for a law without the table: FOIA Tracker
    records its fee events but does not know what they do to its clocks, and says so."""

    encoded: bool = False
    citation: str = ""
    charges: str = ""
    note: str = ""
    verified: bool | None = None
    source: str = ""
    estimate_effect: str = "none"
    estimate_citation: str = ""
    advance_payment_effect: str = "none"
    advance_payment_over: Decimal | None = None
    advance_payment_citation: str = ""
    estimate_response: ClockRule | None = None
    estimate_consequence: str = ""
    waiver_appeal: ClockRule | None = None


@dataclass(frozen=True)
class EscalationRule:
    """When a requester may (or must) go to court or to a reviewing body (``[escalation.<kind>]``)."""

    kind: str
    label: str
    start: str
    length: int | None
    unit: str
    citation: str
    roll: str = "none"
    roll_citation: str = ""
    note: str = ""
    verified: bool | None = None
    source: str = ""
    deemed_denial: bool = False
    deemed_citation: str = ""
    accrual_from: str = ""

    def as_clock_rule(self) -> ClockRule:
        """The window as a day-counting rule (calendar or business days only)."""
        return ClockRule(kind=self.kind, label=self.label, length=self.length, unit=self.unit, start="received",
                         roll=self.roll, citation=self.citation, note=self.note, roll_citation=self.roll_citation)


@dataclass(frozen=True)
class LawOption:
    """A per-request option that changes the law's clocks (``[options.<name>]``)."""

    name: str
    label: str
    citation: str
    note: str = ""


@dataclass(frozen=True)
class Law:
    slug: str
    name: str
    jurisdiction: str
    citation: str
    calendar: str
    timezone: str
    receipt: ReceiptRule
    tolling: TollingRule
    clocks: Mapping[str, ClockRule]
    appeal_available: bool
    appeal_note: str = ""
    appeal_citation: str = ""
    agency: str | None = None  # agency slug this view was specialised for
    agency_name: str = ""
    exemptions: tuple[tuple[str, str], ...] = ()  # (code, label), statute order
    letter: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))  # see LETTER_KEYS
    roll_calendar: str = ""  # "" = the counting calendar
    options: Mapping[str, LawOption] = field(default_factory=lambda: MappingProxyType({}))
    applied_options: frozenset[str] = frozenset()
    fees: FeeRules = FeeRules()
    escalations: Mapping[str, EscalationRule] = field(default_factory=lambda: MappingProxyType({}))

    def __hash__(self) -> int:
        return hash((self.slug, self.agency, self.applied_options))

    @property
    def closures_count(self) -> bool:
        """Whether ad-hoc closures extend this law's response clock (what "working days left" uses)."""
        return self.response.closures_extend

    def with_options(self, options: Iterable[str]) -> Law:
        """This law with the ``[options.<name>]`` overrides for ``options`` applied (unknown names ignored)."""
        wanted = frozenset(o for o in options if o in self.options)
        if not wanted or wanted == self.applied_options:
            return self
        return _law_with_options(self.slug, self.agency or "", wanted)

    @property
    def has_appeal(self) -> bool:
        return self.appeal_available

    @property
    def response(self) -> ClockRule:
        return self.clocks["response"]

    @property
    def response_length(self) -> int | None:
        return self.response.length

    @property
    def response_unit(self) -> str:
        return self.response.unit

    @property
    def response_period_text(self) -> str:
        return self.response.period_text

    def clock(self, kind: str) -> ClockRule | None:
        return self.clocks.get(kind)

    def for_agency(self, agency_slug: str | None) -> Law:
        """This law with the overrides for ``agency_slug`` applied (cached)."""
        if not agency_slug:
            return self
        return _law_for_agency(self.slug, agency_slug)


# ---------------------------------------------------------------------------


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _need(table: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise ValueError(f"{where}: missing {key!r}")
    return table[key]


def _parse_clock(kind: str, t: Mapping[str, Any], where: str) -> ClockRule:
    unit = t.get("unit", "none")
    if unit not in UNITS:
        raise ValueError(f"{where}: unit {unit!r} not in {UNITS}")
    length = t.get("length")
    if unit != "none" and not (isinstance(length, int) and length > 0):
        raise ValueError(f"{where}: a {unit} clock needs a positive integer length")
    start = t.get("start", "received")
    if start not in STARTS:
        raise ValueError(f"{where}: start {start!r} not in {STARTS}")
    allowed = KIND_STARTS.get(kind, STARTS)
    if start not in allowed:
        raise ValueError(f"{where}: a {kind!r} clock cannot start from {start!r} (the engine computes it from "
                         f"{' or '.join(allowed)}); use an extra clock kind for a period counted from {start!r}")
    fallback = t.get("start_fallback", "")
    if fallback and (start != "acknowledged" or fallback != "received"):
        raise ValueError(f"{where}: start_fallback = {fallback!r} is only understood as \"received\" on a clock "
                         f"with start = \"acknowledged\"")
    if "extension" in t and start not in REQUEST_STARTS:
        raise ValueError(f"{where}: an extension applies only to a clock counted from {' or '.join(REQUEST_STARTS)} "
                         f"(the extension event is the request's), not from {start!r}")
    roll = t.get("roll", "next_working_day")
    if roll not in ROLLS:
        raise ValueError(f"{where}: roll {roll!r} not in {ROLLS}")
    ext = None
    if "extension" in t:
        e = t["extension"]
        ew = f"{where}.extension"
        eunit = _need(e, "unit", ew)
        if eunit not in ("business_days", "calendar_days"):
            raise ValueError(f"{ew}: bad unit {eunit!r}")
        ext = ExtensionRule(int(_need(e, "length", ew)), eunit, _need(e, "citation", ew), e.get("note", ""))
    closures_extend = t.get("closures_extend", False)
    if not isinstance(closures_extend, bool):
        raise ValueError(f"{where}: closures_extend must be true or false")
    if closures_extend and not t.get("closures_citation"):
        raise ValueError(f"{where}: closures_extend = true needs a closures_citation (the law that says so)")
    return ClockRule(
        kind=kind,
        label=_need(t, "label", where),
        length=length if unit != "none" else None,
        unit=unit,
        start=start,
        roll=roll,
        citation=_need(t, "citation", where),
        note=t.get("note", ""),
        extension=ext,
        roll_citation=t.get("roll_citation", ""),
        closures_extend=closures_extend,
        closures_citation=t.get("closures_citation", ""),
        verified=_verified(t, where),
        source=str(t.get("source", "")),
        start_fallback=fallback,
    )


def _verified(t: Mapping[str, Any], where: str) -> bool | None:
    value = t.get("verified")
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"{where}: verified must be true or false")
    return value


def _parse_exemptions(items: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(items, list):
        raise ValueError(f"{where}: 'exemptions' must be [[exemptions]] tables, got {type(items).__name__}")
    out: list[tuple[str, str]] = []
    for n, item in enumerate(items, 1):
        ew = f"{where} exemptions #{n}"
        if not isinstance(item, Mapping):
            raise ValueError(f"{ew}: must be a table with code and label")
        extra = set(item) - {"code", "label"}
        if extra:
            raise ValueError(f"{ew}: unknown key(s) {', '.join(sorted(extra))}; expected code, label")
        code, label = _need(item, "code", ew), _need(item, "label", ew)
        if not (isinstance(code, str) and code.strip() and isinstance(label, str) and label.strip()):
            raise ValueError(f"{ew}: code and label must be non-empty strings")
        out.append((code, label))
    codes = [c for c, _ in out]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise ValueError(f"{where}: exemption code(s) listed twice: {', '.join(dupes)}")
    return tuple(out)


def _parse_letter(table: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(table, Mapping):
        raise ValueError(f"{where}: [letter] must be a table, got {type(table).__name__}")
    for key, value in table.items():
        want = LETTER_KEYS.get(key)
        if want is None:
            raise ValueError(f"{where} [letter]: unknown key {key!r}; known: {', '.join(LETTER_KEYS)}")
        if type(value) is not want:
            raise ValueError(f"{where} [letter].{key}: expected {want.__name__}, got {type(value).__name__}")
    return MappingProxyType(dict(table))


_FEE_KEYS = frozenset({"citation", "charges", "note", "verified", "source", "estimate_effect", "estimate_citation",
                       "advance_payment_effect", "advance_payment_over", "advance_payment_citation",
                       "estimate_response", "waiver_appeal"})


def _parse_fees(table: Any, where: str) -> FeeRules:
    if table is None:
        return FeeRules()
    w = f"{where} [fees]"
    if not isinstance(table, Mapping):
        raise ValueError(f"{w}: must be a table")
    extra = set(table) - _FEE_KEYS
    if extra:
        raise ValueError(f"{w}: unknown key(s) {', '.join(sorted(extra))}")
    if not table.get("citation"):
        raise ValueError(f"{w}: needs the citation of the law's fee provision")
    est = table.get("estimate_effect", "none")
    if est not in FEE_EFFECTS:
        raise ValueError(f"{w}: estimate_effect {est!r} not in {FEE_EFFECTS}")
    adv = table.get("advance_payment_effect", "none")
    if adv not in ADVANCE_EFFECTS:
        raise ValueError(f"{w}: advance_payment_effect {adv!r} not in {ADVANCE_EFFECTS}")
    if est != "none" and not table.get("estimate_citation"):
        raise ValueError(f"{w}: estimate_effect = {est!r} needs an estimate_citation")
    if adv != "none" and not table.get("advance_payment_citation"):
        raise ValueError(f"{w}: advance_payment_effect = {adv!r} needs an advance_payment_citation")
    over = table.get("advance_payment_over")
    if over is not None and not (isinstance(over, int | float) and over >= 0):
        raise ValueError(f"{w}: advance_payment_over must be a number of dollars")
    response = consequence = None
    if "estimate_response" in table:
        t = dict(table["estimate_response"])
        consequence = str(t.pop("consequence", ""))
        response = _parse_clock("fee_response", t, f"{w}.estimate_response")
    appeal = None
    if "waiver_appeal" in table:
        appeal = _parse_clock("fee_waiver_appeal", table["waiver_appeal"], f"{w}.waiver_appeal")
    return FeeRules(
        encoded=True, citation=table["citation"], charges=str(table.get("charges", "")),
        note=str(table.get("note", "")), verified=_verified(table, w), source=str(table.get("source", "")),
        estimate_effect=est, estimate_citation=str(table.get("estimate_citation", "")),
        advance_payment_effect=adv,
        advance_payment_over=Decimal(str(over)) if over is not None else None,
        advance_payment_citation=str(table.get("advance_payment_citation", "")),
        estimate_response=response, estimate_consequence=consequence or "", waiver_appeal=appeal,
    )


_ESCALATION_KEYS = frozenset({"label", "start", "length", "unit", "roll", "roll_citation", "citation", "note",
                              "verified", "source", "deemed_denial", "deemed_citation", "accrual_from"})


def _parse_escalations(table: Any, where: str) -> Mapping[str, EscalationRule]:
    if not isinstance(table, Mapping):
        raise ValueError(f"{where}: [escalation] must be a table of tables")
    out: dict[str, EscalationRule] = {}
    for kind, t in table.items():
        w = f"{where} escalation.{kind}"
        if not isinstance(t, Mapping):
            raise ValueError(f"{w}: must be a table")
        extra = set(t) - _ESCALATION_KEYS
        if extra:
            raise ValueError(f"{w}: unknown key(s) {', '.join(sorted(extra))}")
        start = t.get("start", "")
        if start not in ESCALATION_STARTS:
            raise ValueError(f"{w}: start {start!r} not in {ESCALATION_STARTS}")
        unit = t.get("unit", "none")
        if unit not in ESCALATION_UNITS:
            raise ValueError(f"{w}: unit {unit!r} not in {ESCALATION_UNITS}")
        length = t.get("length")
        if unit != "none" and not (isinstance(length, int) and length > 0):
            raise ValueError(f"{w}: a {unit} window needs a positive integer length")
        if start == "option" and unit != "none":
            raise ValueError(f"{w}: an option has no window (unit = \"none\")")
        roll = t.get("roll", "none")
        if roll not in ROLLS:
            raise ValueError(f"{w}: roll {roll!r} not in {ROLLS}")
        if start == "accrual" and t.get("accrual_from") not in table:
            raise ValueError(f"{w}: start = \"accrual\" needs accrual_from naming another escalation")
        deemed = t.get("deemed_denial", False)
        if not isinstance(deemed, bool) or (deemed and not t.get("deemed_citation")):
            raise ValueError(f"{w}: deemed_denial must be true or false, and true needs a deemed_citation")
        out[kind] = EscalationRule(
            kind=kind, label=_need(t, "label", w), start=start, length=length if unit != "none" else None,
            unit=unit, citation=_need(t, "citation", w), roll=roll, roll_citation=str(t.get("roll_citation", "")),
            note=str(t.get("note", "")), verified=_verified(t, w), source=str(t.get("source", "")),
            deemed_denial=deemed, deemed_citation=str(t.get("deemed_citation", "")),
            accrual_from=str(t.get("accrual_from", "")),
        )
    return MappingProxyType(out)


def _parse_options(table: Any, where: str) -> Mapping[str, LawOption]:
    if not isinstance(table, Mapping):
        raise ValueError(f"{where}: [options] must be a table of tables")
    out = {}
    for name, t in table.items():
        ow = f"{where} options.{name}"
        if not isinstance(t, Mapping):
            raise ValueError(f"{ow}: must be a table")
        extra = set(t) - {"label", "citation", "note", "clocks", "receipt", "tolling", "letter", "fees", "escalation"}
        if extra:
            raise ValueError(f"{ow}: unknown key(s) {', '.join(sorted(extra))}")
        out[name] = LawOption(name, _need(t, "label", ow), _need(t, "citation", ow), t.get("note", ""))
    return MappingProxyType(out)


def _build(raw: Mapping[str, Any], where: str, agency: str | None = None, agency_name: str = "",
           applied: frozenset[str] = frozenset()) -> Law:
    receipt_t = dict(raw.get("receipt", {}))
    receipt = ReceiptRule(**receipt_t)
    if (receipt.after_hours_next_day or receipt.nonworking_next_day) and not receipt.deferral_citation:
        raise ValueError(f"{where}: a receipt deferral needs a deferral_citation (the rule that defers receipt)")
    tolling_t = dict(raw.get("tolling", {}))
    limits = tolling_t.pop("limits", {})
    if not (isinstance(limits, Mapping) and all(isinstance(v, int) and v >= 0 for v in limits.values())):
        raise ValueError(f"{where}: tolling.limits must map a reason to a count")
    tolling = TollingRule(**tolling_t, limits=MappingProxyType(dict(limits)))
    if tolling.model not in TOLLING_MODELS:
        raise ValueError(f"{where}: tolling.model {tolling.model!r} not in {TOLLING_MODELS}")
    clocks = {k: _parse_clock(k, v, f"{where} clocks.{k}") for k, v in raw.get("clocks", {}).items()}
    if "response" not in clocks:
        raise ValueError(f"{where}: a law needs a [clocks.response] table")
    appeal = raw.get("appeal", {})
    calendar = _need(raw, "calendar", where)
    if calendar not in calendar_ids():
        raise ValueError(f"{where}: calendar {calendar!r} not in {', '.join(calendar_ids())}")
    roll_calendar = raw.get("roll_calendar", "")
    if roll_calendar and roll_calendar not in calendar_ids():
        raise ValueError(f"{where}: roll_calendar {roll_calendar!r} not in {', '.join(calendar_ids())}")
    return Law(
        slug=_need(raw, "slug", where),
        name=_need(raw, "name", where),
        jurisdiction=_need(raw, "jurisdiction", where),
        citation=_need(raw, "citation", where),
        calendar=calendar,
        timezone=_need(raw, "timezone", where),
        receipt=receipt,
        tolling=tolling,
        clocks=MappingProxyType(clocks),
        appeal_available=bool(appeal.get("available", False)),
        appeal_note=appeal.get("note", ""),
        appeal_citation=appeal.get("citation", ""),
        agency=agency,
        agency_name=agency_name,
        exemptions=_parse_exemptions(raw.get("exemptions", []), where),
        letter=_parse_letter(raw.get("letter", {}), where),
        roll_calendar=roll_calendar,
        options=_parse_options(raw.get("options", {}), where),
        applied_options=applied,
        fees=_parse_fees(raw.get("fees"), where),
        escalations=_parse_escalations(raw.get("escalation", {}), where),
    )


# --------------------------------------------------------------------- where laws live

_extra_dirs: tuple[Path, ...] = ()


def laws_dirs() -> tuple[Path, ...]:
    """Directories searched for ``<slug>.toml``, in order: the built-in one first."""
    return (LAWS_DIR, *_extra_dirs)


def set_laws_dirs(extra: Iterable[str | Path] = ()) -> None:
    """Search ``extra`` directories after the built-in ``foia/laws/`` (process-wide).

    The app calls this with ``FOIA_LAWS_DIRS``; the caches are reset when the list changes.
    """
    global _extra_dirs
    new = tuple(Path(p).expanduser().resolve() for p in extra if str(p).strip())
    if new != _extra_dirs:
        _extra_dirs = new
        reset_law_cache()


def reset_law_cache() -> None:
    """Forget every parsed law and the slug list (after law files change on disk)."""
    _slugs.cache_clear()
    load_law.cache_clear()
    _law_for_agency.cache_clear()
    _law_with_options.cache_clear()
    laws_on_calendar.cache_clear()


@cache
def _slugs() -> tuple[str, ...]:
    found: set[str] = set()
    for directory in laws_dirs():
        found.update(p.stem for p in directory.glob("*.toml") if SLUG_RE.fullmatch(p.stem))
    return tuple(sorted(found))


def law_slugs() -> list[str]:
    """Slugs of every law data file, sorted: this is the list of laws."""
    return list(_slugs())


def _path(slug: str) -> Path:
    if not (isinstance(slug, str) and SLUG_RE.fullmatch(slug)):
        raise KeyError(f"unknown law {slug!r}; known: {', '.join(law_slugs())}")
    for directory in laws_dirs():
        path = directory / f"{slug}.toml"
        if path.is_file():
            return path
    raise KeyError(f"unknown law {slug!r}; known: {', '.join(law_slugs())}")


def _read(slug: str) -> dict[str, Any]:
    path = _path(slug)
    with path.open("rb") as fh:
        try:
            raw = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML: {exc}") from exc
    if raw.get("slug") != slug:
        raise ValueError(f"{path.name}: slug {raw.get('slug')!r} does not match the file name")
    return raw


@cache
def load_law(slug: str) -> Law:
    """Parse and validate ``<laws dir>/<slug>.toml`` (cached; see :func:`reset_law_cache`)."""
    raw = _read(slug)
    law = _build({k: v for k, v in raw.items() if k != "agencies"}, f"{slug}.toml")
    for pattern in raw.get("agencies", {}):  # validate overrides eagerly
        for alternative in pattern.split("|"):
            _law_for_agency(slug, alternative)
    for name in law.options:
        _law_with_options(slug, "", frozenset({name}))
    return law


def _agency_raw(raw: Mapping[str, Any], agency_slug: str) -> tuple[dict[str, Any], list[str]]:
    merged: dict[str, Any] = {k: v for k, v in raw.items() if k != "agencies"}
    names = []
    for pattern, over in raw.get("agencies", {}).items():
        if slug_matches(agency_slug, pattern):
            over = dict(over)
            names.append(over.pop("name", pattern))
            over.pop("citation", None)
            merged = _merge(merged, over)
    return merged, names


def slug_matches(agency_slug: str, pattern: str) -> bool:
    """Whether an ``[agencies."<pattern>"]`` override applies: any of its ``|``-separated globs matches."""
    return any(fnmatchcase(agency_slug, glob) for glob in pattern.split("|"))


@lru_cache(maxsize=4096)
def _law_with_options(slug: str, agency_slug: str, options: frozenset[str]) -> Law:
    """The law (for ``agency_slug``, "" for none) with its ``[options.<name>]`` tables merged in."""
    merged, names = _agency_raw(_read(slug), agency_slug) if agency_slug else (
        {k: v for k, v in _read(slug).items() if k != "agencies"}, [])
    for name in sorted(options):
        over = {k: v for k, v in merged.get("options", {}).get(name, {}).items()
                if k not in ("label", "citation", "note")}
        merged = _merge(merged, over)
    where = f"{slug}.toml [options {', '.join(sorted(options))}]"
    return _build(merged, where, agency_slug or None, ", ".join(names), options)


@lru_cache(maxsize=4096)
def _law_for_agency(slug: str, agency_slug: str) -> Law:
    raw = _read(slug)
    base = {k: v for k, v in raw.items() if k != "agencies"}
    merged: dict[str, Any] = base
    names = []
    for pattern, over in raw.get("agencies", {}).items():
        if slug_matches(agency_slug, pattern):
            over = dict(over)
            names.append(over.pop("name", pattern))
            over.pop("citation", None)
            merged = _merge(merged, over)
    if merged is base:  # no override matches: the law's defaults
        return _build(base, f"{slug}.toml", agency_slug)
    return _build(merged, f"{slug}.toml [agencies {agency_slug}]", agency_slug, ", ".join(names))


def _calendars_named(table: Any) -> set[str]:
    """Every value of a ``calendar`` key anywhere in a law file's tables (the law's, its agency overrides', its
    options')."""
    found: set[str] = set()
    if isinstance(table, Mapping):
        for key, value in table.items():
            if key == "calendar" and isinstance(value, str):
                found.add(value)
            else:
                found |= _calendars_named(value)
    return found


@cache
def laws_on_calendar(calendar_id: str) -> tuple[str, ...]:
    """The laws that may count on ``calendar_id`` at some agency: those whose file names that calendar for the
    law or in any override. A superset (an agency's law is still checked with ``for_agency``), so a query can
    leave every other law's requests out before they are read."""
    return tuple(slug for slug in law_slugs() if calendar_id in _calendars_named(_read(slug)))


def closures_count_on(calendar_id: str) -> bool:
    """Whether ad-hoc closures on ``calendar_id`` extend any law's response clock (False when no
    law counting on that calendar says they do: e.g. federal clocks, 5 U.S.C. § 552(a)(6)(A)(i))."""
    for slug in law_slugs():
        law = load_law(slug)
        if law.calendar == calendar_id and law.closures_count:
            return True
    return False
