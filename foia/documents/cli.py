"""`flask foia attach`, `flask foia documents extract` (text extraction and OCR jobs) and `flask foia documents sweep`."""

from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from foia.core.cli import as_admin, parse_now
from foia.extensions import db


@click.command("attach")
@click.argument("ref")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--kind", default=None, help="What the files are (e.g. final_release); only echoed in the output.")
@click.option("--communication", "communication_id", type=int, default=None,
              help="Attach to this communication (id) of the request.")
@with_appcontext
def attach_command(ref: str, files: tuple[str, ...], kind: str | None, communication_id: int | None) -> None:
    """Attach FILE... to request REF as documents (stored once by content, text extracted for search)."""
    from foia.core.access import get_visible_request
    from foia.core.errors import ValidationError
    from foia.core.paths import blob_root
    from foia.documents.service import add_document
    from foia.models import Communication

    req = get_visible_request(db.session(), as_admin(), ref)
    if req is None:
        click.echo(f"Error: no request with reference {ref!r}.", err=True)
        sys.exit(1)
    communication = None
    if communication_id is not None:
        communication = db.session.get(Communication, communication_id)
        if communication is None or communication.request_id != req.id:
            click.echo(f"Error: {req.ref} has no communication {communication_id}.", err=True)
            sys.exit(1)
    now = parse_now(None)
    failed = 0
    for path in files:
        try:
            with open(path, "rb") as fh, db.session.begin_nested():
                doc = add_document(db.session(), actor=None, now=now, req=req, stream=fh,
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


documents_cli = AppGroup("documents", help="Documents: extract (and OCR) text waiting for search, sweep orphan blobs.")


@documents_cli.command("extract")
@click.option("--limit", type=int, default=None, help="Stop after this many jobs (default: every due one).")
def documents_extract(limit: int | None) -> None:
    """Run the queued text-extraction and OCR jobs now (each in a limited child process), as the scheduler does."""
    from foia.documents.jobs import job_settings, run_jobs

    result = run_jobs(db.session(), now=parse_now(None), settings=job_settings(current_app.config), limit=limit)
    click.echo(f"Extracted text from {result.done} document(s); {result.failed} not extracted (see the admin "
               f"Jobs page); {result.retrying} to retry." + (f" {result.lost} taken over by another runner."
                                                             if result.lost else ""))
    if result.failed:
        sys.exit(1)


@documents_cli.command("sweep")
@click.option("--grace", "grace_seconds", type=float, default=None,
              help="Only remove what is older than this many seconds (default FOIA_ORPHAN_GRACE_SECONDS or 3600).")
def documents_sweep(grace_seconds: float | None) -> None:
    """Remove blobs no row references and temp files of killed uploads (the scheduler does it every hour)."""
    from foia.core.paths import blob_root
    from foia.documents.service import sweep_orphans

    if grace_seconds is None:
        grace_seconds = float(current_app.config.get("FOIA_ORPHAN_GRACE_SECONDS") or 3600)
    result = sweep_orphans(db.session(), blob_root(current_app.config), grace_seconds=grace_seconds)
    click.echo(f"Removed {result.blobs_removed} orphan blob(s) and {result.temps_removed} temp file(s) "
               f"({result.bytes_freed:,} bytes); kept {result.kept_referenced} referenced, {result.kept_recent} recent.")
