"""`flask foia ...` commands. Each one opens the app's database session and calls foia/ services."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from foia.extensions import db
from foia.core.paths import blob_root, letter_cache_dir
from foia.models import ROLES, User

foia_cli = AppGroup("foia", help="FOIA Tracker commands: demo data, users, requests and deadlines.")


def _now(value: str | None) -> datetime:
    if not value:
        return datetime.now(timezone.utc)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO date-time such as 2026-01-05T09:00:00-08:00") from exc
    if parsed.tzinfo is None:
        from zoneinfo import ZoneInfo

        parsed = parsed.replace(tzinfo=ZoneInfo(current_app.config["FOIA_TIMEZONE"]))
    return parsed.astimezone(timezone.utc)


@foia_cli.command("demo")
@click.option("--now", "now_s", metavar="ISO-DATETIME", help="Pretend it is this moment (dates are relative to it).")
def demo_command(now_s: str | None) -> None:
    """Load the Los Angeles demo agencies, accounts and requests (safe to run again)."""
    from foia.demo import load_demo

    counts = load_demo(db.session, now=_now(now_s), tz=current_app.config["FOIA_TIMEZONE"])
    db.session.commit()
    click.echo(f"Demo data ready: {counts['agencies']} agencies, {counts['users']} accounts, "
               f"{counts['requests_created']} new requests. Password for every demo account: foia-demo")


user_cli = AppGroup("user", help="Manage user accounts.")
foia_cli.add_command(user_cli)


@user_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="admin, staff or reporter.")
@click.option("--org", "org_name", required=True, help="Organization name (created if new).")
@click.option("--name", default="", help="Display name (defaults to the part of the email before @).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
def user_create(email: str, role: str, org_name: str, name: str, password_stdin: bool) -> None:
    """Create a user account. The password is prompted for, or read from stdin."""
    from foia.core.errors import ValidationError
    from foia.services import create_user, get_or_create_organization

    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    now = _now(None)
    try:
        org = get_or_create_organization(db.session, org_name, now=now)
        user = create_user(db.session, email=email, name=name, role=role, organization=org, password=password, now=now)
    except ValidationError as exc:
        db.session.rollback()
        for field, message in exc.errors.items():
            click.echo(f"Error ({field}): {message}", err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} in {org.name}.")


def _as_admin() -> User:
    """The CLI is an operator's tool: it reads as an administrator would."""
    return User(id=0, role="admin", organization_id=0, email="cli@localhost", name="CLI", active=True)


@foia_cli.command("requests")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--status", default=None, help="Only requests with this status.")
@click.option("--agency", default=None, help="Only requests to this agency (slug).")
def requests_command(as_json: bool, status: str | None, agency: str | None) -> None:
    """List requests, soonest next deadline first."""
    from foia.queries import list_requests

    admin = _as_admin()
    out: list[dict] = []
    after = None
    while True:
        rows, after = list_requests(db.session, admin, status=status, agency_slug=agency, after=after, limit=500)
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


def request_as_dict(req, events, communications=None) -> dict:
    """The request as plain data; `communications` (rows, newest first) adds a `communications` key."""
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
        from foia.communications import communication_as_dict

        data["communications"] = [communication_as_dict(c) for c in communications]
    return data


