"""Working-day calendars: federal, California court (CCP §§ 12a, 135) and state calendars.

Each calendar starts from the ``holidays`` package and is corrected where the law
differs (see ``_CORRECTIONS``). Named holidays are built once per calendar and year
and cached; ad-hoc closures (stored by the app, passed in as data) are overlaid on a
cached base calendar without copying it.

Every Saturday and Sunday is a non-working day in every calendar here (for the
California court calendar, CCP § 12a makes every Saturday a holiday for
roll-forward; Sundays are § 6700 holidays).
"""

from __future__ import annotations

import calendar as _stdcal
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache
from pathlib import Path

import holidays as _holidays
from dateutil.easter import easter

__all__ = ["Calendar", "Closure", "calendar_for", "calendar_ids"]

_WEEKEND = {5: "Saturday", 6: "Sunday"}
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Closure:
    """An ad-hoc day an office is closed (storm, executive order, designated nonbusiness day)."""

    date: date
    name: str
    scope: str | None = None  # informational only; the caller filters by scope


YearBuilder = Callable[[int], dict[date, str]]


class Calendar:
    """Answers "is this a working day, and if not, why?" for one calendar id."""

    __slots__ = (
        "_build_year",
        "_closures",
        "_idx",
        "_named",
        "_years",
        "calendar_id",
        "description",
    )

    def __init__(
        self,
        calendar_id: str,
        build_year: YearBuilder,
        description: str = "",
        closures: Mapping[date, str] | None = None,
        _shared: tuple[set[int], dict[date, str]] | None = None,
    ) -> None:
        self.calendar_id = calendar_id
        self.description = description
        self._build_year = build_year
        if _shared is None:
            self._years: set[int] = set()
            self._named: dict[date, str] = {}
        else:  # share the base calendar's cache (closure overlays)
            self._years, self._named = _shared
        self._closures: dict[date, str] = dict(closures or {})
        # Working-day index (lo, hi, work, rank) over ordinals [lo, hi): ``work`` lists the
        # working-day ordinals, ``rank[o - lo]`` is the index in ``work`` of the first
        # working day >= o. Replaced as one tuple so concurrent readers see a consistent index.
        self._idx: tuple[int, int, list[int], list[int]] = (0, 0, [], [])

    def with_closures(self, closures: Iterable[Closure]) -> Calendar:
        extra = {c.date: f"Closure: {c.name}" for c in closures}
        if not extra:
            return self
        merged = {**self._closures, **extra}
        return Calendar(
            self.calendar_id, self._build_year, self.description, merged, (self._years, self._named)
        )

    def _load(self, year: int) -> None:
        self._named.update(self._build_year(year))
        self._years.add(year)

    def non_working_reason(self, d: date) -> str | None:
        """``None`` for a working day; otherwise why not ("Saturday", a holiday's name, "Closure: …")."""
        if d.year not in self._years:
            self._load(d.year)
        name = self._named.get(d)
        if name is not None:
            return name
        wd = d.weekday()
        if wd >= 5:
            return _WEEKEND[wd]
        if self._closures:
            return self._closures.get(d)
        return None

    def is_working_day(self, d: date) -> bool:
        return self.non_working_reason(d) is None

    def next_working_day(self, d: date, *, inclusive: bool = True) -> date:
        if not inclusive:
            d += _ONE_DAY
        while self.non_working_reason(d) is not None:
            d += _ONE_DAY
        return d

    def _index(self, first_year: int, last_year: int) -> None:
        old_lo, old_hi, _, _ = self._idx
        if old_hi:
            first_year = min(first_year, date.fromordinal(old_lo).year)
            last_year = max(last_year, date.fromordinal(old_hi - 1).year)
        lo = date(first_year, 1, 1).toordinal()
        hi = date(last_year + 1, 1, 1).toordinal()
        work: list[int] = []
        rank: list[int] = []
        reason = self.non_working_reason
        fromordinal = date.fromordinal
        for o in range(lo, hi):
            rank.append(len(work))
            if reason(fromordinal(o)) is None:
                work.append(o)
        self._idx = (lo, hi, work, rank)

    def add_working_days(self, first: date, n: int) -> date:
        """The ``n``-th working day counting from ``first`` (``first`` itself counts if it
        is a working day); ``n`` >= 1. Uses a cached working-day index."""
        o = first.toordinal()
        while True:
            lo, hi, work, rank = self._idx
            if lo <= o < hi:
                i = rank[o - lo] + n - 1
                if i < len(work):
                    return date.fromordinal(work[i])
                self._index(first.year, date.fromordinal(hi - 1).year + 1 + n // 200)
            else:
                self._index(first.year - 1, first.year + 2)

    def working_days_between(self, start: date, end: date) -> int:
        """Signed working days from ``start`` to ``end``, as a deadline's "days left" is shown:
        for ``end >= start`` the working days in (start, end]; for ``end < start`` minus the working
        days in [end, start) (so a deadline missed on Friday is 1 working day overdue on Saturday,
        Sunday and Monday, and 2 on Tuesday)."""
        a, b = start.toordinal(), end.toordinal()
        first, last = min(a, b), max(a, b) + 1
        while True:
            # Both counts must come from one index: ranks are relative to its first day, which moves
            # when the index is extended.
            lo, hi, _work, rank = self._idx
            if lo <= first and last < hi:
                break
            self._index(date.fromordinal(first).year - 1, date.fromordinal(last).year + 1)
        if b >= a:
            return rank[b + 1 - lo] - rank[a + 1 - lo]
        return -(rank[a - lo] - rank[b - lo])

    def count_working_days(self, after: date, through: date) -> int:
        """Working days in (after, through]; 0 when ``through`` is not after ``after``. Indexed."""
        if through <= after:
            return 0
        return self.working_days_between(after, through)

    def subtract_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day before ``d`` (``d`` itself never counts); ``d`` when ``n`` <= 0.
        Used for "5 working days before the deadline"."""
        if n <= 0:
            return d
        o = d.toordinal()
        while True:
            lo, hi, work, rank = self._idx
            if lo <= o < hi:
                i = rank[o - lo] - n
                if i >= 0:
                    return date.fromordinal(work[i])
                self._index(date.fromordinal(lo).year - 1 - n // 200, date.fromordinal(hi - 1).year)
            else:
                self._index(d.year - 1, d.year + 1)

    def last_within(self, today: date, n: int) -> date:
        """The last date with at most ``n`` working days in (today, date]: the horizon of "due in the
        next n working days"."""
        return self.add_working_days(today + _ONE_DAY, n + 1) - _ONE_DAY

    def non_working_between(self, first: date, last: date) -> list[tuple[date, str]]:
        """Non-working days in ``first..last`` with their reasons (for explanations)."""
        out = []
        d = first
        while d <= last:
            r = self.non_working_reason(d)
            if r is not None:
                out.append((d, r))
            d += _ONE_DAY
        return out

    def holidays_in_year(self, year: int) -> list[tuple[date, str]]:
        """Named holidays and closures in ``year`` (weekends are not listed), sorted by date."""
        if year not in self._years:
            self._load(year)
        out = {d: n for d, n in self._named.items() if d.year == year}
        for d, n in self._closures.items():
            if d.year == year and d not in out:
                out[d] = n
        return sorted(out.items())

    def __repr__(self) -> str:
        return f"Calendar({self.calendar_id!r}, closures={len(self._closures)})"


# ---------------------------------------------------------------------------
# Builders


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """n-th ``weekday`` (0=Mon) of the month; n=-1 for the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year, month, _stdcal.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _package_year(subdiv: str | None, year: int) -> dict[date, str]:
    """Entries dated in ``year``; built from two package years so that an observed
    New Year's Day on 31 December (5 U.S.C. § 6103(b)) is not lost."""
    h = _holidays.US(subdiv=subdiv, years=(year, year + 1))
    return {d: n for d, n in h.items() if d.year == year}


def _filtered(
    subdiv: str | None,
    drop_names: frozenset[str] = frozenset(),
    drop_observed: Callable[[date], bool] | None = None,
    add: Callable[[int], dict[date, str]] | None = None,
    observed_cite: Callable[[date], str] | None = None,
) -> YearBuilder:
    def build(year: int) -> dict[date, str]:
        out: dict[date, str] = {}
        for d, names in _package_year(subdiv, year).items():
            keep = []
            for part in names.split("; "):
                if part in drop_names:
                    continue
                if part.endswith("(observed)") and drop_observed is not None and drop_observed(d):
                    continue
                if part.endswith("(observed)") and observed_cite is not None:
                    part = f"{part[:-1]}: {observed_cite(d)})"
                keep.append(part)
            if keep:
                out[d] = "; ".join(keep)
        if add is not None:
            for d, n in add(year).items():
                out[d] = f"{out[d]}; {n}" if d in out else n
        return out

    return build


def _easter(year: int) -> date:

    return easter(year)


def _federal_observed(d: date) -> str:
    # A Saturday holiday is observed the Friday before (5 U.S.C. § 6103(b)(1)); a Sunday holiday the
    # Monday after (Executive Order 11582, applied with § 6103(b)).
    return "5 U.S.C. § 6103(b)" if d.weekday() == 4 else "5 U.S.C. § 6103(b); E.O. 11582"


def _shift_observed(out: dict[date, str], days: list[tuple[date, str]], year: int, cite: str,
                    saturday: bool = True, sunday: bool = True) -> None:
    """Add the weekday a weekend holiday is observed on (Saturday → Friday, Sunday → Monday)."""
    for d, n in days:
        if d.weekday() == 5 and saturday:
            obs = d - _ONE_DAY
        elif d.weekday() == 6 and sunday:
            obs = d + _ONE_DAY
        else:
            continue
        if obs.year == year:
            name = f"{n} (observed: {cite})"
            out[obs] = f"{out[obs]}; {name}" if obs in out else name


def _general_election_day(year: int) -> date:
    """The Tuesday after the first Monday in November."""
    return _nth_weekday(year, 11, 0, 1) + timedelta(days=1)


def _nj_year(year: int) -> dict[date, str]:
    """New Jersey State holidays (N.J.S.A. 36:1-1; 11A:6-24.1 lists the same days for State offices).

    - Juneteenth Day is the third Friday in June (11A:6-24.1(a)(6); P.L.2020, c.99), not June 19.
    - Any general election day is a holiday (11A:6-24.1(a)(12)); New Jersey holds a general election
      every November (governor and legislature in odd years), so every year.
    - Lincoln's Birthday is not a day State offices close (36:1-1(d)): a county or city that closes
      adds it as a closure.
    - Sunday → Monday (36:1-1(b)); Saturday → the Friday before (36:1-1.2).
    """
    easter_sunday = _easter(year)
    days: list[tuple[date, str]] = [
        (date(year, 1, 1), "New Year's Day"),
        (_nth_weekday(year, 1, 0, 3), "Martin Luther King Jr. Day"),
        (_nth_weekday(year, 2, 0, 3), "Presidents Day"),
        (easter_sunday - timedelta(days=2), "Good Friday"),
        (_nth_weekday(year, 5, 0, -1), "Memorial Day"),
        (_nth_weekday(year, 6, 4, 3), "Juneteenth Day (third Friday in June)"),
        (date(year, 7, 4), "Independence Day"),
        (_nth_weekday(year, 9, 0, 1), "Labor Day"),
        (_nth_weekday(year, 10, 0, 2), "Columbus Day"),
        (_general_election_day(year), "General Election Day"),
        (date(year, 11, 11), "Veterans Day"),
        (_nth_weekday(year, 11, 3, 4), "Thanksgiving Day"),
        (date(year, 12, 25), "Christmas Day"),
    ]
    out: dict[date, str] = {}
    for d, n in days:
        out[d] = f"{out[d]}; {n}" if d in out else n
    nxt = [(date(year + 1, 1, 1), "New Year's Day")]
    _shift_observed(out, [(d, n) for d, n in days if d.weekday() >= 5] + nxt, year, "N.J.S.A. 36:1-1(b), 36:1-1.2")
    return {d: n for d, n in out.items() if d.year == year}


def _pa_legal_year(year: int) -> dict[date, str]:
    """Days 1 Pa.C.S. § 1908 omits when a period ends on them: "any day made a legal holiday by the
    laws of this Commonwealth, or of the United States". Pennsylvania legal holidays, 44 P.S. § 11
    (incl. Good Friday, Flag Day, Election Day; a Sunday holiday → the Monday after), plus the
    federal legal public holidays, 5 U.S.C. § 6103(a) (incl. Juneteenth, June 19)."""
    pa: list[tuple[date, str]] = [
        (date(year, 1, 1), "New Year's Day"),
        (_nth_weekday(year, 1, 0, 3), "Martin Luther King Jr. Day"),
        (_nth_weekday(year, 2, 0, 3), "Presidents' Day"),
        (_easter(year) - timedelta(days=2), "Good Friday (44 P.S. § 11)"),
        (_nth_weekday(year, 5, 0, -1), "Memorial Day"),
        (date(year, 6, 14), "Flag Day (44 P.S. § 11)"),
        (date(year, 7, 4), "Independence Day"),
        (_nth_weekday(year, 9, 0, 1), "Labor Day"),
        (_nth_weekday(year, 10, 0, 2), "Columbus Day"),
        (_general_election_day(year), "Election Day (44 P.S. § 11)"),
        (date(year, 11, 11), "Veterans Day"),
        (_nth_weekday(year, 11, 3, 4), "Thanksgiving Day"),
        (date(year, 12, 25), "Christmas Day"),
    ]
    if year >= 2021:
        pa.append((date(year, 6, 19), "Juneteenth National Independence Day (5 U.S.C. § 6103(a))"))
    out: dict[date, str] = {}
    for d, n in pa:
        out[d] = f"{out[d]}; {n}" if d in out else n
    _shift_observed(out, [(d, n) for d, n in pa if d.weekday() == 6], year, "44 P.S. § 11", saturday=False)
    return {d: n for d, n in out.items() if d.year == year}


def _il_extra(year: int) -> dict[date, str]:
    # statutes.md lists Good Friday among Illinois holidays for 5 ILCS 70/1.11
    # (the package omits it); Lincoln's Birthday and Pulaski Day come from the package.
    return {_easter(year) - timedelta(days=2): "Good Friday"}


def _ca_court_year(year: int) -> dict[date, str]:
    """California judicial holidays (CCP § 135 → Gov. Code § 6700 list minus Admission
    Day, Columbus Day, Lunar New Year and Genocide Remembrance Day; plus the day after
    Thanksgiving). Weekend shift as courts publish it: Saturday → preceding Friday,
    Sunday → following Monday (2026 list: Jul 3 "Independence Day (observed)")."""
    fixed: list[tuple[date, str]] = [
        (date(year, 1, 1), "New Year's Day"),
        (date(year, 2, 12), "Lincoln's Birthday"),
        (date(year, 3, 31), "Cesar Chavez Day"),
        (date(year, 7, 4), "Independence Day"),
        (date(year, 11, 11), "Veterans Day"),
        (date(year, 12, 25), "Christmas Day"),
    ]
    if year >= 2023:
        fixed.append((date(year, 6, 19), "Juneteenth"))
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    moving = [
        (_nth_weekday(year, 1, 0, 3), "Martin Luther King Jr. Day"),
        (_nth_weekday(year, 2, 0, 3), "Presidents' Day"),
        (_nth_weekday(year, 5, 0, -1), "Memorial Day"),
        (_nth_weekday(year, 9, 0, 1), "Labor Day"),
        (_nth_weekday(year, 9, 4, 4), "Native American Day"),
        (thanksgiving, "Thanksgiving Day"),
        (thanksgiving + _ONE_DAY, "Day after Thanksgiving"),
    ]
    out: dict[date, str] = {}

    def put(d: date, n: str) -> None:
        out[d] = f"{out[d]}; {n}" if d in out else n

    for d, n in fixed + moving:
        put(d, n)
    # Observed days (Cal. Rules of Court, rule 1.11; Gov. Code § 6700(b)): next year's New Year's
    # Day on a Saturday is observed on 31 Dec.
    candidates = fixed + [(date(year + 1, 1, 1), "New Year's Day")]
    _shift_observed(out, candidates, year, "Cal. Rules of Court, rule 1.11")
    return {d: n for d, n in out.items() if d.year == year}


_SBA = frozenset({"Susan B. Anthony Day"})  # commemorative; closes no office

_BUILDERS: dict[str, tuple[YearBuilder, str]] = {
    "us-federal": (
        _filtered(None, observed_cite=_federal_observed),
        "Federal legal public holidays, 5 U.S.C. § 6103(a); Saturday → Friday (§ 6103(b)), "
        "Sunday → Monday (E.O. 11582)",
    ),
    "ca-court": (
        _ca_court_year,
        "California judicial holidays, CCP § 135, for roll-forward under CCP §§ 12, 12a "
        "(every Saturday is a holiday)",
    ),
    "ny": (
        # GCL § 24: a Sunday holiday moves to Monday; a Saturday holiday is not moved.
        _filtered("NY", _SBA, drop_observed=lambda d: d.weekday() == 4),
        "New York public holidays, Gen. Constr. Law § 24 (Sunday → Monday only)",
    ),
    "tx": (
        # § 552.0031(a): national and state holidays of § 662.003(a)-(b). Optional
        # holidays (§ 662.003(c): Good Friday, Cesar Chavez Day, ...) and weekend
        # observances count only if the body observes them (§ 552.0031(c), (e)):
        # pass those as closures.
        _filtered("TX", frozenset({"Good Friday", "Cesar Chavez Day"}), drop_observed=lambda d: True),
        "Texas national and state holidays, Gov. Code §§ 552.0031, 662.003(a)-(b)",
    ),
    "il": (
        # No Friday/Monday observance of a weekend holiday: 5 ILCS 70/1.11 excludes only a Saturday,
        # Sunday or "holiday as defined or fixed in any statute", and 5 ILCS 490/63 says that when
        # June 19 falls on a weekend "neither the preceding Friday nor the following Monday" is one.
        _filtered("IL", add=_il_extra, drop_observed=lambda d: True),
        "Illinois holidays for 5 ILCS 70/1.11 (incl. Lincoln's Birthday, Pulaski Day, Good Friday); "
        "no weekday observance of a weekend holiday (5 ILCS 490/63)",
    ),
    "wa": (_filtered("WA"), "Washington legal holidays, RCW 1.16.050"),
    "fl": (_filtered("FL", _SBA), "Florida legal holidays, Fla. Stat. § 110.117"),
    "ma": (_filtered("MA"), "Massachusetts legal holidays, G.L. c. 4 § 7 cl. 18"),
    "pa": (_filtered("PA"), "Pennsylvania State office holidays (business days, 65 P.S. § 67.102)"),
    "pa-legal": (
        _pa_legal_year,
        "Legal holidays for rolling a last day, 1 Pa.C.S. § 1908: Pennsylvania (44 P.S. § 11, incl. Good "
        "Friday, Flag Day, Election Day) and federal (5 U.S.C. § 6103(a))",
    ),
    "nj": (
        _nj_year,
        "New Jersey State holidays, N.J.S.A. 36:1-1, 36:1-1.2, 11A:6-24.1 (Juneteenth: third Friday in "
        "June; general election day every year; Lincoln's Birthday not a State holiday, 36:1-1(d))",
    ),
}


# ---------------------------------------------------------------------------
# Calendars as data: foia/calendars/<id>.toml (see foia/calendars/README.md for the schema).

CALENDARS_DIR = Path(__file__).resolve().parent.parent / "calendars"
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_HOLIDAY_KEYS = frozenset({"name", "date", "month", "weekday", "nth", "offset", "easter", "election", "years",
                           "every", "first_year", "last_year", "observed", "citation", "note"})
_CALENDAR_KEYS = frozenset({"id", "name", "citation", "saturday", "sunday", "observed_citation", "note",
                            "holidays"})


@dataclass(frozen=True)
class HolidayRule:
    """One holiday of a data calendar: a fixed date, the n-th weekday of a month, an offset from Easter or
    election day, optionally only in some years, and whether a weekend date is observed on a weekday."""

    name: str
    month: int = 0
    day: int = 0
    weekday: int | None = None
    nth: int = 0
    offset: int = 0
    easter: int | None = None
    election: bool = False
    years: str = "all"          # all | even | odd
    every: int = 0              # e.g. 4 (with first_year): inauguration days
    first_year: int | None = None
    last_year: int | None = None
    observed: bool = True
    citation: str = ""

    def in_year(self, year: int) -> bool:
        if self.first_year is not None and year < self.first_year:
            return False
        if self.last_year is not None and year > self.last_year:
            return False
        if self.years == "even" and year % 2:
            return False
        if self.years == "odd" and not year % 2:
            return False
        return not (self.every and (year - (self.first_year or 0)) % self.every)

    def date_in(self, year: int) -> date:
        if self.easter is not None:
            d = _easter(year) + timedelta(days=self.easter)
        elif self.election:
            d = _general_election_day(year)
        elif self.weekday is not None:
            d = _nth_weekday(year, self.month, self.weekday, self.nth)
        else:
            d = date(year, self.month, self.day)
        return d + timedelta(days=self.offset)


def _parse_holiday(item: Mapping[str, object], where: str) -> HolidayRule:
    extra = set(item) - _HOLIDAY_KEYS
    if extra:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}: every holiday needs a name")
    kinds = [k for k in ("date", "weekday", "easter", "election") if k in item]
    if len(kinds) != 1:
        raise ValueError(f"{where} ({name}): give exactly one of date, weekday (+ month, nth), easter, election")
    kw: dict[str, object] = {"name": name, "citation": str(item.get("citation", ""))}
    if "date" in item:
        try:
            month, day = (int(x) for x in str(item["date"]).split("-"))
            date(2024, month, day)
        except ValueError:
            raise ValueError(f"{where} ({name}): date must be MM-DD, got {item['date']!r}") from None
        kw.update(month=month, day=day)
    elif "weekday" in item:
        wd, month_name, nth = str(item["weekday"]).lower(), str(item.get("month", "")).lower(), item.get("nth")
        if wd not in _WEEKDAYS or month_name not in _MONTHS or nth not in (1, 2, 3, 4, -1):
            raise ValueError(f"{where} ({name}): weekday needs a weekday name, a month name and nth in 1-4 or -1")
        kw.update(weekday=_WEEKDAYS.index(wd), month=_MONTHS.index(month_name) + 1, nth=nth)
    elif "easter" in item:
        if not isinstance(item["easter"], int):
            raise ValueError(f"{where} ({name}): easter is a day offset from Easter Sunday (Good Friday = -2)")
        kw["easter"] = item["easter"]
    else:
        if item["election"] is not True:
            raise ValueError(f"{where} ({name}): election = true (the Tuesday after the first Monday in November)")
        kw["election"] = True
    for key in ("offset", "every", "first_year", "last_year"):
        if key in item:
            if not isinstance(item[key], int):
                raise ValueError(f"{where} ({name}): {key} must be an integer")
            kw[key] = item[key]
    if item.get("years", "all") not in ("all", "even", "odd"):
        raise ValueError(f"{where} ({name}): years must be all, even or odd")
    kw["years"] = item.get("years", "all")
    if "observed" in item:
        if not isinstance(item["observed"], bool):
            raise ValueError(f"{where} ({name}): observed must be true or false")
        kw["observed"] = item["observed"]
    return HolidayRule(**kw)  # type: ignore[arg-type]


