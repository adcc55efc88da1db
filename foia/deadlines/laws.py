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
    [letter]    letter wording, every value a string except fee_categories (bool);
                empty or absent = the sentence is written without it (see LETTER_KEYS)
    [[exemptions]]   code, label   (one table per exemption, in statute order)

Clock kinds used by the engine: response, expedited_decision, appeal_filing,
appeal_decision; any other kind is an extra clock computed the same way.

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
    "ExtensionRule",
    "Law",
    "ReceiptRule",
    "TollingRule",
    "law_slugs",
    "laws_dirs",
    "load_law",
    "reset_law_cache",
    "set_laws_dirs",
]

LAWS_DIR = Path(__file__).resolve().parent.parent / "laws"
UNITS = ("business_days", "calendar_days", "none")
STARTS = ("received", "determination", "appeal_filed")
ROLLS = ("next_working_day", "none")
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
    exemptions: tuple[tuple[str, str], ...] = ()  # (code, label), statute order
    letter: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))  # see LETTER_KEYS

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


def _build(raw: Mapping[str, Any], where: str, agency: str | None = None, agency_name: str = "") -> Law:
    receipt = ReceiptRule(**dict(raw.get("receipt", {}).items()))
    tolling = TollingRule(**raw.get("tolling", {}))
    if tolling.model not in TOLLING_MODELS:
        raise ValueError(f"{where}: tolling.model {tolling.model!r} not in {TOLLING_MODELS}")
    clocks = {k: _parse_clock(k, v, f"{where} clocks.{k}") for k, v in raw.get("clocks", {}).items()}
    if "response" not in clocks:
        raise ValueError(f"{where}: a law needs a [clocks.response] table")
    appeal = raw.get("appeal", {})
    calendar = _need(raw, "calendar", where)
    if calendar not in calendar_ids():
        raise ValueError(f"{where}: calendar {calendar!r} not in {', '.join(calendar_ids())}")
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
