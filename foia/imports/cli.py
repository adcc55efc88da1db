"""`flask foia import-requests FILE --org NAME --as EMAIL`: import a request log from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from foia.core.cli import operator_user, parse_now
from foia.extensions import db
from foia.imports.columns import FIELDS  # a leaf (no model): --column's help names the fields

#: An import of at least this many requests refreshes the planner's statistics of the tables it grew.
ANALYZE_AFTER = 1000


def analyze_ledger(session) -> None:
    """ANALYZE the tables a bulk import grows (requests, their events and cached clocks), so the database plans
    the next queries (lists, the bulk recompute) on today's sizes, not on the statistics of an emptier table
    (review §4.2: stale statistics made PostgreSQL scan every row per lookup). Autovacuum would catch up later."""
    from sqlalchemy import text

    for table in ("requests", "events", "request_clocks"):
        session.execute(text(f"ANALYZE {table}"))
    session.commit()


def _fail(message: str, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"error": message}))
    else:
        click.echo(f"Error: {message}", err=True)
    sys.exit(2)


@click.command("import-requests")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_name", required=True, help="The organization the requests belong to (its name).")
@click.option("--as", "as_email", required=True, help="The account the requests are filed under (a member of --org).")
@click.option("--dry-run", is_flag=True, help="Do everything, then roll it all back: nothing is saved.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows and list the others (default: any invalid "
                                                   "row imports nothing).")
@click.option("--column", "columns", multiple=True, metavar="FIELD=HEADER",
              help=f"Say which column holds a field when its header is not recognised. Fields: {', '.join(FIELDS)}.")
@click.option("--json", "as_json", is_flag=True, help="Print imported, duplicates, invalid (row, reason) and refs as JSON.")
@click.option("--now", "now_s", metavar="ISO-DATETIME", help="Pretend it is this moment.")
@with_appcontext
def import_requests_command(file: Path, org_name: str, as_email: str, dry_run: bool, skip_invalid: bool,
                            columns: tuple[str, ...], as_json: bool, now_s: str | None) -> None:
    """Import a request log (CSV or XLSX): one request per row, with its sent, acknowledged and closed events
    and its deadlines. Dates with slashes are read month first (6/20/2025). Exit status 2 when nothing was
    imported because of invalid rows (each listed with its row number)."""
    from sqlalchemy import select

    from foia.core.errors import ValidationError
    from foia.imports.columns import guess_mapping, normalise_header
    from foia.imports.preview import build_preview
    from foia.imports.reading import MAX_BYTES, read_table
    from foia.imports.service import ImportFailed, run_import
    from foia.models import Organization

    session = db.session()
    now = parse_now(now_s)
    actor = operator_user(as_email)
    org = session.scalar(select(Organization).where(Organization.name == org_name.strip()))
    if org is None:
        _fail(f"no organization named {org_name!r}.", as_json)
    assert org is not None
    if actor.organization_id != org.id:
        _fail(f"{actor.email} is not a member of {org.name}.", as_json)
    if file.stat().st_size > MAX_BYTES:
        _fail(f"{file.name} is larger than {MAX_BYTES // 1024 // 1024} MB.", as_json)
    try:
        table = read_table(file.read_bytes(), file.name)
    except ValidationError as exc:
        _fail(" ".join(exc.errors.values()), as_json)
        return
    mapping = guess_mapping(table.headers)
    norm = [normalise_header(h) for h in table.headers]
    for spec in columns:
        field, _, header = spec.partition("=")
        if field not in FIELDS or normalise_header(header) not in norm:
            _fail(f"--column {spec!r}: give FIELD=HEADER with a field of {', '.join(FIELDS)} and a header of the "
                  f"file ({', '.join(table.headers)}).", as_json)
        mapping = {f: (None if i == norm.index(normalise_header(header)) else i) for f, i in mapping.items()}
        mapping[field] = norm.index(normalise_header(header))
    missing = [FIELDS[f][0].lower() for f in ("agency", "title", "date_sent") if mapping[f] is None]
    if missing:
        _fail(f"no column recognised as the {', '.join(missing)} among {', '.join(table.headers)}; "
              f"name it with --column FIELD=HEADER.", as_json)
    preview = build_preview(session, actor=actor, now=now, table=table, mapping=mapping)
    try:
        result = run_import(session, actor=actor, now=now, preview=preview, skip_invalid=skip_invalid,
                            timezone=current_app.config["FOIA_TIMEZONE"], source=file.name)
    except ImportFailed as exc:
        _fail(f"row {exc.row}: {exc.reason} Nothing was imported.", as_json)
        return
    if dry_run or result.refused:
        session.rollback()
    else:
        session.commit()
        if len(result.imported) >= ANALYZE_AFTER:
            analyze_ledger(session)
    if as_json:
        click.echo(json.dumps({**result.as_dict(), "dry_run": dry_run}, indent=2))
    else:
        for row, why in result.invalid:
            click.echo(f"row {row}: {why}", err=result.refused)
        for row, ref in result.duplicates:
            click.echo(f"row {row}: duplicate of {ref}, skipped")
        if result.refused:
            click.echo(f"Nothing was imported: {len({r for r, _ in result.invalid})} row(s) have problems. Fix them, "
                       f"or import the others with --skip-invalid.", err=True)
        else:
            verb = "Would import" if dry_run else "Imported"
            refs = ", ".join(ref for _row, ref in result.imported)
            click.echo(f"{verb} {len(result.imported)} request(s){': ' + refs if refs else ''}; "
                       f"{len(result.duplicates)} duplicate(s) skipped; "
                       f"{len({r for r, _ in result.invalid})} invalid row(s) skipped."
                       + (" Dry run: nothing was saved." if dry_run else ""))
    if result.refused:
        sys.exit(2)



@click.command("import-jobs")
@click.option("--limit", default=20, show_default=True, help="Run at most this many imports.")
@with_appcontext
def import_jobs_command(limit: int) -> None:
    """Run the queued web imports of request logs now (the scheduler runs them every 15 seconds).

    Each import is all rows or none; a failed one says why on its status page."""
    from datetime import UTC, datetime

    from foia.imports.jobs import run_import_jobs
    from foia.imports.store import upload_store

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    result = run_import_jobs(db.session(), now=datetime.now(UTC), store=upload_store(app),
                             timezone=app.config["FOIA_TIMEZONE"], limit=limit)
    click.echo(f"Imports: {result.done} done, {result.failed} failed, {result.retrying} to retry.")