def _data_builder(raw: Mapping[str, object], where: str) -> tuple[YearBuilder, str]:
    extra = set(raw) - _CALENDAR_KEYS
    if extra:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
    for key in ("name", "citation"):
        if not isinstance(raw.get(key), str) or not str(raw.get(key)).strip():
            raise ValueError(f"{where}: missing {key!r}")
    saturday, sunday = raw.get("saturday", "none"), raw.get("sunday", "none")
    if saturday not in ("friday", "monday", "none") or sunday not in ("monday", "none"):
        raise ValueError(f"{where}: saturday must be friday, monday or none; sunday monday or none")
    items = raw.get("holidays")
    if not isinstance(items, list) or not items:
        raise ValueError(f"{where}: a calendar needs [[holidays]]")
    rules = [_parse_holiday(h, f"{where} holiday #{n}") for n, h in enumerate(items, 1)]
    cite = str(raw.get("observed_citation") or raw["citation"])

    def build(year: int) -> dict[date, str]:
        out: dict[date, str] = {}

        def put(d: date, n: str) -> None:
            if d.year == year:
                out[d] = f"{out[d]}; {n}" if d in out and n not in out[d] else n

        for y in (year - 1, year, year + 1):  # an observed day may fall in the neighbouring year
            for rule in rules:
                if not rule.in_year(y):
                    continue
                d = rule.date_in(y)
                label = f"{rule.name} ({rule.citation})" if rule.citation else rule.name
                if y == year:
                    put(d, label)
                if not rule.observed:
                    continue
                if d.weekday() == 5 and saturday != "none":
                    put(d - _ONE_DAY if saturday == "friday" else d + timedelta(days=2),
                        f"{rule.name} (observed: {cite})")
                elif d.weekday() == 6 and sunday == "monday":
                    put(d + _ONE_DAY, f"{rule.name} (observed: {cite})")
        return out

    return build, f"{raw['name']}, {raw['citation']}"