@foia_cli.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_command(ref: str, as_json: bool) -> None:
    """Show one request and its event ledger."""
    from foia.access import get_visible_request
    from foia.queries import request_events

    req = get_visible_request(db.session, _as_admin(), ref)
    if req is None:
        click.echo(f"Error: no request with reference {ref!r}.", err=True)
        sys.exit(1)
    from foia.clocks import compute_for

    from foia.communications import communications_for

    events = request_events(db.session, req)
    data = request_as_dict(req, events, communications_for(db.session, req))
    data["deadlines"] = [
        {"kind": c.kind, "label": c.label, "date": c.due.isoformat() if c.due else None, "status": c.status,
         "citation": c.citation, "explanation": c.explanation}
        for c in compute_for(db.session, req, events)
    ]
    from foia.documents import documents_for

    data["documents"] = [
        {"id": row.document.id, "filename": row.document.filename, "sha256": row.document.sha256,
         "size": row.document.size, "mime": row.document.mime, "pages": row.document.pages,
         "communication_id": row.document.communication_id, "text_status": row.document.text_status}
        for row in documents_for(db.session, req)
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


@foia_cli.command("recompute")
def recompute_command() -> None:
    """Recompute every open request's deadlines from its ledger (after a law-file or calendar update)."""
    from foia.clocks import recompute_open
    from foia.reminders import replan_moved

    now = _now(None)
    moved = recompute_open(db.session, now=now, actor=None, reason="flask foia recompute")
    replan_moved(db.session, moved, now=now)
    db.session.commit()
    click.echo(f"Recomputed. {len(moved)} clock date(s) moved on {len({m.ref for m in moved})} request(s).")
    for m in moved:
        click.echo(f"  {m.ref} {m.kind}: {m.before or '-'} -> {m.after or '-'}")


reminders_cli = AppGroup("reminders", help="Reminder emails: run a sweep, list the outbox table.")
foia_cli.add_command(reminders_cli)


@reminders_cli.command("dispatch")
@click.option("--now", "now_s", metavar="ISO-DATETIME", help="Send what is due at this moment (default: now).")
def reminders_dispatch(now_s: str | None) -> None:
    """Run one sweep: send every reminder that is due (for cron, tests and catch-up)."""
    from foia.reminders import dispatch_due, dispatch_settings, mailer_for

    sent = dispatch_due(db.session, now=_now(now_s), mailer=mailer_for(current_app.config),
                        settings=dispatch_settings(current_app.config))
    click.echo(f"Sent {sent} reminder(s).")


@reminders_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--all", "show_all", is_flag=True, help="Include sent and skipped rows (default: the last 200).")
def reminders_list(as_json: bool, show_all: bool) -> None:
    """Show pending and sent reminder rows."""
    from foia.models import Reminder, Request

    stmt = (select(Reminder, Request.ref, User.email).outerjoin(Request, Request.id == Reminder.request_id)
            .join(User, User.id == Reminder.user_id).order_by(Reminder.send_at, Reminder.id))
    if not show_all:
        stmt = stmt.limit(200)
    rows = [
        {"id": r.id, "ref": ref, "to": email, "clock": r.clock_kind, "due": r.due.isoformat(), "rule": r.rule,
         "seq": r.seq, "send_at": r.send_at.isoformat(), "status": r.status, "attempts": r.attempts,
         "last_error": r.last_error or None, "sent_at": r.sent_at.isoformat() if r.sent_at else None,
         "message_id": r.message_id or None}
        for r, ref, email in db.session.execute(stmt)
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No reminders.")
        return
    for r in rows:
        err = f"  error: {r['last_error']}" if r["last_error"] else ""
        click.echo(f"{r['send_at'][:16]}  {r['status']:<8} {r['ref'] or '(digest)':<14} {r['clock']:<16} "
                   f"{r['rule']:<16} {r['to']}{err}")


@foia_cli.command("scheduler")
@click.option("--interval", type=int, default=None, help="Seconds between sweeps (default: FOIA_SCHEDULER_INTERVAL or 60).")
def scheduler_command(interval: int | None) -> None:
    """Run the reminder scheduler (APScheduler, one sweep a minute) until stopped with Ctrl-C or SIGTERM."""
    from foia.scheduler import run_scheduler

    run_scheduler(current_app._get_current_object(), interval=interval or current_app.config["FOIA_SCHEDULER_INTERVAL"])


@foia_cli.command("letter")
@click.argument("ref")
@click.option("--kind", type=click.Choice(["request", "follow-up", "appeal"]), default="request", show_default=True,
              help="Which letter.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the PDF to this file.")
@click.option("--html", "as_html", is_flag=True, help="Print the letter's HTML instead of writing a PDF.")
def letter_command(ref: str, kind: str, output: str | None, as_html: bool) -> None:
    """The latest final letter of KIND for REF as a PDF (-o FILE.pdf) or HTML (--html); rendered from the
    request's current data when no version is final yet."""
    from foia.drafts import build_context, pdf_options
    from foia.core.clock import local_today
    from foia.letters import PdfCache, render_html
    from foia.models import LetterVersion
    from foia.access import get_visible_request

    if not output and not as_html:
        raise click.UsageError("Give -o FILE.pdf to write the PDF, or --html to print the HTML.")
    req = get_visible_request(db.session, _as_admin(), ref)
    if req is None:
        click.echo(f"Error: no request with reference {ref!r}.", err=True)
        sys.exit(1)
    version = db.session.scalar(select(LetterVersion).where(
        LetterVersion.request_id == req.id, LetterVersion.kind == kind, LetterVersion.status == "final")
        .order_by(LetterVersion.version.desc()).limit(1))
    if version is not None:
        html, context, source = version.html, version.context, f"final version {version.version}"
    else:
        today = local_today(_now(None), current_app.config["FOIA_TIMEZONE"])
        context = build_context(db.session, req, kind, {}, today=today)
        html, source = render_html(kind, req.law, context), "the request's current data (no final version)"
    if as_html:
        click.echo(html)
        return
    pdf, _sha, _hit = PdfCache(letter_cache_dir(current_app.config)).get_or_render(
        html, **pdf_options(context, kind, req.law))
    with open(output, "wb") as fh:
        fh.write(pdf)
    click.echo(f"Wrote {output} ({len(pdf):,} bytes): {kind} letter for {req.ref} from {source}.", err=True)


@foia_cli.command("attach")
@click.argument("ref")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--kind", default=None, help="What the files are (e.g. final_release); only echoed in the output.")
@click.option("--communication", "communication_id", type=int, default=None,
              help="Attach to this communication (id) of the request.")
def attach_command(ref: str, files: tuple[str, ...], kind: str | None, communication_id: int | None) -> None:
    """Attach FILE... to request REF as documents (stored once by content, text extracted for search)."""
    import os

    from foia.documents import add_document
    from foia.core.paths import blob_root
    from foia.models import Communication
    from foia.access import get_visible_request
    from foia.core.errors import ValidationError

    req = get_visible_request(db.session, _as_admin(), ref)
    if req is None:
        click.echo(f"Error: no request with reference {ref!r}.", err=True)
        sys.exit(1)
    communication = None
    if communication_id is not None:
        communication = db.session.get(Communication, communication_id)
        if communication is None or communication.request_id != req.id:
            click.echo(f"Error: {req.ref} has no communication {communication_id}.", err=True)
            sys.exit(1)
    now = _now(None)
    failed = 0
    for path in files:
        try:
            with open(path, "rb") as fh, db.session.begin_nested():
                doc = add_document(db.session, actor=None, now=now, req=req, stream=fh,
                                   filename=os.path.basename(path), storage_root=blob_root(current_app.config),
                                   max_bytes=current_app.config["FOIA_MAX_UPLOAD_BYTES"], communication=communication)
        except ValidationError as exc:
            failed += 1
            click.echo(f"Refused {path}: {' '.join(exc.errors.values())}", err=True)
            continue
        pages = f", {doc.pages} page(s)" if doc.pages is not None else ""
        click.echo(f"Attached {doc.filename} to {req.ref} as document {doc.id} ({doc.mime}{pages}, {doc.size:,} bytes, "
                   f"sha256 {doc.sha256[:12]}…, text {doc.text_status})" + (f" [kind: {kind}]" if kind else ""))
    db.session.commit()
    if failed:
        sys.exit(2)


@foia_cli.command("search")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--limit", type=int, default=20, show_default=True, help="At most this many matches.")
def search_command(query: str, as_json: bool, limit: int) -> None:
    """Full-text search over requests, communications and documents (every word must match)."""
    from foia.search import MARK_END, MARK_START, query_terms, search

    hits = search(db.session, _as_admin(), query, limit=limit)
    out = [{"ref": h.ref, "request_title": h.request_title, "source_type": h.source_type,
            "document": h.filename, "document_id": h.document_id, "communication_id": h.communication_id,
            "snippet": h.snippet.replace(MARK_START, "[").replace(MARK_END, "]"), "rank": h.rank} for h in hits]
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    if not query_terms(query):
        click.echo("Nothing to search for: give one or more words.")
        return
    if not out:
        click.echo("No matches.")
        return
    for h in out:
        where = f"document {h['document']}" if h["document"] else h["source_type"]
        click.echo(f"{h['ref']:<14} {where}\n    {' '.join(h['snippet'].split())}")


documents_cli = AppGroup("documents", help="Documents: extract text waiting for search.")
foia_cli.add_command(documents_cli)


@documents_cli.command("extract")
@click.option("--limit", type=int, default=None, help="Stop after this many documents (default: all pending).")
def documents_extract(limit: int | None) -> None:
    """Extract the text of documents too big to extract at upload (text_status pending)."""
    from foia.core.paths import blob_root
    from foia.documents import extract_pending

    done = 0
    while limit is None or done < limit:
        batch = 10 if limit is None else min(10, limit - done)
        n = extract_pending(db.session, _now(None), blob_root(current_app.config), batch)
        db.session.commit()
        done += n
        if n < batch:
            break
    click.echo(f"Extracted text from {done} document(s).")


@foia_cli.command("log")
@click.argument("ref")
@click.option("--kind", required=True, help="What it is: acknowledgment, extension_notice, clarification_request, "
              "clarification_reply, fee_estimate, fee_waiver_decision, payment, interim_release, final_release, "
              "partial_denial, full_denial, no_records, appeal_filed, appeal_decision, withdrawal, note.")
@click.option("--direction", type=click.Choice(["incoming", "outgoing"]), default=None,
              help="From the agency (incoming) or to it (outgoing). Default: the kind's usual direction.")
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD", help="Date of the communication (default: today).")
@click.option("--subject", default="", help="Subject line.")
@click.option("--body", default=None, help="The text of the message.")
@click.option("--body-file", type=click.File("r", encoding="utf-8"), default=None,
              help="Read the text from this file ('-' for stdin).")
@click.option("--tracking", default="", help="The agency's tracking number (kept on the request).")
@click.option("--exemption", "exemptions", multiple=True, metavar="CODE",
              help="An exemption the agency cites, e.g. '(b)(6)' (repeat for several).")
@click.option("--days", default=None, help="Extension days (extension_notice; default: the law's full extension).")
@click.option("--estimated", default=None, metavar="YYYY-MM-DD", help="The agency's estimated completion date.")
@click.option("--outcome", type=click.Choice(["granted", "partly_granted", "denied"]), default=None,
              help="Outcome of an appeal_decision.")
@click.option("--amount", default=None, help="Dollar amount of a fee_estimate or payment.")
@click.option("--now", "now_s", metavar="ISO-DATETIME", help="Pretend it is this moment.")
def log_command(ref: str, kind: str, direction: str | None, on: str | None, subject: str, body: str | None,
                body_file, tracking: str, exemptions: tuple[str, ...], days: str | None, estimated: str | None,
                outcome: str | None, amount: str | None, now_s: str | None) -> None:
    """Log a communication with the agency on request REF: writes the ledger event, moves the status and
    the deadlines (see foia/communications.py for what each kind does)."""
    from zoneinfo import ZoneInfo

    from foia.communications import DEFAULT_DIRECTION, log_communication
    from foia.models import COMMUNICATION_KINDS
    from foia.access import get_visible_request
    from foia.core.errors import ValidationError

    if body is not None and body_file is not None:
        raise click.UsageError("Give either --body or --body-file, not both.")
    req = get_visible_request(db.session, _as_admin(), ref)
    if req is None:
        click.echo(f"Error: no request with reference {ref!r}.", err=True)
        sys.exit(1)
    now = _now(now_s)
    text = body_file.read() if body_file is not None else (body or "")
    occurred_on = on or now.astimezone(ZoneInfo(current_app.config["FOIA_TIMEZONE"])).date().isoformat()
    data = {k: v for k, v in (("days", days), ("estimated_completion", estimated), ("outcome", outcome),
                              ("amount", amount)) if v not in (None, "")}
    try:
        comm = log_communication(
            db.session, actor=None, now=now, req=req, kind=kind,
            direction=direction or DEFAULT_DIRECTION.get(kind, "incoming"), occurred_on=occurred_on,
            subject=subject, body=text, tracking_number=tracking, exemptions=list(exemptions), data=data)
    except ValidationError as exc:
        db.session.rollback()
        for field, message in exc.errors.items():
            click.echo(f"Error ({field}): {message}", err=True)
        sys.exit(2)
    db.session.commit()
    label = COMMUNICATION_KINDS[comm.kind]
    click.echo(f"Logged {label.lower()} of {comm.occurred_on.isoformat()} on {req.ref} (communication {comm.id}). "
               f"Status: {req.status}. Response due: {req.response_due.isoformat() if req.response_due else '-'}.")


def _operator(email: str | None) -> User:
    """The account a CLI action is recorded under: --as EMAIL, or the first active administrator."""
    stmt = select(User).where(User.active.is_(True))
    stmt = stmt.where(User.email == email.strip().lower()) if email else stmt.where(User.role == "admin").order_by(User.id)
    user = db.session.scalar(stmt.limit(1))
    if user is None:
        click.echo(f"Error: no active account {email!r}." if email else
                   "Error: no administrator account exists; create one or pass --as EMAIL.", err=True)
        sys.exit(2)
    return user


@foia_cli.command("import-eml")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", default="note", help="Log matched messages as this kind (default: note).")
@click.option("--as", "as_email", default=None, metavar="EMAIL", help="Record the import as this user (default: an admin).")
def import_eml_command(files: tuple[str, ...], kind: str, as_email: str | None) -> None:
    """Import agency email (.eml files): match each to its request, log it, store its attachments."""
    from foia.core.paths import blob_root
    from foia.mailimport import import_eml
    from foia.core.errors import ValidationError

    actor = _operator(as_email)
    failed = 0
    for name in files:
        with open(name, "rb") as fh:
            data = fh.read()
        try:
            res = import_eml(db.session, actor=actor, now=_now(None), data=data,
                             storage_root=blob_root(current_app.config),
                             max_bytes=current_app.config.get("FOIA_MAX_UPLOAD_BYTES", 200 * 1024 * 1024), kind=kind)
        except ValidationError as exc:
            failed += 1
            click.echo(f"{name}: error: {' '.join(exc.errors.values())}", err=True)
        else:
            click.echo(f"{name}: {res.status}: {res.message}")
    if failed:
        sys.exit(1)


@foia_cli.command("export")
@click.argument("ref")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the .zip bundle.")
def export_command(ref: str, output: str) -> None:
    """Write a request's evidence bundle: letters, communications as .eml, documents, timeline, manifest."""

    from foia.export import build_bundle
    from foia.access import get_visible_request

    req = get_visible_request(db.session, _as_admin(), ref)
    if req is None:
        click.echo(f"Error: no request with reference {ref!r}.", err=True)
        sys.exit(1)
    manifest = build_bundle(db.session, req, out_path=output, storage_root=blob_root(current_app.config),
                            letter_cache=letter_cache_dir(current_app.config),
                            mail_from=current_app.config["FOIA_MAIL_FROM"], now=_now(None))
    click.echo(f"Wrote {output}: {len(manifest['files'])} files and a manifest of their SHA-256 sums.")


def register_cli(app: Flask) -> None:
    from foia.deadlines.cli import deadline_command

    foia_cli.add_command(deadline_command)
    app.cli.add_command(foia_cli)
