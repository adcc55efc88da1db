"""Importing the directory's sources: one import of one or more paths, all or nothing.

Every path is read first (`foia.agencies.sources.read_paths`); a malformed file stops the import before
anything is written, with the file and line. Then, inside one savepoint (rolled back on any error, and at
the end of a dry run):

- **Agencies** are matched by (source, source key), then by slug. Each field is merged three ways against
  `Agency.source_values` (the values last imported from the source):
  * current == last imported: the field takes the source's new value (updated);
  * current != last imported (corrected here): the local value stays; if the source changed it too, that is
    a **conflict**, reported with both values;
  * a verified agency (`verified_at` set) is never overwritten: every difference the source brings is a
    conflict.
  A row matched by slug that this source never imported (a demo agency, one typed by hand, another source's)
  is **adopted**: its empty fields are filled, fields that differ are conflicts (the local value stays), and it
  records the source, key and values from then on. A source value that is empty says nothing at adoption.
  A new slug or time zone queues a recompute of the agency's open requests (a `recompute_clocks` scheduler job, as
  `foia.agencies.service.update_agency`).
  Every created or changed row is audited (actions create / update as in the directory's own edits; `import`
  for a row whose only change is what the source last said).
- **Reported figures** (FOIA.gov) are upserted per (agency, fiscal year, source); a component is matched to a
  directory agency by its department's abbreviation and its own abbreviation, then by its name within the
  department; an agency's totals go to the department's row. What matches nothing is listed as skipped."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.agencies.service import AGENCY_FIELDS, validate_agency_input
from foia.agencies.sources import SourceData, SourceError, read_paths
from foia.agencies.sources.records import (
    REPORTED_FLOAT_FIELDS,
    REPORTED_INT_FIELDS,
    AgencyRecord,
    ReportedRecord,
    Skipped,
    normalise_name,
)
from foia.clocks.jobs import queue_recompute
from foia.core.audit import audit, jsonable
from foia.core.clock import default_timezone
from foia.models import Agency, AgencyReportedStat, User

#: The fields merged from a source (`parent` is the parent's slug).
MERGE_FIELDS: tuple[str, ...] = (
    "slug", "name", "abbreviation", "department", "jurisdiction", "law", "timezone", "foia_email", "portal_url",
    "website", "mailing_address", "phone", "fax", "appeal_authority", "appeal_address", "appeal_email",
    "filing_methods", "details", "parent",
)
FIGURE_FIELDS = (*REPORTED_INT_FIELDS, *REPORTED_FLOAT_FIELDS)

#: FOIA.gov agency abbreviations for departments the 18F data names otherwise (renamed or succeeded since 2017).
REPORT_AGENCY_ALIASES: dict[str, str] = {
    "nrpc": "amtrak",       # National Railroad Passenger Corporation (Amtrak)
    "usagm": "bbg",         # U.S. Agency for Global Media, the Broadcasting Board of Governors until 2018
    "dfc": "opic",          # U.S. International Development Finance Corporation, OPIC's successor (2019)
    "odni": "dni",
    "usrrb": "rrb",
    "exim bank": "exim",
}


# ---------------------------------------------------------------------------------------- the report

@dataclass(frozen=True)
class Conflict:
    slug: str
    field: str
    local: Any
    source: Any


@dataclass
class SourceReport:
    source: str
    kind: str
    paths: list[str]
    as_of: str | None = None
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reported: dict[str, int] = field(default_factory=lambda: {"added": 0, "updated": 0, "unchanged": 0})

    def counts(self) -> dict[str, int]:
        out = {"added": len(self.added), "updated": len(self.updated), "unchanged": len(self.unchanged),
               "conflicts": len(self.conflicts), "skipped": len(self.skipped)}
        if self.kind == "foiagov":
            out.update({f"reported_{k}": v for k, v in self.reported.items()})
        return out

    def skipped_reasons(self) -> dict[str, int]:
        reasons: dict[str, int] = defaultdict(int)
        for s in self.skipped:
            reasons[s.reason] += 1
        return dict(sorted(reasons.items(), key=lambda kv: -kv[1]))

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "kind": self.kind, "paths": self.paths, "as_of": self.as_of,
                "counts": self.counts(), "added": self.added, "updated": self.updated, "adopted": self.adopted,
                "conflicts": [{"slug": c.slug, "field": c.field, "local": jsonable(c.local),
                               "source": jsonable(c.source)} for c in self.conflicts],
                "skipped": [{"where": s.where, "key": s.key, "reason": s.reason} for s in self.skipped],
                "skipped_reasons": self.skipped_reasons(), "notes": self.notes,
                **({"reported": self.reported} if self.kind == "foiagov" else {})}


@dataclass
class ImportReport:
    sources: list[SourceReport]
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "sources": [s.to_json() for s in self.sources]}


# ---------------------------------------------------------------------------------------- entry points

DATA_DIR = Path(__file__).resolve().parent / "data"
#: The data shipped with FOIA Tracker (foia/agencies/data/*/README.md says where each came from), loaded by
#: `flask foia demo` and `make run`: every federal office (18F), New York City's agencies, and the agencies'
#: own FOIA.gov figures for FY2023 and FY2024 (from the report zips; the CSV beside them is the same figures).
SHIPPED: tuple[Path, ...] = (
    DATA_DIR / "18f" / "yaml",
    DATA_DIR / "nyc" / "agencies.csv",
    DATA_DIR / "foiagov" / "2023-FOIASetFull.zip",
    DATA_DIR / "foiagov" / "2024-FOIASetFull.zip",
)


def import_shipped(session: Session, *, now: datetime, actor: User | None = None,
                   dry_run: bool = False) -> ImportReport:
    """Load (or refresh: idempotent) the shipped directory data."""
    return import_paths(session, SHIPPED, now=now, actor=actor, dry_run=dry_run)


def import_paths(session: Session, paths: Iterable[str | Path], *, now: datetime, actor: User | None = None,
                 source: str | None = None, dry_run: bool = False) -> ImportReport:
    """Read `paths` and merge them into the directory (see the module docstring). Raises SourceError (with
    'file:line') and writes nothing when any file is malformed or any row invalid."""
    data = read_paths([Path(p) for p in paths], source=source)
    return import_sources(session, data, now=now, actor=actor, dry_run=dry_run)


def import_sources(session: Session, sources: list[SourceData], *, now: datetime, actor: User | None = None,
                   dry_run: bool = False) -> ImportReport:
    session.flush()
    savepoint = session.begin_nested()
    try:
        index = _Index(session)
        reports = [_import_agencies(session, data, index, now=now, actor=actor)
                   for data in sources if data.kind != "foiagov"]
        reports += [_import_reported(session, data, now=now, actor=actor)
                    for data in sources if data.kind == "foiagov"]
        session.flush()
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return ImportReport(sources=reports, dry_run=dry_run)


# ---------------------------------------------------------------------------------------- agencies

class _Index:
    def __init__(self, session: Session) -> None:
        self.by_slug: dict[str, Agency] = {}
        self.by_key: dict[tuple[str, str], Agency] = {}
        for agency in session.scalars(select(Agency)):
            self.add(agency)

    def add(self, agency: Agency) -> None:
        self.by_slug[agency.slug] = agency
        if agency.source_key:
            self.by_key[(agency.source, agency.source_key)] = agency

    def moved(self, agency: Agency, old_slug: str) -> None:
        if self.by_slug.get(old_slug) is agency:
            del self.by_slug[old_slug]
        self.by_slug[agency.slug] = agency


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


def current_values(agency: Agency) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in MERGE_FIELDS:
        if f == "parent":
            out[f] = agency.parent.slug if agency.parent is not None else ""
        elif f == "details":
            out[f] = dict(agency.details or {})
        else:
            value = getattr(agency, f)
            out[f] = "" if value is None else value
    return out


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", str(value or ""))


def _url_key(value: Any) -> str:
    return re.sub(r"^https?://(www\.)?", "", str(value or "").strip().lower()).rstrip("/")


def equivalent(f: str, a: Any, b: Any) -> bool:
    """Values that say the same thing written differently ('(202) 343-1743' and '202-343-1743';
    'U.S. Department of Justice' and 'Department of Justice'): at adoption these are not conflicts."""
    if a == b:
        return True
    if not isinstance(a, str) or not isinstance(b, str) or not a or not b:
        return False
    if f in ("phone", "fax"):
        return _digits(a) == _digits(b)
    if f in ("name", "department", "appeal_authority"):
        return normalise_name(a) == normalise_name(b)
    if f in ("portal_url", "website"):
        return _url_key(a) == _url_key(b)
    return False


def merge(current: dict[str, Any], base: dict[str, Any] | None, new: dict[str, Any], *,
          verified: bool) -> tuple[dict[str, Any], list[tuple[str, Any, Any]]]:
    """The three-way merge of one row: (fields to set, conflicts as (field, local, source)). `base` is
    what the source said last time (None: it never imported this row)."""
    updates: dict[str, Any] = {}
    conflicts: list[tuple[str, Any, Any]] = []
    for f, new_value in new.items():
        cur = current.get(f, "")
        if cur == new_value:
            continue
        if base is None or f not in base:      # first time this source speaks of the field: adoption
            if _empty(new_value) or equivalent(f, cur, new_value):
                continue
            if _empty(cur) and not verified:
                updates[f] = new_value
            else:
                conflicts.append((f, cur, new_value))
            continue
        if base[f] == new_value:                # the source did not change it: a local correction stays
            continue
        if cur == base[f] and not verified:
            updates[f] = new_value
        else:
            conflicts.append((f, cur, new_value))
    return updates, conflicts


def _resolve_parent(rec: AgencyRecord, data: SourceData, imported: dict[str, Agency], index: _Index) -> Agency | None:
    if not rec.parent_key:
        return None
    parent = imported.get(rec.parent_key) or index.by_key.get((data.source, rec.parent_key)) \
        or index.by_slug.get(rec.parent_key)
    if parent is None:
        raise SourceError(rec.where, f"the parent {rec.parent_key!r} is neither in the file nor in the directory")
    return parent


def _validate(session: Session, rec: AgencyRecord, values: dict[str, Any], agency: Agency | None) -> None:
    """The directory's own checks (`validate_agency_input`) on what the row will hold, with its line."""
    data = {f: values.get(f, getattr(agency, f, "") if agency is not None else "") for f in AGENCY_FIELDS}
    if not data.get("timezone"):
        data["timezone"] = getattr(agency, "timezone", "") or default_timezone()
    _clean, errors = validate_agency_input(session, data, agency=agency)
    if errors:
        raise SourceError(rec.where, "; ".join(f"{f}: {msg}" for f, msg in errors.items()))


