"""`flask foia agencies ...`: the agency directory from the command line.

    import PATH... [--source NAME] [--dry-run] [--json]   load 18F, FOIA.gov, NYC or layout CSV files
    list [--json] [--law SLUG] [--q TEXT] [--parent SLUG]  find agencies
    show SLUG [--json]                                    every field, where it came from, reported and measured figures
    verify SLUG --as EMAIL [--withdraw]                   record that an administrator confirmed the contact details

Bad input (an unknown agency, law or account, a malformed file) prints `Error: ...` and exits with status 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from flask.cli import AppGroup, with_appcontext

from foia.core.cli import operator_user, parse_now
from foia.core.clock import local_today
from foia.extensions import db

if TYPE_CHECKING:
    from foia.agencies.importer import ImportReport
    from foia.models import Agency

agencies_cli = AppGroup("agencies", help="The agency directory: import public data, list, show and verify agencies.")


def _fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


# ---------------------------------------------------------------------------------------- import

def report_lines(report: ImportReport, *, limit: int = 20) -> list[str]:
    """The import report as text: per source its counts, then its conflicts and skipped rows (the first
    `limit` of each, and how many more)."""
    lines = []
    for s in report.sources:
        c = s.counts()
        head = (f"{s.source}: {c['added']} added, {c['updated']} updated, {c['unchanged']} unchanged, "
                f"{c['conflicts']} conflicts, {c['skipped']} skipped")
        if s.kind == "foiagov":
            head = (f"{s.source}: reported figures {s.reported['added']} added, {s.reported['updated']} updated, "
                    f"{s.reported['unchanged']} unchanged; {c['skipped']} skipped")
        lines.append(head + (" (dry run: nothing written)" if report.dry_run else ""))
        for conflict in s.conflicts[:limit]:
            lines.append(f"  conflict {conflict.slug} {conflict.field}: kept {_short(conflict.local)}, "
                         f"the source says {_short(conflict.source)}")
        if len(s.conflicts) > limit:
            lines.append(f"  ... and {len(s.conflicts) - limit} more conflicts (--json lists them all)")
        for reason, n in s.skipped_reasons().items():
            lines.append(f"  skipped {n}: {reason}")
    return lines


def _short(value: Any, width: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value.replace("\n", ", "))
    return text if len(text) <= width else text[:width - 1] + "…"


@agencies_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--source", "source_name", metavar="NAME", help="Store the rows under this source name instead of "
              "the format's own (18F-2017, nyc-openrecords, FOIA.gov annual report, csv:<file name>).")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@with_appcontext
def import_command(paths: tuple[Path, ...], source_name: str | None, dry_run: bool, as_json: bool) -> None:
    """Import agencies (18F YAML folder, NYC OpenRecords agencies.csv, a CSV in the directory's layout) and
    FOIA.gov reported figures (FOIASetFull .zip, .xml or the extracted .csv). All or nothing."""
    from foia.agencies.importer import import_paths
    from foia.agencies.sources import SourceError

    if source_name is not None and not (0 < len(source_name.strip()) <= 50):
        _fail("--source takes a name of 1 to 50 characters.")
    try:
        report = import_paths(db.session(), list(paths), now=parse_now(None), actor=None,
                              source=source_name.strip() if source_name else None, dry_run=dry_run)
    except SourceError as exc:
        db.session.rollback()
        _fail(f"{exc} (nothing was imported)")
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return
    for line in report_lines(report):
        click.echo(line)


# ---------------------------------------------------------------------------------------- list

def agency_summary(agency: Agency) -> dict[str, Any]:
    from foia.agencies.directory import filing_methods, label

    return {"slug": agency.slug, "name": agency.name, "abbreviation": agency.abbreviation,
            "parent": agency.parent.slug if agency.parent is not None else None, "department": agency.department,
            "jurisdiction": agency.jurisdiction, "law": agency.law, "label": label(agency),
            "filing_methods": filing_methods(agency), "foia_email": agency.foia_email,
            "source": agency.source, "verified": agency.verified_at is not None}


@agencies_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--law", default=None, metavar="SLUG", help="Only agencies under this law (e.g. us-foia).")
@click.option("--q", "q", default="", metavar="TEXT", help="Words in the name, abbreviation or parent.")
@click.option("--parent", default=None, metavar="SLUG", help="A department and its components (e.g. dhs).")
@click.option("--limit", default=None, type=click.IntRange(min=1), help="At most this many.")
@with_appcontext
def list_command(as_json: bool, law: str | None, q: str, parent: str | None, limit: int | None) -> None:
    """List the directory's agencies by name."""
    from sqlalchemy import select

    from foia.agencies.directory import search_agencies
    from foia.deadlines.laws import law_slugs
    from foia.models import Agency

    session = db.session()
    if law and law not in law_slugs():
        _fail(f"no law {law!r}; the laws are {', '.join(sorted(law_slugs()))}.")
    if parent and session.scalar(select(Agency.id).where(Agency.slug == parent)) is None:
        _fail(f"no agency {parent!r} in the directory.")
    rows, total = search_agencies(session, q=q, parent=parent, law=law, limit=limit)
    if as_json:
        click.echo(json.dumps({"total": total, "agencies": [agency_summary(a) for a in rows]}, indent=2,
                              ensure_ascii=False))
        return
    if not rows:
        click.echo("No agencies match.")
        return
    width = min(max(len(a.slug) for a in rows), 40)
    click.echo(f"{'SLUG':<{width}}  {'ABBR':<8}  {'LAW':<10}  {'PARENT':<10}  NAME")
    for a in rows:
        click.echo(f"{a.slug:<{width}}  {a.abbreviation[:8]:<8}  {a.law:<10}  "
                   f"{(a.parent.slug if a.parent is not None else '-')[:10]:<10}  {a.name}")
    click.echo(f"{len(rows)} of {total} agencies.")


# ---------------------------------------------------------------------------------------- show

def _agency_or_fail(slug: str) -> Agency:
    from sqlalchemy import select

    from foia.models import Agency

    agency = db.session.scalar(select(Agency).where(Agency.slug == slug.strip().lower()))
    if agency is None:
        _fail(f"no agency {slug!r} in the directory (flask foia agencies list --q ... finds one).")
    return agency


def measured_json(agency: Agency, *, today: Any) -> dict[str, Any]:
    """FOIA Tracker's own figures for the agency across every organization's requests."""
    from foia.dashboard.stats import DEFINITION, agency_responsiveness

    stats = next((s for s in agency_responsiveness(db.session(), scope=("all",), today=today)
                  if s.agency_id == agency.id), None)
    figures = None if stats is None else {
        "responses": stats.responses, "median_days": stats.median_days, "min_days": stats.min_days,
        "max_days": stats.max_days, "on_time": stats.on_time, "judged": stats.judged, "on_time_rate": stats.on_time_rate}
    return {"scope": "all organizations", "definition": DEFINITION, "figures": figures}


def agency_json(agency: Agency, *, today: Any) -> dict[str, Any]:
    from sqlalchemy import select

    from foia.agencies.directory import (
        REPORTED_DEFINITION,
        filing_methods,
        label,
        provenance,
        reported_json,
        reported_stats,
    )
    from foia.agencies.service import AGENCY_FIELDS
    from foia.models import Agency, User

    prov = provenance(agency)
    verifier = db.session.get(User, agency.verified_by_id) if agency.verified_by_id else None
    out: dict[str, Any] = {f: getattr(agency, f) for f in AGENCY_FIELDS}
    out.update({
        "abbreviation": agency.abbreviation, "parent": agency.parent.slug if agency.parent is not None else None,
        "website": agency.website, "filing_methods_declared": agency.filing_methods,
        "filing_methods": filing_methods(agency), "details": agency.details or {}, "label": label(agency),
        "source": agency.source, "source_label": prov.source_label, "source_key": agency.source_key,
        "source_as_of": agency.source_as_of.isoformat() if agency.source_as_of else None,
        "source_values": agency.source_values or {},
        "verified_at": agency.verified_at.isoformat() if agency.verified_at else None,
        "verified_by": verifier.email if verifier is not None else None, "provenance": prov.text,
        "components": [a.slug for a in db.session.scalars(select(Agency).where(Agency.parent_id == agency.id)
                                                          .order_by(Agency.slug))],
        "reported": [reported_json(s) for s in reported_stats(db.session(), agency.id)],
        "reported_definition": REPORTED_DEFINITION,
        "measured": measured_json(agency, today=today),
    })
    return out


@agencies_cli.command("show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def show_command(slug: str, as_json: bool) -> None:
    """Every field of one agency, where its details came from, its reported and measured figures."""
    agency = _agency_or_fail(slug)
    data = agency_json(agency, today=local_today(parse_now(None)))
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        return
    click.echo(f"{data['label']} [{agency.slug}]")
    click.echo(data["provenance"])
    for key in ("abbreviation", "parent", "department", "jurisdiction", "law", "timezone", "foia_email", "portal_url",
                "website", "mailing_address", "phone", "fax", "appeal_authority", "appeal_address", "appeal_email"):
        value = data[key]
        if value:
            click.echo(f"  {key}: {str(value).replace(chr(10), ', ')}")
    click.echo(f"  filing methods: {', '.join(data['filing_methods']) or 'none known'}")
    click.echo(f"  source: {data['source_label']} (key {data['source_key'] or '-'}, as of {data['source_as_of'] or '-'})")
    if data["components"]:
        click.echo(f"  components: {len(data['components'])} ({', '.join(data['components'][:8])}"
                   f"{', ...' if len(data['components']) > 8 else ''})")
    for stat in data["reported"]:
        click.echo(f"  reported FY{stat['fiscal_year']} ({stat['source']}, {stat['source_file']}): "
                   f"received {stat['received']}, processed {stat['processed']}, pending {stat['pending_end']}, "
                   f"median days simple {stat['simple_median_days']} / complex {stat['complex_median_days']} / "
                   f"expedited {stat['expedited_median_days']}")
    measured = data["measured"]["figures"]
    click.echo("  measured by FOIA Tracker: " + (
        f"{measured['responses']} responses, median {measured['median_days']:g} working days to first response"
        if measured else "no responses logged yet"))


# ---------------------------------------------------------------------------------------- verify

@agencies_cli.command("verify")
@click.argument("slug")
@click.option("--as", "as_email", required=True, metavar="EMAIL", help="The administrator who checked the details.")
@click.option("--withdraw", is_flag=True, help="Withdraw the confirmation (the details become unverified).")
@with_appcontext
def verify_command(slug: str, as_email: str, withdraw: bool) -> None:
    """Record that an administrator confirmed the agency's contact details (re-imports then never overwrite it)."""
    from foia.agencies.directory import provenance, verify_agency
    from foia.core.access import can_edit_agencies

    agency = _agency_or_fail(slug)
    user = operator_user(as_email)
    if not can_edit_agencies(user):
        _fail(f"{user.email} is not an administrator; only administrators verify the shared directory.")
    verify_agency(db.session(), actor=user, now=parse_now(None), agency=agency, verified=not withdraw)
    db.session.commit()
    click.echo(f"{agency.slug}: {provenance(agency).text}")
