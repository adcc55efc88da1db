"""`flask foia counts …` and `flask foia stats …`: rebuild the maintained counts, refresh the stored
agency statistics by hand (the scheduler refreshes them every minute)."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import current_app

from foia.core.clock import local_today
from foia.extensions import db


@click.group("counts")
def counts_cli() -> None:
    """Requests by status, maintained by database triggers (dashboard, /metrics)."""


@counts_cli.command("rebuild")
def counts_rebuild() -> None:
    """Recount the maintained counts from the requests table (after a restore or a manual SQL fix)."""
    from foia.dashboard.counts import rebuild_counts

    n = rebuild_counts(db.session())
    db.session.commit()
    click.echo(f"request and deadline counts rebuilt: {n} row(s)")


@counts_cli.command("check")
def counts_check() -> None:
    """Compare the maintained counts with a fresh count; exit status 1 when they differ."""
    from foia.dashboard.counts import (
        fresh_counts,
        fresh_deadline_counts,
        maintained_counts,
        maintained_deadline_counts,
    )

    kept: dict = {**maintained_counts(db.session()), **maintained_deadline_counts(db.session())}
    fresh: dict = {**fresh_counts(db.session()), **fresh_deadline_counts(db.session())}
    db.session.rollback()
    wrong = sorted((k for k in kept.keys() | fresh.keys() if kept.get(k, 0) != fresh.get(k, 0)), key=str)
    for key in wrong[:20]:
        click.echo(f"differs: {key}: maintained {kept.get(key, 0)}, counted {fresh.get(key, 0)}")
    if wrong:
        raise click.ClickException(f"{len(wrong)} count(s) differ: run `flask foia counts rebuild`")
    click.echo(f"request and deadline counts match: {len(fresh)} row(s)")


@click.group("stats")
def stats_cli() -> None:
    """The dashboard's stored agency statistics."""


@stats_cli.command("refresh")
@click.option("--full", is_flag=True, help="Recompute every agency of every scope (after a law data change).")
def stats_refresh(full: bool) -> None:
    """Recompute the agencies changed since the last refresh (every agency with --full)."""
    from foia.dashboard.stats import refresh_stats

    now = datetime.now(UTC)
    result = refresh_stats(db.session(), today=local_today(now, current_app.config["FOIA_TIMEZONE"]), now=now, full=full)
    db.session.commit()
    if result.skipped:
        click.echo("another process is refreshing the statistics; nothing done")
    else:
        click.echo(f"statistics refreshed: {result.scopes} scope(s), {result.full} in full, "
                   f"{result.agencies} agency recomputation(s) in the others")
