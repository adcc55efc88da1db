"""The directory as people use it: finding an agency among hundreds, how an office takes requests, where
its details came from (and whether a person has confirmed them), and its own reported figures.

Shared by the web pages, the filing form, the letters and `flask foia agencies ...`; plain functions of a
session (and actor and now where something changes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.models import Agency, AgencyReportedStat, User

#: How an office takes requests, in the order a letter tries them when the data says nothing.
FILING_METHODS: tuple[str, ...] = ("email", "portal", "mail", "fax")
METHOD_LABELS: dict[str, str] = {"email": "Email", "portal": "Web portal", "mail": "Mail", "fax": "Fax"}

#: Human names for the sources an agency row can come from (`Agency.source`); others are shown as stored.
SOURCE_LABELS: dict[str, str] = {
    "local": "entered in FOIA Tracker",
    "demo": "FOIA Tracker demo data",
    "18F-2017": "18F federal FOIA contacts (2017)",
    "foiagov": "FOIA.gov annual reports",
    "nyc-openrecords": "NYC OpenRecords agency list (2021)",
}


def parse_methods(value: str | None) -> list[str]:
    """'email, portal' -> ['email', 'portal']: known methods only, in the given order, no repeats."""
    out: list[str] = []
    for part in re.split(r"[\s,;]+", (value or "").strip().lower()):
        if part in FILING_METHODS and part not in out:
            out.append(part)
    return out


def filing_methods(agency: Agency | Any) -> list[str]:
    """How the office takes requests, best first: the methods the data declares (`Agency.filing_methods`)
    that it has an address for, else every method it has an address for, in `FILING_METHODS` order."""
    have = {"email": bool(getattr(agency, "foia_email", "")), "portal": bool(getattr(agency, "portal_url", "")),
            "mail": bool(getattr(agency, "mailing_address", "")), "fax": bool(getattr(agency, "fax", ""))}
    declared = [m for m in parse_methods(getattr(agency, "filing_methods", "")) if have[m]]
    return declared or [m for m in FILING_METHODS if have[m]]


def methods_text(agency: Agency | Any) -> str:
    """'Email, Web portal or Mail' ('' when the directory has no way in at all)."""
    labels = [METHOD_LABELS[m] for m in filing_methods(agency)]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " or " + labels[-1]


# ---------------------------------------------------------------------------------------- provenance

@dataclass(frozen=True)
class Provenance:
    source: str              # Agency.source
    source_label: str        # e.g. "18F federal FOIA contacts (2017)"
    as_of: date | None
    verified_at: datetime | None

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def text(self) -> str:
        """The label shown wherever contact details are used."""
        if self.verified_at is not None:
            return f"Contact details confirmed on {self.verified_at.date().isoformat()}."
        where = f"from the {self.source_label}" if self.source not in ("local", "demo") else self.source_label
        when = f", as of {self.as_of.isoformat()}" if self.as_of else ""
        return f"Unverified contact details ({where}{when}): check them before you send."


def provenance(agency: Agency) -> Provenance:
    return Provenance(source=agency.source or "local",
                      source_label=SOURCE_LABELS.get(agency.source or "local", agency.source or "local"),
                      as_of=agency.source_as_of, verified_at=agency.verified_at)


def verify_agency(session: Session, *, actor: User, now: datetime, agency: Agency, verified: bool = True) -> Agency:
    """Record that a person confirmed (or withdrew confirmation of) the agency's contact details.
    Callers check `foia.core.access.can_edit_agencies` first."""
    before = {"verified_at": agency.verified_at.isoformat() if agency.verified_at else None}
    agency.verified_at = now if verified else None
    agency.verified_by_id = actor.id if verified else None
    agency.updated_at = now
    session.flush()
    audit(session, actor=actor, now=now, action="verify" if verified else "unverify", entity=agency,
          before=before, after={"verified_at": agency.verified_at.isoformat() if agency.verified_at else None})
    return agency


# ---------------------------------------------------------------------------------------- finding agencies

PAGE_SIZE = 50


def _like(q: str) -> str:
    return "%" + q.replace("\\", "").replace("%", "").replace("_", "") + "%"


def search_clause(q: str) -> ColumnElement[bool] | None:
    """Agencies whose name, short name, abbreviation, department or parent department (name or
    abbreviation) contains every word of `q` (case-insensitive); None for an empty query."""
    words = [w for w in re.split(r"\s+", q.strip()) if w][:8]
    if not words:
        return None
    parent = aliased(Agency)
    clauses = []
    for word in words:
        like = _like(word)
        in_parent = select(parent.id).where(parent.id == Agency.parent_id,
                                            or_(parent.name.ilike(like), parent.abbreviation.ilike(like))).exists()
        clauses.append(or_(Agency.name.ilike(like), Agency.slug.ilike(like), Agency.abbreviation.ilike(like),
                           Agency.department.ilike(like), Agency.jurisdiction.ilike(like), in_parent))
    out = clauses[0]
    for c in clauses[1:]:
        out = out & c
    return out


def search_agencies(session: Session, *, q: str = "", parent: str | None = None, law: str | None = None,
                    limit: int | None = PAGE_SIZE, offset: int = 0) -> tuple[list[Agency], int]:
    """One page of the directory, by name, and the number of matches in all. `parent` is a department's
    slug (its components and itself); `law` a law slug."""
    stmt = select(Agency)
    where = search_clause(q)
    if where is not None:
        stmt = stmt.where(where)
    if parent:
        dept = session.scalar(select(Agency.id).where(Agency.slug == parent))
        if dept is None:
            return [], 0
        stmt = stmt.where(or_(Agency.parent_id == dept, Agency.id == dept))
    if law:
        stmt = stmt.where(Agency.law == law)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    # Exact matches first: 'ICE' is an abbreviation before it is a part of 'Office', 'Justice' or 'Police'.
    exact = q.strip().lower()
    rank = case((func.lower(Agency.abbreviation) == exact, 0), (func.lower(Agency.slug) == exact, 0),
                (func.lower(Agency.name) == exact, 0), else_=1) if exact else literal(1)
    stmt = stmt.order_by(rank, Agency.name, Agency.id).offset(max(offset, 0))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt)), total


@dataclass(frozen=True)
class Department:
    agency: Agency
    components: int


def departments(session: Session) -> list[Department]:
    """Every agency that has components, with how many, by name (for browsing by parent)."""
    child = aliased(Agency)
    rows = session.execute(select(Agency, func.count(child.id)).join(child, child.parent_id == Agency.id)
                           .group_by(Agency.id).order_by(Agency.name))
    return [Department(agency=a, components=n) for a, n in rows]


def components(session: Session, agency: Agency) -> list[Agency]:
    return list(session.scalars(select(Agency).where(Agency.parent_id == agency.id).order_by(Agency.name)))


def label(agency: Agency) -> str:
    """'U.S. Immigration and Customs Enforcement (ICE) — Department of Homeland Security': the text a
    picker matches and shows."""
    name = agency.name
    if agency.abbreviation and agency.abbreviation.lower() not in name.lower():
        name += f" ({agency.abbreviation})"
    parent = agency.parent.name if agency.parent is not None else agency.department
    return f"{name} — {parent}" if parent and parent != agency.name else name


# ---------------------------------------------------------------------------------------- reported figures

REPORTED_FIELDS: tuple[str, ...] = (
    "received", "processed", "pending_end", "simple_median_days", "simple_average_days", "complex_median_days",
    "complex_average_days", "expedited_median_days", "expedited_average_days", "appeal_median_days",
)

REPORTED_LABELS: dict[str, str] = {
    "received": "Requests received", "processed": "Requests processed", "pending_end": "Pending at year end",
    "simple_median_days": "Simple requests, median days", "simple_average_days": "Simple requests, average days",
    "complex_median_days": "Complex requests, median days", "complex_average_days": "Complex requests, average days",
    "expedited_median_days": "Expedited requests, median days",
    "expedited_average_days": "Expedited requests, average days", "appeal_median_days": "Appeals, median days",
}

#: What the reported figures are (shown beside them, as the measured figures carry their own definition).
REPORTED_DEFINITION = (
    "The agency's own figures from its annual FOIA report to the Department of Justice (published on "
    "FOIA.gov), for the federal fiscal year (October to September). Days are working days from receipt "
    "(of a perfected request) to the response, as the agency counted them; FOIA.gov shows 0 where the "
    "agency processed no request of that kind, so 0 is shown as “none reported”."
)


def reported_stats(session: Session, agency_id: int) -> list[AgencyReportedStat]:
    """The agency's reported fiscal years, newest first."""
    return list(session.scalars(select(AgencyReportedStat).where(AgencyReportedStat.agency_id == agency_id)
                                .order_by(AgencyReportedStat.fiscal_year.desc(), AgencyReportedStat.source)))