@cache
def _data_calendars() -> dict[str, tuple[YearBuilder, str]]:
    out: dict[str, tuple[YearBuilder, str]] = {}
    if not CALENDARS_DIR.is_dir():
        return out
    for path in sorted(CALENDARS_DIR.glob("*.toml")):
        where = f"calendar {path.name}"
        with path.open("rb") as f:
            raw = tomllib.load(f)
        cid = raw.get("id")
        if cid != path.stem:
            raise ValueError(f"{where}: id {cid!r} must match the file name {path.stem!r}")
        if cid in _BUILDERS:
            raise ValueError(f"{where}: {cid!r} is already a built-in calendar")
        out[cid] = _data_builder(raw, where)
    return out


def calendar_ids() -> list[str]:
    return sorted({*_BUILDERS, *_data_calendars()})


#: What people call each calendar (pages show these, never the id).
CALENDAR_NAMES: dict[str, str] = {
    "us-federal": "U.S. federal holidays",
    "ca-court": "California court holidays",
    "ny": "New York public holidays",
    "tx": "Texas state holidays",
    "il": "Illinois state holidays",
    "wa": "Washington legal holidays",
    "fl": "Florida legal holidays",
    "ma": "Massachusetts legal holidays",
    "pa": "Pennsylvania holidays",
    "nj": "New Jersey legal holidays",
}


def calendar_name(calendar_id: str) -> str:
    """The calendar's name for people ("California court holidays" for ``ca-court``)."""
    return CALENDAR_NAMES.get(calendar_id, calendar_id)


@cache
def _base_calendar(calendar_id: str) -> Calendar:
    found = _BUILDERS.get(calendar_id) or _data_calendars().get(calendar_id)
    if found is None:
        raise ValueError(f"unknown calendar {calendar_id!r}; known: {', '.join(calendar_ids())}")
    builder, description = found
    return Calendar(calendar_id, builder, description)


def calendar_for(calendar_id: str, closures: Iterable[Closure] = ()) -> Calendar:
    """The calendar for ``calendar_id`` (cached). With closures, an overlay sharing the
    cached holiday tables is returned, cached per distinct set of closures."""
    if not closures:
        return _base_calendar(calendar_id)
    key = frozenset(closures)
    return _overlay(calendar_id, key) if key else _base_calendar(calendar_id)


@lru_cache(maxsize=512)
def _overlay(calendar_id: str, closures: frozenset[Closure]) -> Calendar:
    return _base_calendar(calendar_id).with_closures(sorted(closures, key=lambda c: (c.date, c.name)))
