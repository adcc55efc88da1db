"""`flask foia import-eml`, `flask foia export` and `flask foia mail fetch`."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from foia.core.cli import as_admin, operator_user, parse_now
from foia.extensions import db


@click.command("import-eml")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", default="note", help="Log matched messages as this kind (default: note).")
@click.option("--as", "as_email", default=None, metavar="EMAIL", help="Record the import as this user (default: an admin).")
@with_appcontext
def import_eml_command(files: tuple[str, ...], kind: str, as_email: str | None) -> None:
    """Import agency email (.eml files): match each to its request, log it, store its attachments."""
    from foia.core.errors import ValidationError
    from foia.core.paths import blob_root
    from foia.mailroom.imports import import_eml

    actor = operator_user(as_email)
    failed = 0
    for name in files:
        with open(name, "rb") as fh:
            data = fh.read()
        try:
            res = import_eml(db.session(), actor=actor, now=parse_now(None), data=data,
                             storage_root=blob_root(current_app.config),
                             max_bytes=current_app.config.get("FOIA_MAX_UPLOAD_BYTES", 200 * 1024 * 1024), kind=kind)
        except ValidationError as exc:
            failed += 1
            click.echo(f"{name}: error: {' '.join(exc.errors.values())}", err=True)
        else:
            click.echo(f"{name}: {res.status}: {res.message}")
    if failed:
        sys.exit(1)


@click.command("export")
@click.argument("ref")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the .zip bundle.")
@with_appcontext
def export_command(ref: str, output: str) -> None:
    """Write a request's evidence bundle: letters, communications as .eml, documents, timeline, manifest."""
    from foia.core.access import get_visible_request
    from foia.core.paths import blob_root, letter_cache_dir
    from foia.mailroom.export import build_bundle

    req = get_visible_request(db.session(), as_admin(), ref)
    if req is None:
        click.echo(f"Error: no request with reference {ref!r}.", err=True)
        sys.exit(1)
    manifest = build_bundle(db.session(), req, out_path=output, storage_root=blob_root(current_app.config),
                            letter_cache=letter_cache_dir(current_app.config),
                            mail_from=current_app.config["FOIA_MAIL_FROM"], now=parse_now(None))
    click.echo(f"Wrote {output}: {len(manifest['files'])} files and a manifest of their SHA-256 sums.")


mail_cli = AppGroup("mail", help="The city's mailbox: fetch agency replies and bounces.")


@mail_cli.command("fetch")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@with_appcontext
def mail_fetch_command(as_json: bool) -> None:
    """Poll the mailbox (FOIA_IMAP_URL) once: log replies to classify, record bounces, keep the rest unmatched."""
    from foia.mailroom.fetch import MailboxError, poll_mailbox

    try:
        res = poll_mailbox(db.session(), now=parse_now(None), config=current_app.config)
    except MailboxError as exc:
        db.session.rollback()
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    counts = {k: getattr(res, k) for k in ("fetched", "logged", "unmatched", "duplicates", "bounces")}
    if as_json:
        click.echo(json.dumps({**counts, "errors": res.errors}))
    else:
        click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))
        for err in res.errors:
            click.echo(f"error: {err}", err=True)
    if res.errors:
        sys.exit(1)
