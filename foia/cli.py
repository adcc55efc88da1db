"""The `flask foia` command group: each feature's commands, registered in one place."""

from __future__ import annotations

from typing import cast

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from werkzeug.local import LocalProxy

from foia.accounts.cli import user_cli
from foia.agencies.cli import agencies_cli, report_lines
from foia.api.cli import token_cli
from foia.clocks.cli import deadline_command, laws_command, recompute_command
from foia.communications.cli import log_command, void_communication_command
from foia.core.cli import parse_now
from foia.dashboard.cli import counts_cli, stats_cli
from foia.demo import load_demo
from foia.documents.cli import attach_command, documents_cli
from foia.extensions import db
from foia.imports.cli import import_requests_command
from foia.letters.cli import letter_command, send_command
from foia.mailroom.cli import export_command, import_eml_command, mail_cli
from foia.ops.cli import backup_command, restore_command
from foia.ops.diskfull import guard_cli_group
from foia.ops.downgrade import install_downgrade_guard
from foia.reminders.cli import reminders_cli
from foia.requests.cli import export_requests_command, history_command, requests_command, show_command
from foia.scheduler import run_scheduler
from foia.search.cli import search_command
from foia.webhooks.cli import webhooks_cli

foia_cli = AppGroup("foia", help="FOIA Tracker commands: demo data, users, requests and deadlines.")


@click.command("demo")
@click.option("--now", "now_s", metavar="ISO-DATETIME", help="Pretend it is this moment (dates are relative to it).")
@click.option("--no-directory", is_flag=True, help="Skip loading the shipped agency directory (18F, NYC, FOIA.gov).")
@with_appcontext
def demo_command(now_s: str | None, no_directory: bool) -> None:
    """Load the Los Angeles demo agencies, accounts and requests and the shipped agency directory (safe to run
    again)."""

    counts = load_demo(db.session(), now=parse_now(now_s), tz=current_app.config["FOIA_TIMEZONE"],
                       directory=not no_directory)
    db.session.commit()
    click.echo(f"Demo data ready: {counts['agencies']} agencies, {counts['users']} accounts, "
               f"{counts['requests_created']} new requests. Password for every demo account: foia-demo")
    if counts["directory"] is not None:
        click.echo("Agency directory (shipped public data; `flask foia agencies import` reloads it):")
        for line in report_lines(counts["directory"], limit=3):
            click.echo("  " + line)


@click.command("scheduler")
@click.option("--interval", type=int, default=None, help="Seconds between sweeps (default: FOIA_SCHEDULER_INTERVAL or 60).")
@with_appcontext
def scheduler_command(interval: int | None) -> None:
    """Run the reminder scheduler (APScheduler, one sweep a minute) until stopped with Ctrl-C or SIGTERM."""

    # current_app is typed as Flask but is a proxy: the scheduler's threads need the real application.
    app = cast("LocalProxy[Flask]", current_app)._get_current_object()
    run_scheduler(app, interval=interval or current_app.config["FOIA_SCHEDULER_INTERVAL"])


def register_cli(app: Flask) -> None:
    """`flask foia ...`: this module's commands plus every feature's, in one group."""
    for command in (demo_command, scheduler_command, user_cli, requests_command, show_command, recompute_command,
                    deadline_command, reminders_cli, letter_command, attach_command, documents_cli, search_command,
                    log_command, import_eml_command, export_command, send_command, mail_cli, history_command,
                    void_communication_command, laws_command, agencies_cli, export_requests_command, token_cli):
        foia_cli.add_command(command)
    foia_cli.add_command(webhooks_cli)
    foia_cli.add_command(import_requests_command)  # issue 16: request-log import
    foia_cli.add_command(backup_command)
    foia_cli.add_command(counts_cli)  # issue 18: maintained counts
    foia_cli.add_command(stats_cli)
    foia_cli.add_command(restore_command)
    guard_cli_group(foia_cli)  # a full disk: one line and exit status 1, not a traceback
    install_downgrade_guard()  # `flask db downgrade` refuses to delete user data unless --force
    app.cli.add_command(foia_cli)
