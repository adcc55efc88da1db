"""What every directory source parser returns: plain records, no database.

A parser reads one kind of file (18F YAML, FOIA.gov report XML or CSV, NYC OpenRecords CSV, the documented
CSV layout) into a `SourceData`: the agencies it describes (`AgencyRecord`), the figures it reports
(`ReportedRecord`), and what it left out and why (`Skipped`). A malformed file raises `SourceError`,
naming the file and the line. `foia.agencies.importer` merges the records into the directory."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

#: The agency fields a source can give (besides slug, which every record has). `parent` is the slug of the
#: parent agency as the source names it; `details` a JSON object (public liaison, service center, reading rooms).
RECORD_FIELDS: tuple[str, ...] = (
    "slug", "name", "abbreviation", "parent", "department", "jurisdiction", "law", "timezone", "foia_email",
    "portal_url", "website", "mailing_address", "phone", "fax", "appeal_authority", "appeal_address",
    "appeal_email", "filing_methods", "details",
)


class SourceError(ValueError):
    """A file that cannot be imported: `where` is 'path:line' (or the path), `message` says what is wrong."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@dataclass
class AgencyRecord:
    """One agency as a source describes it. `parent_key` is the source key of its parent (in the same
    source) or, failing that, a directory slug; `provided` names the fields the source has an opinion on
    (others are left alone on import)."""

    source_key: str
    where: str                      # 'path:line', for error messages
    values: dict[str, Any]
    parent_key: str = ""
    provided: frozenset[str] = frozenset(RECORD_FIELDS)

    @property
    def slug(self) -> str:
        return str(self.values["slug"])


#: The figures of one fiscal year (`foia.models.AgencyReportedStat` columns).
REPORTED_INT_FIELDS = ("received", "processed", "pending_end")
REPORTED_FLOAT_FIELDS = ("simple_median_days", "simple_average_days", "complex_median_days", "complex_average_days",
                         "expedited_median_days", "expedited_average_days", "appeal_median_days")


@dataclass
class ReportedRecord:
    """One component's (or one agency's total) figures for a fiscal year, as FOIA.gov reports them."""

    fiscal_year: int
    agency: str                     # the agency's abbreviation in the report, e.g. DHS
    agency_name: str
    component: str                  # the component's abbreviation, e.g. ICE (the agency's own for a total)
    component_name: str
    is_agency_total: bool
    source_file: str                # e.g. dhs-2024.xml
    where: str
    figures: dict[str, float | int | None] = field(default_factory=dict)

    @property
    def has_figures(self) -> bool:
        return any(v is not None for v in self.figures.values())


@dataclass(frozen=True)
class Skipped:
    where: str
    key: str
    reason: str


@dataclass
class SourceData:
    """What one source's files hold. `source` is the label stored on every row (`Agency.source`,
    `AgencyReportedStat.source`); `as_of` the day the data describes."""

    source: str
    kind: str                       # 18f | foiagov | nyc | layout
    paths: list[str]
    as_of: date | None = None
    agencies: list[AgencyRecord] = field(default_factory=list)
    reported: list[ReportedRecord] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # values the parser cleaned or left out, with where


# ---------------------------------------------------------------------------------------- shared helpers

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def valid_email(value: str) -> bool:
    """The test `foia.agencies.service.validate_agency_input` applies."""
    return bool(_EMAIL.fullmatch(value))


def slugify(text: str, *, limit: int = 64) -> str:
    """'U.S. Fish & Wildlife Service' -> 'u-s-fish-wildlife-service': ASCII lower-case letters and digits,
    runs of anything else one hyphen, cut at a word boundary to at most `limit` characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit + 1].rsplit("-", 1)[0] if "-" in slug[:limit + 1] else slug[:limit]
    return slug.strip("-")


_SHORTEN_DROP = {"of", "the", "and", "for", "on", "u", "s", "us"}


def short_slug(name: str, *, limit: int) -> str:
    """A short slug for an office with no abbreviation: parentheses dropped, small words dropped
    ('Office of the Inspector General (OIG)' -> 'office-inspector-general')."""
    base = re.sub(r"\([^)]*\)?", " ", name)
    words = [w for w in slugify(base, limit=10_000).split("-") if w and w not in _SHORTEN_DROP]
    return slugify("-".join(words) or slugify(name, limit=10_000), limit=limit)


def normalise_name(name: str) -> str:
    """For matching offices by name across sources: 'U.S. Immigration & Customs Enforcement' and
    'US Immigration and Customs Enforcement' both -> 'immigration and customs enforcement'."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ")
    text = re.sub(r"\([^)]*\)", " ", text)
    text = re.sub(r"\bu\.\s?s\.|\bunited states\b|\bus\b", " ", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    words = [w for w in text.split() if w not in ("the", "of")]
    return " ".join(words)


#: Where an agency's requests are received, by the state of its mailing address: the zone of the state's
#: capital and most of its people (states split across zones take their larger part: e.g. Indiana
#: America/Indiana/Indianapolis, Kentucky and Tennessee by their most populous city). DC -> America/New_York.
STATE_TIMEZONES: dict[str, str] = {
    "AL": "America/Chicago", "AK": "America/Anchorage", "AZ": "America/Phoenix", "AR": "America/Chicago",
    "CA": "America/Los_Angeles", "CO": "America/Denver", "CT": "America/New_York", "DE": "America/New_York",
    "DC": "America/New_York", "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu",
    "ID": "America/Boise", "IL": "America/Chicago", "IN": "America/Indiana/Indianapolis", "IA": "America/Chicago",
    "KS": "America/Chicago", "KY": "America/New_York", "LA": "America/Chicago", "ME": "America/New_York",
    "MD": "America/New_York", "MA": "America/New_York", "MI": "America/Detroit", "MN": "America/Chicago",
    "MS": "America/Chicago", "MO": "America/Chicago", "MT": "America/Denver", "NE": "America/Chicago",
    "NV": "America/Los_Angeles", "NH": "America/New_York", "NJ": "America/New_York", "NM": "America/Denver",
    "NY": "America/New_York", "NC": "America/New_York", "ND": "America/Chicago", "OH": "America/New_York",
    "OK": "America/Chicago", "OR": "America/Los_Angeles", "PA": "America/New_York", "RI": "America/New_York",
    "SC": "America/New_York", "SD": "America/Chicago", "TN": "America/Chicago", "TX": "America/Chicago",
    "UT": "America/Denver", "VT": "America/New_York", "VA": "America/New_York", "WA": "America/Los_Angeles",
    "WV": "America/New_York", "WI": "America/Chicago", "WY": "America/Denver",
    "PR": "America/Puerto_Rico", "VI": "America/St_Thomas", "GU": "Pacific/Guam", "AS": "Pacific/Pago_Pago",
    "MP": "Pacific/Saipan",
}

#: A federal office with no address in the data: most of them sit in Washington, D.C.
FEDERAL_DEFAULT_TIMEZONE = "America/New_York"


def state_timezone(state: str | None) -> str | None:
    return STATE_TIMEZONES.get((state or "").strip().upper().replace(".", ""))


def methods_from(values: dict[str, Any]) -> str:
    """How an office takes requests, from what the data gives: email if an email, portal if a request
    form, mail if an address, fax if a fax number, in that order."""
    have = [("email", "foia_email"), ("portal", "portal_url"), ("mail", "mailing_address"), ("fax", "fax")]
    return ",".join(m for m, f in have if values.get(f))