def _new_values(rec: AgencyRecord, parent: Agency | None) -> dict[str, Any]:
    values = {f: rec.values.get(f, "") for f in MERGE_FIELDS if f in rec.provided}
    for f in ("foia_email", "appeal_email", "slug"):
        if f in values:
            values[f] = str(values[f]).strip().lower()
    if "parent" in values:
        values["parent"] = parent.slug if parent is not None else ""
    if "details" in values and not isinstance(values["details"], dict):
        values["details"] = {}
    return values


def _import_agencies(session: Session, data: SourceData, index: _Index, *, now: datetime,
                     actor: User | None) -> SourceReport:
    report = SourceReport(source=data.source, kind=data.kind, paths=data.paths,
                          as_of=data.as_of.isoformat() if data.as_of else None, skipped=list(data.skipped),
                          notes=list(data.notes))
    imported: dict[str, Agency] = {}
    for rec in data.agencies:
        parent = _resolve_parent(rec, data, imported, index)
        new = _new_values(rec, parent)
        agency = index.by_key.get((data.source, rec.source_key))
        if agency is None:
            agency = index.by_slug.get(rec.slug)
            if agency is not None and agency.source == data.source and agency.source_key \
                    and agency.source_key != rec.source_key:
                report.skipped.append(Skipped(rec.where, rec.source_key,
                                              f"its slug {rec.slug!r} is another row of this source's "
                                              f"({agency.source_key!r})"))
                continue
        if agency is None:
            _validate(session, rec, new, None)
            agency = _create(session, data, rec, new, parent, now=now, actor=actor)
            index.add(agency)
            imported[rec.source_key] = agency
            report.added.append(agency.slug)
            continue
        imported[rec.source_key] = agency
        adopting = agency.source != data.source or agency.source_key != rec.source_key
        base = None if adopting else dict(agency.source_values or {})
        conflicts: list[tuple[str, Any, Any]] = []
        taken = index.by_slug.get(new.get("slug", agency.slug))
        if "slug" in new and taken is not None and taken is not agency:
            conflicts.append(("slug", agency.slug, new["slug"]))   # the source's slug belongs to another row
            new_for_merge = {k: v for k, v in new.items() if k != "slug"}
        else:
            new_for_merge = new
        updates, more = merge(current_values(agency), base, new_for_merge, verified=agency.verified_at is not None)
        conflicts += more
        if "slug" in updates or updates:
            _validate(session, rec, {**current_values(agency), **updates}, agency)
        meta = {"source": data.source, "source_key": rec.source_key, "source_as_of": data.as_of, "source_values": new}
        meta_changed = {k: v for k, v in meta.items() if getattr(agency, k) != v}
        for f, local, theirs in conflicts:
            report.conflicts.append(Conflict(slug=agency.slug, field=f, local=local, source=theirs))
        if updates:
            _update(session, agency, updates, meta, parent, index, now=now, actor=actor, adopting=adopting)
            (report.updated).append(agency.slug)
            if adopting:
                report.adopted.append(agency.slug)
        elif meta_changed:
            before = {k: jsonable(getattr(agency, k)) for k in meta_changed if k != "source_values"}
            for k, v in meta_changed.items():
                setattr(agency, k, v)
            session.flush()
            audit(session, actor=actor, now=now, action="import", entity=agency, before=before or None,
                  after={"source": data.source, "source_key": rec.source_key,
                         "conflicts": [c[0] for c in conflicts]})
            if adopting:
                report.updated.append(agency.slug)
                report.adopted.append(agency.slug)
            else:
                report.unchanged.append(agency.slug)
        else:
            report.unchanged.append(agency.slug)
    return report


