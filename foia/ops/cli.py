"""`flask foia backup -o DIR` and `flask foia restore DIR [--force]` (see foia.ops.backup, README "Operations")."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from foia.extensions import db


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB" if n >= 1 << 20 else f"{n} bytes"


@click.command("backup")
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="A new or empty folder to write the backup into.")
@with_appcontext
def backup_command(out: Path) -> None:
    """Back up the database (SQLite online backup, or pg_dump -Fc) and the document store, with a manifest of
    SHA-256 hashes. Safe while the app and scheduler run."""
    from foia.ops.backup import BackupError, backup

    try:
        report = backup(db.engine, current_app.config, out)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backed up the {report.engine} database (revision {','.join(report.revision) or 'none'}, "
               f"{sum(report.rows.values())} rows in {len(report.rows)} tables) and {report.blobs} blob(s) "
               f"({_size(report.blob_bytes)}) to {report.folder}")
    if report.missing_blobs:
        click.echo(f"Warning: {len(report.missing_blobs)} blob(s) named by the database were not in the store "
                   f"(already missing there): {', '.join(report.missing_blobs[:5])}", err=True)


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that has data (and add to a non-empty store).")
@with_appcontext
def restore_command(folder: Path, force: bool) -> None:
    """Restore a `flask foia backup` folder into an empty database and document store, after checking every
    file's SHA-256. Stop the web server and the scheduler first."""
    from foia.ops.backup import BackupError, restore

    try:
        report = restore(db.engine, current_app.config, folder, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Restored {sum(report.rows.values())} rows in {len(report.rows)} tables and {report.blobs} blob(s) "
               f"({_size(report.blob_bytes)}) from {folder}; every hash matched. Schema revision: "
               f"{','.join(report.revision) or 'none'}.")
    from foia.ops.schema import head_revisions

    if tuple(report.revision) != head_revisions():
        click.echo(f"The backup is at revision {','.join(report.revision)}; this code needs "
                   f"{','.join(head_revisions())}: run `flask db upgrade` before starting.")
