"""Laws as data: parse ``foia/laws/<slug>.toml`` into frozen dataclasses.

Schema (brief; see any law file for a full example)::

    slug, name, jurisdiction, citation, calendar, timezone   # top level
    [receipt]   day_counts, after_hours_next_day, nonworking_next_day, citation, note
    [tolling]   model = "pause" | "restart" | "none", citation, note
    [appeal]    available (bool), note, citation
    [clocks.<kind>]   label, length, unit = "business_days"|"calendar_days"|"none",
                      start = "received"|"determination"|"appeal_filed",
                      roll = "next_working_day"|"none", citation, note
    [clocks.<kind>.extension]   length, unit, citation, note
    [agencies."<glob>"]   name, citation, and any of the tables above to override
                          (deep-merged over the law for matching agency slugs)

Clock kinds used by the engine: response, expedited_decision, appeal_filing,
appeal_decision; any other kind is an extra clock computed the same way.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

__all__ = [
    "ClockRule",
    "ExtensionRule",
    "Law",
    "ReceiptRule",
    "TollingRule",
    "law_slugs",
    "load_law",
    "LAWS_DIR",
]

LAWS_DIR = Path(__file__).resolve().parent.parent / "laws"
UNITS = ("business_days", "calendar_days", "none")
STARTS = ("received", "determination", "appeal_filed")
ROLLS = ("next_working_day", "none")
TOLLING_MODELS = ("pause", "restart", "none")
UNIT_WORDS = {"business_days": "working day", "calendar_days": "calendar day"}


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
    citation: str
    note: str = ""
    extension: ExtensionRule | None = None

    @property
    def period_text(self) -> str:
        return period_text(self.length, self.unit)


@dataclass(frozen=True)
class ReceiptRule:
    day_counts: bool = False
    after_hours_next_day: bool = True
    nonworking_next_day: bool = True
    citation: str = ""
    note: str = ""


@dataclass(frozen=True)
class TollingRule:
    model: str = "none"
    citation: str = ""
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

    def __hash__(self) -> int:
        return hash((self.slug, self.agency))

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

    def for_agency(self, agency_slug: str | None) -> "Law":
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
    )


def _build(raw: Mapping[str, Any], where: str, agency: str | None = None, agency_name: str = "") -> Law:
    receipt = ReceiptRule(**{k: v for k, v in raw.get("receipt", {}).items()})
    tolling = TollingRule(**raw.get("tolling", {}))
    if tolling.model not in TOLLING_MODELS:
        raise ValueError(f"{where}: tolling.model {tolling.model!r} not in {TOLLING_MODELS}")
    clocks = {k: _parse_clock(k, v, f"{where} clocks.{k}") for k, v in raw.get("clocks", {}).items()}
    if "response" not in clocks:
        raise ValueError(f"{where}: a law needs a [clocks.response] table")
    appeal = raw.get("appeal", {})
    return Law(
        slug=_need(raw, "slug", where),
        name=_need(raw, "name", where),
        jurisdiction=_need(raw, "jurisdiction", where),
        citation=_need(raw, "citation", where),
        calendar=_need(raw, "calendar", where),
        timezone=_need(raw, "timezone", where),
        receipt=receipt,
        tolling=tolling,
        clocks=MappingProxyType(clocks),
        appeal_available=bool(appeal.get("available", False)),
        appeal_note=appeal.get("note", ""),
        appeal_citation=appeal.get("citation", ""),
        agency=agency,
        agency_name=agency_name,
    )


@lru_cache(maxsize=None)
def _slugs() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in LAWS_DIR.glob("*.toml")))


def law_slugs() -> list[str]:
    """Slugs of every law data file, sorted."""
    return list(_slugs())


def _read(slug: str) -> dict[str, Any]:
    path = LAWS_DIR / f"{slug}.toml"
    if not path.is_file():
        raise KeyError(f"unknown law {slug!r}; known: {', '.join(law_slugs())}")
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    if raw.get("slug") != slug:
        raise ValueError(f"{path.name}: slug {raw.get('slug')!r} does not match the file name")
    return raw


@lru_cache(maxsize=None)
def load_law(slug: str) -> Law:
    """Parse and validate ``foia/laws/<slug>.toml`` (cached)."""
    raw = _read(slug)
    law = _build({k: v for k, v in raw.items() if k != "agencies"}, f"{slug}.toml")
    for pattern in raw.get("agencies", {}):  # validate overrides eagerly
        _law_for_agency(slug, pattern)
    return law


@lru_cache(maxsize=4096)
def _law_for_agency(slug: str, agency_slug: str) -> Law:
    raw = _read(slug)
    base = {k: v for k, v in raw.items() if k != "agencies"}
    merged: dict[str, Any] = base
    names = []
    for pattern, over in raw.get("agencies", {}).items():
        if fnmatchcase(agency_slug, pattern):
            over = dict(over)
            names.append(over.pop("name", pattern))
            over.pop("citation", None)
            merged = _merge(merged, over)
    if merged is base:  # no override matches: the law's defaults
        return _build(base, f"{slug}.toml", agency_slug)
    return _build(merged, f"{slug}.toml [agencies {agency_slug}]", agency_slug, ", ".join(names))
