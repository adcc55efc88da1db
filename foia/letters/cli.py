"""`flask foia letter`: a request's letter as PDF or HTML."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from foia.core.access import get_visible_request
from foia.core.cli import _as_admin, _now
from foia.core.clock import local_today
from foia.core.paths import letter_cache_dir
from foia.extensions import db
from foia.letters.render import PdfCache, render_html
from foia.letters.service import build_context, pdf_options
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

    if not output and not as_html:
        raise click.UsageError("Give -o FILE.pdf to write the PDF, or --html to print the HTML.")
    req = get_visible_request(db.session(), _as_admin(), ref)
    if req is None:
        click.echo(f"Error: no request with reference {ref!r}.", err=True)
        sys.exit(1)
    version = db.session.scalar(select(LetterVersion).where(
        LetterVersion.request_id == req.id, LetterVersion.kind == kind, LetterVersion.status == "final")
        .order_by(LetterVersion.version.desc()).limit(1))
    if version is not None and version.html is not None and version.context is not None:
        html, context, source = version.html, version.context, f"final version {version.version}"
    else:
        today = local_today(_now(None))
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
