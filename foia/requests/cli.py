"""`flask foia requests`, `show`, `history` and `export-requests`: requests from the command line."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from foia.core.cli import as_admin, operator_user
from foia.core.clock import utcnow
from foia.extensions import db


@click.command("requests")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--status", default=None, help="Only requests with this status.")
@click.option("--agency", default=None, help="Only requests to this agency (slug).")
@with_appcontext
def requests_command(as_json: bool, status: str | None, agency: str | None) -> None:
    """List requests, soonest next deadline first."""
    from foia.requests.queries import list_requests

    admin = as_admin()
    out: list[dict] = []
    after = None
    while True:
        rows, after = list_requests(db.session(), admin, status=status, agency_slug=agency, after=after, limit=500)
        out.extend(
            {"ref": r.ref, "title": r.title, "agency": r.agency.slug, "law": r.law, "status": r.status,
             "response_due": r.response_due.isoformat() if r.response_due else None}
            for r in rows
        )
        if after is None:
            break
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    if not out:
        click.echo("No requests.")
        return
    click.echo(f"{'REF':<14} {'STATUS':<20} {'DUE':<11} {'AGENCY':<14} TITLE")
    for r in out:
        click.echo(f"{r['ref']:<14} {r['status']:<20} {r['response_due'] or '-':<11} {r['agency']:<14} {r['title']}")


def request_as_dict(req, events, communications=None, deliveries=None) -> dict:
    """The request as plain data; `communications` (rows, newest first) adds a `communications` key,
    `deliveries` (letters emailed from the app, newest first) a `deliveries` key."""
    from foia.communications.service import communication_as_dict

    data = {
        "ref": req.ref, "title": req.title, "records_sought": req.records_sought,
        "records_from": req.records_from.isoformat() if req.records_from else None,
        "records_to": req.records_to.isoformat() if req.records_to else None,
        "agency": req.agency.slug, "law": req.law, "status": req.status,
        "requester": req.requester.email, "organization": req.organization.name,
        "visibility": req.visibility, "fee_category": req.fee_category,
        "fee_ceiling": str(req.fee_ceiling) if req.fee_ceiling is not None else None,
        "fee_waiver": req.fee_waiver, "expedited": req.expedited, "preferred_format": req.preferred_format,
        "tracking_number": req.tracking_number or None,
        "sent_at": req.sent_at.isoformat() if req.sent_at else None,
        "received_at": req.received_at.isoformat() if req.received_at else None,
        "response_due": req.response_due.isoformat() if req.response_due else None,
        "events": [
            {"kind": e.kind, "date": e.occurred_on.isoformat(),
             "at": e.occurred_at.isoformat() if e.occurred_at else None,
             "actor": e.actor.email if e.actor else None, "notes": e.notes, "data": e.data}
            for e in events
        ],
    }
    if communications is not None:

        data["communications"] = [communication_as_dict(c) for c in communications]
    if deliveries is not None:
        data["deliveries"] = [
            {"message_id": d.message_id, "to": d.to_addr, "kind": d.kind,
             "sent_at": d.sent_at.isoformat() if d.sent_at else None, "status": d.status,
             "smtp_code": d.smtp_code, "smtp_reply": d.smtp_reply, "queue_id": d.queue_id}
            for d in deliveries
        ]
    return data


@click.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def show_command(ref: str, as_json: bool) -> None:
    """Show one request and its event ledger."""
    from foia.clocks.service import compute_for
    from foia.communications.service import communications_for
    from foia.core.access import get_visible_request
    from foia.documents.service import documents_for
    from foia.mailroom.outbound import deliveries_for
    from foia.requests.queries import request_events

    req = get_visible_request(db.session(), as_admin(), ref)
    if req is None:
        click.echo(f"Error: no request with reference {ref!r}.", err=True)
        sys.exit(1)

    events = request_events(db.session(), req)
    data = request_as_dict(req, events, communications_for(db.session(), req), deliveries_for(db.session(), req))
    data["deadlines"] = [
        {"kind": c.kind, "label": c.label, "date": c.due.isoformat() if c.due else None, "status": c.status,
         "citation": c.citation, "explanation": c.explanation}
        for c in compute_for(db.session(), req, events)
    ]

    data["documents"] = [
        {"id": row.document.id, "filename": row.document.filename, "sha256": row.document.sha256,
         "size": row.document.size, "mime": row.document.mime, "pages": row.document.pages,
         "communication_id": row.document.communication_id, "text_status": row.document.text_status,
         "text_source": row.document.text_source}
        for row in documents_for(db.session(), req)
    ]
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"{data['ref']}  {data['title']}")
    for key in ("agency", "law", "status", "requester", "organization", "visibility", "tracking_number", "response_due"):
        click.echo(f"  {key:<16} {data[key] if data[key] is not None else '-'}")
    click.echo("  deadlines:")
    for c in data["deadlines"]:
        click.echo(f"    {c['date'] or '-':<11} {c['label']} [{c['status']}] ({c['citation']})")
    click.echo("  events:")
    for e in data["events"]:
        click.echo(f"    {e['date']}  {e['kind']:<14} {e['notes']}")
    click.echo("  communications:")
    for c in data["communications"]:
        ex = f" [{', '.join(c['exemptions'])}]" if c["exemptions"] else ""
        click.echo(f"    {c['date']}  {c['direction']:<8} {c['kind']:<21} {c['subject']}{ex}")
    if data["deliveries"]:
        click.echo("  emailed letters:")
        for d in data["deliveries"]:
            reply = f" {d['smtp_code']} {d['smtp_reply']}" if d["smtp_code"] else ""
            click.echo(f"    {d['sent_at'] or '-':<25} {d['kind']:<9} {d['status']:<9} {d['to']}{reply}")


@click.command("history")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def history_command(ref: str, as_json: bool) -> None:
    """Show everything done to request REF, oldest first: when, who, what, and what changed."""
    from foia.core.access import get_visible_request
    from foia.requests.history import history_as_dicts, history_for

    req = get_visible_request(db.session(), as_admin(), ref)
    if req is None:
        click.echo(f"Error: no request with reference {ref!r}.", err=True)
        sys.exit(1)
    rows = history_for(db.session(), req, tz=current_app.config.get("FOIA_TIMEZONE"), internal=True)
    if as_json:
        click.echo(json.dumps(history_as_dicts(rows), indent=2))
        return
    if not rows:
        click.echo("No changes recorded.")
        return
    for row in rows:
        click.echo(f"{row.at.strftime('%Y-%m-%d %H:%M')}  {row.who:<20} {row.what}")
        for c in row.changes:
            click.echo(f"{'':<38}{c.field}: {c.before} -> {c.after}")


def _refuse(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


@click.command("export-requests")
@click.option("-o", "--output", "output", required=True, metavar="FILE.csv|FILE.xlsx",
              help="The file to write; its extension (.csv or .xlsx) picks the format.")
@click.option("--status", default=None, help="Only requests with this status (e.g. submitted, acknowledged).")
@click.option("--agency", default=None, metavar="SLUG", help="Only requests to this agency.")
@click.option("--q", "text", default=None, metavar="TEXT", help="Title, reference or tracking number contains TEXT.")
@click.option("--org", default=None, metavar="NAME", help="Only this organization's requests.")
@click.option("--as", "as_email", default=None, metavar="EMAIL",
              help="Export what this account can see (default: every request, as an administrator).")
@with_appcontext
def export_requests_command(output: str, status: str | None, agency: str | None, text: str | None,
                            org: str | None, as_email: str | None) -> None:
    """Write the requests list, soonest next deadline first, as CSV or XLSX: reference, title, tracking number,
    agency, law, status, date sent, each deadline with its days left, organization and last update."""
    from sqlalchemy import func, select

    from foia.models import STATUSES, Agency, Organization
    from foia.requests.export import export_requests, write_csv, write_xlsx
    from foia.requests.queries import ListQuery

    path = Path(output)
    fmt = path.suffix.lower()
    if fmt not in (".csv", ".xlsx"):
        _refuse(f"{output!r}: the file name must end in .csv or .xlsx.")
    if not path.parent.is_dir():
        _refuse(f"{str(path.parent)!r} is not a folder.")
    if status is not None and status not in STATUSES:
        _refuse(f"unknown status {status!r}; one of: {', '.join(STATUSES)}.")
    session = db.session()
    if agency is not None and session.scalar(select(Agency.id).where(Agency.slug == agency)) is None:
        _refuse(f"no agency with the short name {agency!r} (see /agencies or `flask foia requests`).")
    org_id = None
    if org is not None:
        org_id = session.scalar(select(Organization.id).where(func.lower(Organization.name) == org.strip().lower()))
        if org_id is None:
            _refuse(f"no organization named {org!r}.")
    actor = operator_user(as_email) if as_email else as_admin()
    lq = ListQuery(q=" ".join((text or "").split())[:100], status=status, agency_slug=agency)
    export = export_requests(session, actor, utcnow(), lq, organization_id=org_id)
    # Written beside the target and moved into place: a failed export leaves no half-written file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    rows = 0

    def counted(source):
        nonlocal rows
        for row in source:
            rows += 1
            yield row

    export.rows = counted(export.rows)
    try:
        with os.fdopen(fd, "wb") as fh:
            if fmt == ".csv":
                for piece in write_csv(export):
                    fh.write(piece)
            else:
                write_xlsx(export, fh)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    click.echo(f"Wrote {rows} request{'s' if rows != 1 else ''} to {path} ({fmt[1:].upper()}).")
