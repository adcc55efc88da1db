"""The directory's own CSV layout: one row per agency, for any state's or city's list (docs/agency-directory.md).

Columns (the first row names them, in any order; unknown columns are refused):

    slug, name, abbreviation, parent, department, jurisdiction, law, timezone, foia_email, portal_url,
    website, mailing_address, phone, fax, appeal_authority, appeal_address, appeal_email, filing_methods

`slug`, `name`, `jurisdiction` and `law` are required (as columns and in every row). `parent` is the slug
of the parent agency (a row of the same file, or an agency already in the directory); a component's slug
must start with its parent's slug and a hyphen, so the law's rules for the parent attach to it.
`timezone` defaults to the law's; `filing_methods` is a comma-separated subset of email, portal, mail,
fax, best first (empty: inferred from the addresses given). A column left out of the file leaves that field
alone on import; an empty cell in a column that is there says "none". The source's key for a row is its slug.

The checks that need the directory (slug taken, law known, email and URL shapes, lengths) are those of
`foia.agencies.service.validate_agency_input`, run by the importer on every row with its line number."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from foia.agencies.directory import require_methods
from foia.agencies.sources.records import AgencyRecord, SourceData, SourceError
from foia.core.errors import ValidationError
from foia.deadlines import load_law

COLUMNS: tuple[str, ...] = (
    "slug", "name", "abbreviation", "parent", "department", "jurisdiction", "law", "timezone", "foia_email",
    "portal_url", "website", "mailing_address", "phone", "fax", "appeal_authority", "appeal_address", "appeal_email",
    "filing_methods",
)
REQUIRED: tuple[str, ...] = ("slug", "name", "jurisdiction", "law")
LIMITS = {"abbreviation": 50, "website": 500}


def is_layout_csv(header: list[str]) -> bool:
    return "slug" in header and "name" in header


def _law_timezone(law: str) -> str:
    try:
        return str(load_law(law).timezone or "")
    except (KeyError, ValueError, FileNotFoundError):
        return ""


def parse(path: Path, text: str, *, source: str | None = None) -> SourceData:
    out = SourceData(source=source or f"csv:{path.stem}"[:50], kind="layout", paths=[str(path)])
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise SourceError(f"{path}:1", f"unknown column(s) {', '.join(unknown)}; the layout's columns are "
                                       f"{', '.join(COLUMNS)}")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise SourceError(f"{path}:1", f"missing required column(s) {', '.join(missing)}")
    if len(set(header)) != len(header):
        raise SourceError(f"{path}:1", "a column is named twice")
    provided = frozenset(header)
    slugs: dict[str, str] = {}
    for row in reader:
        where = f"{path}:{reader.line_num}"
        if None in row:
            raise SourceError(where, "more values than columns (a comma inside a value needs quotes)")
        if not any((v or "").strip() for v in row.values()):
            continue
        values: dict[str, Any] = {c: (row.get(c) or "").strip() for c in header}
        values["slug"] = values["slug"].lower()
        for col in REQUIRED:
            if not values[col]:
                raise SourceError(where, f"{col} is required")
        if values["slug"] in slugs:
            raise SourceError(where, f"the slug {values['slug']!r} is also on {slugs[values['slug']]}")
        slugs[values["slug"]] = where
        if "filing_methods" in values:
            try:
                values["filing_methods"] = require_methods(values["filing_methods"])
            except ValidationError as exc:
                raise SourceError(where, exc.errors["filing_methods"]) from None
        if values.get("website"):
            parts = urlsplit(values["website"])
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise SourceError(where, "website: enter a web address starting with https:// or http://")
        for col, limit in LIMITS.items():
            if len(values.get(col, "")) > limit:
                raise SourceError(where, f"{col}: keep this under {limit} characters")
        parent = values.get("parent", "").lower()
        if "parent" in values:
            values["parent"] = parent
        if parent:
            if parent == values["slug"]:
                raise SourceError(where, "an agency cannot be its own parent")
            if not values["slug"].startswith(parent + "-"):
                raise SourceError(where, f"slug {values['slug']!r} must start with its parent's slug "
                                         f"{parent + '-'!r}, so the parent's rules attach to it")
        if not values.get("timezone"):
            values["timezone"] = _law_timezone(values["law"])
        fields = provided | {"timezone"}
        out.agencies.append(AgencyRecord(source_key=values["slug"], where=where, values=values, parent_key=parent,
                                         provided=frozenset(fields)))
    if not out.agencies:
        raise SourceError(f"{path}:2", "no agencies in the file")
    # Parents before their components, so the importer can link them in one pass.
    order = {r.source_key: r for r in out.agencies}

    def depth(rec: AgencyRecord, seen: frozenset[str] = frozenset()) -> int:
        if not rec.parent_key or rec.parent_key not in order:
            return 0
        if rec.parent_key in seen:
            raise SourceError(rec.where, "parents form a loop")
        return 1 + depth(order[rec.parent_key], seen | {rec.source_key})

    out.agencies.sort(key=depth)
    return out
