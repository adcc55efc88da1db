"""NYC OpenRecords agencies (github.com/CityOfNewYork/NYCOpenRecords @ 95b4929, `data/agencies.csv`;
Apache-2.0, see foia/agencies/data/nyc/NOTICE): New York City agencies with their FOIL and appeals email.

Columns: ein, parent_ein, categories, name, acronym, next_request_number, default_email, appeals_email,
is_active. Rows marked inactive (is_active False: the agency does not take requests through OpenRecords, and
its addresses there were not kept up) are skipped and reported. Slug: 'nyc-' + the acronym (or a short slug of
the name); key: the EIN."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from foia.agencies.sources.records import (
    AgencyRecord,
    Skipped,
    SourceData,
    SourceError,
    short_slug,
    slugify,
    valid_email,
)

SOURCE = "nyc-openrecords"
#: The list's last change (commit 476a236).
AS_OF = date(2021, 10, 7)
JURISDICTION = "New York — City of New York"
LAW = "ny-foil"
TIMEZONE = "America/New_York"
COLUMNS = ("ein", "parent_ein", "categories", "name", "acronym", "default_email", "appeals_email", "is_active")
#: The fields this source has an opinion on (appeal authority and mailing addresses it does not give).
INACTIVE = ("inactive in NYC OpenRecords (is_active False): the agency does not take requests there and its "
            "FOIL address in the list was not kept up")
PROVIDED = frozenset({"slug", "name", "abbreviation", "department", "jurisdiction", "law", "timezone", "foia_email",
                      "appeal_email", "filing_methods", "details", "parent"})


def is_nyc_csv(header: list[str]) -> bool:
    return {"ein", "default_email", "is_active"} <= set(header)


def parse(path: Path, text: str, *, source: str = SOURCE) -> SourceData:
    out = SourceData(source=source, kind="nyc", paths=[str(path)], as_of=AS_OF)
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise SourceError(f"{path}:1", f"missing column(s) {', '.join(missing)}")
    rows = []
    for row in reader:
        where = f"{path}:{reader.line_num}"
        if None in row:
            raise SourceError(where, "more values than columns")
        active = (row["is_active"] or "").strip().lower()
        if active not in ("true", "false"):
            raise SourceError(where, f"is_active is {row['is_active']!r}; use True or False")
        if not (row["ein"] or "").strip() or not (row["name"] or "").strip():
            raise SourceError(where, "ein and name must not be empty")
        rows.append((where, row, active == "true"))
    names = {r["ein"].strip(): r["name"].strip() for _, r, _ in rows}
    slugs: set[str] = set()
    for where, row, active in rows:
        ein, name, acronym = row["ein"].strip(), " ".join(row["name"].split()), (row["acronym"] or "").strip()
        if not active:
            out.skipped.append(Skipped(where=where, key=f"{ein} {name}", reason=INACTIVE))
            continue
        email, appeals = (row["default_email"] or "").strip().lower(), (row["appeals_email"] or "").strip().lower()
        for label, value in (("default_email", email), ("appeals_email", appeals)):
            if value and not valid_email(value):
                raise SourceError(where, f"{label} {value!r} is not an email address")
        slug = "nyc-" + (slugify(acronym, limit=59) if acronym else short_slug(name, limit=59))
        if slug in slugs:
            raise SourceError(where, f"a second agency would get the short name {slug!r}")
        slugs.add(slug)
        # A sub-office's EIN is its parent's plus a letter (002B under 0002, the Mayor's Office).
        parent_ein = (row["parent_ein"] or "").strip()
        parent_name = names.get("0" + parent_ein) or names.get(parent_ein) or ""
        department = parent_name if parent_name and parent_name != name else "City of New York"
        categories = [c.strip() for c in (row["categories"] or "").split(",") if c.strip()]
        values = {"slug": slug, "name": name[:200], "abbreviation": acronym[:50], "department": department[:200],
                  "jurisdiction": JURISDICTION, "law": LAW, "timezone": TIMEZONE, "foia_email": email,
                  "appeal_email": appeals, "filing_methods": "email" if email else "",
                  "details": {"categories": categories} if categories else {}, "parent": ""}
        out.agencies.append(AgencyRecord(source_key=ein, where=where, values=values, provided=PROVIDED))
    return out