def _create(session: Session, data: SourceData, rec: AgencyRecord, new: dict[str, Any], parent: Agency | None, *,
            now: datetime, actor: User | None) -> Agency:
    fields = {f: v for f, v in new.items() if f != "parent"}
    if not fields.get("timezone"):
        fields["timezone"] = default_timezone()
    agency = Agency(created_at=now, updated_at=now, source=data.source, source_key=rec.source_key,
                    source_as_of=data.as_of, source_values=new, parent_id=parent.id if parent is not None else None,
                    **fields)
    session.add(agency)
    session.flush()
    after = {f: jsonable(getattr(agency, f)) for f in AGENCY_FIELDS}
    after.update({"source": data.source, "source_key": rec.source_key,
                  "parent": parent.slug if parent is not None else ""})
    audit(session, actor=actor, now=now, action="create", entity=agency, after=after)
    return agency


def _update(session: Session, agency: Agency, updates: dict[str, Any], meta: dict[str, Any], parent: Agency | None,
            index: _Index, *, now: datetime, actor: User | None, adopting: bool) -> None:
    before_all = current_values(agency)
    before = {f: jsonable(before_all[f]) for f in updates}
    old_slug = agency.slug
    for f, value in updates.items():
        if f == "parent":
            agency.parent_id = parent.id if parent is not None and value else None
            agency.parent = parent if value else None
        else:
            setattr(agency, f, value)
    if adopting:
        before.update({"source": agency.source, "source_key": agency.source_key})
    for k, v in meta.items():
        setattr(agency, k, v)
    agency.updated_at = now
    session.flush()
    after = {f: jsonable(v) for f, v in updates.items()}
    after.update({"source": meta["source"], "source_key": meta["source_key"]})
    audit(session, actor=actor, now=now, action="update", entity=agency, before=before, after=after)
    if agency.slug != old_slug:
        index.moved(agency, old_slug)
    if "slug" in updates or "timezone" in updates:  # a scheduler job, never inside the import (web or CLI)
        queue_recompute(session, now=now, actor=actor, reason=f"agency {agency.slug} updated by an import",
                        agency_id=agency.id)