def _days(value: float | None) -> str:
    return f"{value:.0f}" if float(value or 0).is_integer() else f"{value:.1f}"


def reported_headline(agency: Agency, stat: AgencyReportedStat | None) -> str:
    """'ICE reported a median of 203 days for complex requests in FY2024' (the slowest track reported),
    or '' when there is nothing to say."""
    if stat is None:
        return ""
    who = agency.abbreviation or agency.name
    for track in ("complex", "simple"):
        value = getattr(stat, f"{track}_median_days")
        if value:
            return f"{who} reported a median of {_days(value)} days for {track} requests in FY{stat.fiscal_year}"
    return ""


def reported_json(stat: AgencyReportedStat) -> dict[str, Any]:
    out: dict[str, Any] = {"fiscal_year": stat.fiscal_year, "source": stat.source, "source_file": stat.source_file,
                           "reported_as": stat.reported_as}
    out.update({f: getattr(stat, f) for f in REPORTED_FIELDS})
    return out


def require_methods(value: str) -> str:
    """Validate a comma-separated list of filing methods (for forms and the CSV layout)."""
    given = [p for p in re.split(r"[\s,;]+", (value or "").strip().lower()) if p]
    unknown = [p for p in given if p not in FILING_METHODS]
    if unknown:
        raise ValidationError({"filing_methods": f"Unknown way to file: {', '.join(unknown)}. "
                                                 f"Use any of {', '.join(FILING_METHODS)}."})
    return ",".join(parse_methods(value))
