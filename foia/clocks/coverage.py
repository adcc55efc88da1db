"""Which jurisdictions FOIA Tracker knows, with every clock's period, citation and whether its number was checked
against the primary text (the law files' `verified` and `source`). Used by the /laws pages and `flask foia laws`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from foia.deadlines import calendar_for, law_slugs, load_law
from foia.deadlines.laws import ClockRule, Law, period_text

START_WORDS = {"received": "from receipt of the request", "determination": "from the agency's determination",
               "appeal_filed": "from the filing of the appeal"}


@dataclass(frozen=True)
class ClockCoverage:
    kind: str
    label: str
    period: str
    start: str
    citation: str
    verified: bool | None
    source: str
    note: str
    extension: str

    @classmethod
    def of(cls, rule: ClockRule) -> ClockCoverage:
        ext = ""
        if rule.extension is not None:
            ext = f"{period_text(rule.extension.length, rule.extension.unit)} ({rule.extension.citation})"
        return cls(kind=rule.kind, label=rule.label, period=rule.period_text, start=START_WORDS.get(rule.start, rule.start),
                   citation=rule.citation, verified=rule.verified, source=rule.source, note=rule.note, extension=ext)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class LawCoverage:
    slug: str
    name: str
    jurisdiction: str
    citation: str
    calendar: str
    calendar_description: str
    has_appeal: bool
    appeal_note: str
    clocks: tuple[ClockCoverage, ...]
    exemptions: int

    @property
    def response(self) -> ClockCoverage:
        return next(c for c in self.clocks if c.kind == "response")

    @property
    def verified_count(self) -> int:
        return sum(1 for c in self.clocks if c.verified)

    @property
    def numbered_count(self) -> int:
        """Clocks that carry a number (a clock with no fixed period has nothing to verify but its wording)."""
        return len(self.clocks)

    def as_dict(self) -> dict[str, Any]:
        return {"slug": self.slug, "name": self.name, "jurisdiction": self.jurisdiction, "citation": self.citation,
                "calendar": self.calendar, "calendar_description": self.calendar_description,
                "has_appeal": self.has_appeal, "appeal_note": self.appeal_note, "exemptions": self.exemptions,
                "clocks": [c.as_dict() for c in self.clocks]}


def law_coverage(law: Law) -> LawCoverage:
    return LawCoverage(slug=law.slug, name=law.name, jurisdiction=law.jurisdiction, citation=law.citation,
                       calendar=law.calendar, calendar_description=calendar_for(law.calendar).description,
                       has_appeal=law.has_appeal, appeal_note=law.appeal_note,
                       clocks=tuple(ClockCoverage.of(r) for r in law.clocks.values()), exemptions=len(law.exemptions))


def coverage() -> list[LawCoverage]:
    """Every law, by jurisdiction (federal first)."""
    rows = [law_coverage(load_law(slug)) for slug in law_slugs()]
    return sorted(rows, key=lambda r: (not r.jurisdiction.startswith("United States"), r.jurisdiction, r.name))


def holidays_for(law: Law, year: int) -> list[tuple[date, str]]:
    return calendar_for(law.calendar).holidays_in_year(year)