# ---------------------------------------------------------------------------------------- reported figures

class _Matcher:
    """Directory agencies under the law FOIA.gov reports on (us-foia), by department and component."""

    def __init__(self, session: Session) -> None:
        agencies = list(session.scalars(select(Agency).where(Agency.law == "us-foia")))
        self.parents: dict[str, Agency] = {}
        self.parents_by_name: dict[str, Agency] = {}
        self.children: dict[int, list[Agency]] = defaultdict(list)
        for a in agencies:
            if a.parent_id is None:
                if a.abbreviation:
                    # a department with components wins over a stand-alone row of the same abbreviation
                    self.parents.setdefault(a.abbreviation.lower(), a)
                self.parents_by_name.setdefault(normalise_name(a.name), a)
            else:
                self.children[a.parent_id].append(a)

    def department(self, rec: ReportedRecord) -> Agency | None:
        abbr = rec.agency.lower()
        return (self.parents.get(abbr) or self.parents.get(REPORT_AGENCY_ALIASES.get(abbr, "\0"))
                or self.parents_by_name.get(normalise_name(rec.agency_name)))

    def component(self, parent: Agency, rec: ReportedRecord) -> Agency | None:
        kids = self.children.get(parent.id, [])
        abbr, name = rec.component.lower(), normalise_name(rec.component_name)
        for a in kids:
            if abbr and a.abbreviation.lower() == abbr:
                return a
        for a in kids:
            if name and normalise_name(a.name) == name:
                return a
        if not kids and (name == normalise_name(parent.name) or abbr == parent.abbreviation.lower()):
            return parent   # a single-office agency is its own component
        return None


