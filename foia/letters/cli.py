"""`flask foia letter`: a request's letter as PDF or HTML; `flask foia send`: email it to the agency."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import with_appcontext

from foia.core.cli import as_admin, operator_user, parse_now
from foia.core.clock import local_today
from foia.extensions import db

if TYPE_CHECKING:
    from foia.models import LetterVersion


@click.command("letter")
@click.argument("ref")
@click.option("--kind", type=click.Choice(["request", "follow-up", "appeal"]), default="request", show_default=True,
              help="Which letter.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the PDF to this file.")
@click.option("--html", "as_html", is_flag=True, help="Print the letter's HTML instead of writing a PDF.")
@with_appcontext
def letter_command(ref: str, kind: str, output: str | None, as_html: bool) -> None:
    """The latest final letter of KIND for REF as a PDF (-o FILE.pdf) or HTML (--html); rendered from the
    request's current data when no version is final yet."""
    from sqlalchemy import select

    from foia.core.access import get_visible_request
    from foia.core.paths import letter_cache_dir
    from foia.letters.render import PdfCache, render_html
    from foia.letters.service import build_context, pdf_options
    from foia.models import LetterVersion

    if not output and not as_html:
        raise click.UsageError("Give -o FILE.pdf to write the PDF, or --html to print the HTML.")
    req = get_visible_request(db.session(), as_admin(), ref)
    if req is None:
        click.echo(f"Error: no request with reference {ref!r}.", err=True)
        sys.exit(1)
    version = db.session.scalar(select(LetterVersion).where(
        LetterVersion.request_id == req.id, LetterVersion.kind == kind, LetterVersion.status == "final")
        .order_by(LetterVersion.version.desc()).limit(1))
    if version is not None and version.html is not None and version.context is not None:
        html, context, source = version.html, version.context, f"final version {version.version}"
    else:
        today = local_today(parse_now(None))
        context = build_context(db.session(), req, kind, {}, today=today)
        html, source = render_html(kind, req.law, context), "the request's current data (no final version)"
    if as_html:
        click.echo(html)
        return
    assert output is not None  # checked above: without --html, -o is required
    pdf, _sha, _hit = PdfCache(letter_cache_dir(current_app.config)).get_or_render(
        html, **pdf_options(context, kind, req.law))
    with open(output, "wb") as fh:
        fh.write(pdf)
    click.echo(f"Wrote {output} ({len(pdf):,} bytes): {kind} letter for {req.ref} from {source}.", err=True)


def _latest(req_id: int, kind: str, status: str) -> LetterVersion | None:
    from sqlalchemy import select

    from foia.models import LetterVersion

    return db.session.scalar(select(LetterVersion).where(
        LetterVersion.request_id == req_id, LetterVersion.kind == kind, LetterVersion.status == status)
        .order_by(LetterVersion.version.desc()).limit(1))


@click.command("send")
@click.argument("ref")
@click.option("--kind", type=click.Choice(["request", "follow-up", "appeal"]), default="request", show_default=True,
              help="Which letter.")
@click.option("--finalize", "do_finalize", is_flag=True,
              help="When no version is final, first finalize the latest draft (or a new one) from current data.")
@click.option("--to", "to", default=None, metavar="EMAIL", help="Send to this address instead of the agency's.")
@click.option("--as", "as_email", default=None, metavar="EMAIL",
              help="Record it as sent by this account (default: the first administrator).")
@click.option("--json", "as_json", is_flag=True, help="Print the Message-ID, recipient and delivery record as JSON.")
@with_appcontext
def send_command(ref: str, kind: str, do_finalize: bool, to: str | None, as_email: str | None, as_json: bool) -> None:
    """Email REF's latest final letter of KIND to the agency (its FOIA email; appeals: its appeal email),
    keeping the server's answer. Accepted: the ledger records it as sent (a request letter starts the
    clocks). Refused or unreachable: exit 1 with the reason, nothing recorded as sent; run it again to
    retry (the same message, same Message-ID). A letter that cannot be sent (none final, already sent,
    no agency email): exit 2."""
    from foia.core.access import get_visible_request
    from foia.core.errors import ValidationError
    from foia.core.paths import letter_cache_dir
    from foia.letters.service import finalize, new_draft
    from foia.mailroom.outbound import SendFailed, delivery_as_dict, mailer_for, send_letter, send_settings

    session = db.session()
    req = get_visible_request(session, as_admin(), ref)
    if req is None:
        click.echo(f"Error: no request with reference {ref!r}.", err=True)
        sys.exit(1)
    actor = operator_user(as_email)
    now = parse_now(None)
    version = _latest(req.id, kind, "final")
    if version is None:
        if not do_finalize:
            click.echo(f"Error: {req.ref} has no final {kind} letter; finalize one, or pass --finalize.", err=True)
            sys.exit(2)
        version = _latest(req.id, kind, "draft") or new_draft(session, actor=actor, now=now, req=req, kind=kind,
                                                               custom={})
        finalize(session, actor=actor, now=now, version=version, cache_dir=letter_cache_dir(current_app.config),
                 timezone=current_app.config["FOIA_TIMEZONE"])
        session.commit()
        click.echo(f"Finalized {kind} letter version {version.version} of {req.ref}.", err=True)
    try:
        delivery = send_letter(session, actor=actor, now=now, version=version,
                               settings=send_settings(current_app.config), mailer=mailer_for(current_app.config),
                               to=to)
    except SendFailed as exc:
        session.rollback()
        click.echo(f"Error: {exc.errors['send']}", err=True)
        if as_json:
            click.echo(json.dumps({"message_id": exc.delivery.message_id, "to": exc.delivery.to_addr,
                                   "delivery": delivery_as_dict(exc.delivery)}, indent=2))
        sys.exit(1)
    except ValidationError as exc:
        session.rollback()
        click.echo("Error: " + " ".join(exc.errors.values()), err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps({"message_id": delivery.message_id, "to": delivery.to_addr,
                               "delivery": delivery_as_dict(delivery)}, indent=2))
        return
    click.echo(f"Sent {kind} letter version {version.version} of {req.ref} to {delivery.to_addr} "
               f"({delivery.message_id}): the server answered {delivery.smtp_code} {delivery.smtp_reply}")
