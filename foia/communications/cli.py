"""`flask foia log`: log a communication with the agency."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from foia.core.cli import as_admin, operator_user, parse_now
from foia.core.clock import local_today
from foia.extensions import db


@click.command("log")
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
@with_appcontext
def log_command(ref: str, kind: str, direction: str | None, on: str | None, subject: str, body: str | None,
                body_file, tracking: str, exemptions: tuple[str, ...], days: str | None, estimated: str | None,
                outcome: str | None, amount: str | None, now_s: str | None) -> None:
    """Log a communication with the agency on request REF: writes the ledger event, moves the status and
    the deadlines (see foia/communications.py for what each kind does)."""
    from foia.communications.effects import DEFAULT_DIRECTION
    from foia.communications.service import log_communication
    from foia.core.access import get_visible_request
    from foia.core.errors import ValidationError
    from foia.models import COMMUNICATION_KINDS

    if body is not None and body_file is not None:
        raise click.UsageError("Give either --body or --body-file, not both.")
    req = get_visible_request(db.session(), as_admin(), ref)
    if req is None:
        click.echo(f"Error: no request with reference {ref!r}.", err=True)
        sys.exit(1)
    now = parse_now(now_s)
    text = body_file.read() if body_file is not None else (body or "")
    occurred_on = on or local_today(now).isoformat()
    data = {k: v for k, v in (("days", days), ("estimated_completion", estimated), ("outcome", outcome),
                              ("amount", amount)) if v not in (None, "")}
    try:
        comm = log_communication(
            db.session(), actor=None, now=now, req=req, kind=kind,
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


@click.command("void-communication")
@click.argument("ref")
@click.argument("comm_id", type=int)
@click.option("--reason", required=True, help="Why it is void (for the record; up to 500 characters).")
@click.option("--as", "as_email", default=None, metavar="EMAIL",
              help="The account the correction is recorded under (default: the first administrator).")
@click.option("--now", "now_s", metavar="ISO-DATETIME", help="Pretend it is this moment.")
@with_appcontext
def void_communication_command(ref: str, comm_id: int, reason: str, as_email: str | None, now_s: str | None) -> None:
    """Void communication COMM_ID of request REF (logged by mistake): it stays, marked voided; its ledger
    events stop counting; the status, deadlines and reminders are recomputed. Prints the dates that moved."""
    from foia.communications.corrections import void_communication
    from foia.core.access import get_visible_request
    from foia.core.errors import ValidationError
    from foia.models import Communication

    req = get_visible_request(db.session(), as_admin(), ref)
    comm = db.session.get(Communication, comm_id) if req is not None else None
    if req is None or comm is None or comm.request_id != req.id:
        click.echo(f"Error: no communication {comm_id} on request {ref!r}.", err=True)
        sys.exit(1)
    actor = operator_user(as_email)
    try:
        result = void_communication(db.session(), actor=actor, now=parse_now(now_s), comm=comm, reason=reason)
    except ValidationError as exc:
        db.session.rollback()
        for field, message in exc.errors.items():
            click.echo(f"Error ({field}): {message}", err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"Voided {comm.kind_label.lower()} of {comm.occurred_on.isoformat()} on {req.ref} "
               f"(communication {comm.id}). Status: {req.status}. {result.summary}")