def _import_reported(session: Session, data: SourceData, *, now: datetime, actor: User | None) -> SourceReport:
    report = SourceReport(source=data.source, kind=data.kind, paths=data.paths, skipped=list(data.skipped),
                          notes=list(data.notes))
    matcher = _Matcher(session)
    existing = {(s.agency_id, s.fiscal_year): s for s in
                session.scalars(select(AgencyReportedStat).where(AgencyReportedStat.source == data.source))}
    seen: dict[tuple[int, int], str] = {}
    # An agency's total first: a component row that names the agency itself comes second.
    for rec in sorted(data.reported, key=lambda r: not r.is_agency_total):
        label = f"FY{rec.fiscal_year} {rec.agency}/{rec.component or '?'} {rec.component_name}".strip()
        if not rec.component and not rec.is_agency_total:
            report.skipped.append(Skipped(rec.where, label, "the report links these figures to no component"))
            continue
        if not rec.has_figures:
            report.skipped.append(Skipped(rec.where, label, "no figures in the report"))
            continue
        parent = matcher.department(rec)
        if parent is None:
            report.skipped.append(Skipped(rec.where, label, "the agency is not in the directory"))
            continue
        target = parent if rec.is_agency_total else matcher.component(parent, rec)
        if target is None:
            report.skipped.append(Skipped(rec.where, label, "the component is not in the directory"))
            continue
        key = (target.id, rec.fiscal_year)
        if key in seen:
            report.skipped.append(Skipped(rec.where, label, f"the same directory agency and year as {seen[key]}"))
            continue
        seen[key] = "its total" if rec.is_agency_total else f"{rec.component} ({rec.where})"
        values: dict[str, Any] = {f: rec.figures.get(f) for f in FIGURE_FIELDS}
        values["source_file"] = rec.source_file[:200]
        values["reported_as"] = (f"{rec.component} — {rec.component_name}" if rec.component and rec.component_name
                                 else rec.component or rec.component_name)[:300]
        stat = existing.get(key)
        if stat is None:
            stat = AgencyReportedStat(agency_id=target.id, fiscal_year=rec.fiscal_year, source=data.source,
                                      imported_at=now, **values)
            session.add(stat)
            session.flush()
            existing[key] = stat
            audit(session, actor=actor, now=now, action="create", entity=stat,
                  after={"agency": target.slug, "fiscal_year": rec.fiscal_year, **values})
            report.reported["added"] += 1
            continue
        changed = {f: v for f, v in values.items() if getattr(stat, f) != v}
        if not changed:
            report.reported["unchanged"] += 1
            continue
        before = {f: getattr(stat, f) for f in changed}
        for f, v in changed.items():
            setattr(stat, f, v)
        stat.imported_at = now
        session.flush()
        audit(session, actor=actor, now=now, action="update", entity=stat, before=before, after=changed)
        report.reported["updated"] += 1
    return report
