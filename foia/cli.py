"""The `flask foia` command group: each feature's commands, registered in one place."""

from __future__ import annotations

from typing import Any, cast

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from werkzeug.local import LocalProxy

from foia.extensions import db
from foia.ops.diskfull import guard_cli_group

#: Every feature's command: name -> (module, attribute, the first line of its help). A command's module is
#: imported only when that command runs (or asks for its own --help), so `flask foia --help` and
#: `flask foia reminders ...` do not import every feature (openpyxl, the scheduler, the mail room...). A command's
#: module imports at its top only what `flask foia --help` has loaded already: the models, services, mail and
#: importers are imported inside the commands, so a group's or a command's --help imports none of them.
#: tests/ops/test_startup.py checks each help line against the command's own, and what each --help imports.
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "user": ("foia.accounts.cli", "user_cli", "Manage user accounts."),
    "agencies": ("foia.agencies.cli", "agencies_cli",
                 "The agency directory: import public data, list, show and verify agencies."),
    "token": ("foia.api.cli", "token_cli", "Personal API tokens: create (shown once), list, revoke."),
    "deadline": ("foia.clocks.cli", "deadline_command", "Compute statutory deadlines for a request."),
    "laws": ("foia.clocks.cli", "laws_command",
             "Every law FOIA Tracker knows, with its clocks, citations and whether each was verified."),
    "recompute": ("foia.clocks.cli", "recompute_command",
                  "Recompute every open request's deadlines from its ledger (after a law-file or calendar update)."),
    "counts": ("foia.dashboard.cli", "counts_cli",
               "Requests by status, maintained by database triggers (dashboard, /metrics)."),
    "stats": ("foia.dashboard.cli", "stats_cli", "The dashboard's stored agency statistics."),
    "log": ("foia.communications.cli", "log_command",
            "Log a communication with the agency on request REF: writes the ledger event, moves the status and the "
            "deadlines (see foia/communications.py for what each kind does)."),
    "void-communication": ("foia.communications.cli", "void_communication_command",
                           "Void communication COMM_ID of request REF (logged by mistake): it stays, marked voided; "
                           "its ledger events stop counting; the status, deadlines and reminders are recomputed."),
    "attach": ("foia.documents.cli", "attach_command",
               "Attach FILE... to request REF as documents (stored once by content, text extracted for search)."),
    "documents": ("foia.documents.cli", "documents_cli",
                  "Documents: extract (and OCR) text waiting for search, sweep orphan blobs."),
    "import-requests": ("foia.imports.cli", "import_requests_command",
                        "Import a request log (CSV or XLSX): one request per row, with its sent, acknowledged and "
                        "closed events and its deadlines."),
    "import-jobs": ("foia.imports.cli", "import_jobs_command",
                    "Run the queued web imports of request logs now (the scheduler runs them every 15 seconds)."),
    "letter": ("foia.letters.cli", "letter_command",
               "The latest final letter of KIND for REF as a PDF (-o FILE.pdf) or HTML (--html); rendered from the "
               "request's current data when no version is final yet."),
    "send": ("foia.letters.cli", "send_command",
             "Email REF's latest final letter of KIND to the agency (its FOIA email; appeals: its appeal email), "
             "keeping the server's answer."),
    "export": ("foia.mailroom.cli", "export_command",
               "Write a request's evidence bundle: letters, communications as .eml, documents, timeline, manifest."),
    "import-eml": ("foia.mailroom.cli", "import_eml_command",
                   "Import agency email (.eml files): match each to its request, log it, store its attachments."),
    "mail": ("foia.mailroom.cli", "mail_cli", "The city's mailbox: fetch agency replies and bounces."),
    "backup": ("foia.ops.cli", "backup_command",
               "Back up the database (SQLite online backup, or pg_dump -Fc) and the document store, with a manifest "
               "of SHA-256 hashes."),
    "restore": ("foia.ops.cli", "restore_command",
                "Restore a `flask foia backup` folder into an empty database and document store, after checking "
                "every file's SHA-256."),
    "reminders": ("foia.reminders.cli", "reminders_cli", "Reminder emails: run a sweep, list the outbox table."),
    "export-requests": ("foia.requests.cli", "export_requests_command",
                        "Write the requests list, soonest next deadline first, as CSV or XLSX: reference, title, "
                        "tracking number, agency, law, status, date sent, each deadline with its days left, "
                        "organization and last update."),
    "history": ("foia.requests.cli", "history_command",
                "Show everything done to request REF, oldest first: when, who, what, and what changed."),
    "requests": ("foia.requests.cli", "requests_command", "List requests, soonest next deadline first."),
    "show": ("foia.requests.cli", "show_command", "Show one request and its event ledger."),
    "search": ("foia.search.cli", "search_command",
               "Full-text search over requests, communications and documents (every word must match)."),
    "webhooks": ("foia.webhooks.cli", "webhooks_cli",
                 "Webhooks: deliver due events; list, add and remove subscriptions."),
}


class LazyGroup(AppGroup):
    """An AppGroup whose LAZY_COMMANDS are imported on first use. Commands added with add_command work as usual."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            import importlib

            module, attribute, _ = self.lazy[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of --help from LAZY_COMMANDS' help lines: listing commands imports none of them."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.commands:
                cmd = self.commands[name]
                if cmd.hidden:
                    continue
                rows.append((name, cmd.get_short_help_str(limit)))
            else:
                rows.append((name, click.Command(name, help=self.lazy[name][2]).get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


foia_cli = LazyGroup("foia", help="FOIA Tracker commands: demo data, users, requests and deadlines.", lazy=LAZY_COMMANDS)


@click.command("demo")
@click.option("--now", "now_s", metavar="ISO-DATETIME", help="Pretend it is this moment (dates are relative to it).")
@click.option("--no-directory", is_flag=True, help="Skip loading the shipped agency directory (18F, NYC, FOIA.gov).")
@with_appcontext
def demo_command(now_s: str | None, no_directory: bool) -> None:
    """Load the Los Angeles demo agencies, accounts and requests and the shipped agency directory (safe to run
    again)."""
    from foia.agencies.cli import report_lines
    from foia.core.cli import parse_now
    from foia.demo import load_demo

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
    from foia.scheduler import run_scheduler

    app = cast("LocalProxy[Flask]", current_app)._get_current_object()
    run_scheduler(app, interval=interval or current_app.config["FOIA_SCHEDULER_INTERVAL"])


def register_cli(app: Flask) -> None:
    """`flask foia ...`: this module's commands plus every feature's (LAZY_COMMANDS, imported when used)."""
    for command in (demo_command, scheduler_command):
        foia_cli.add_command(command)
    guard_cli_group(foia_cli)  # a full disk: one line and exit status 1, not a traceback
    if "migrate" in app.extensions:  # not under `flask foia ...` (foia.factory.needs_migrations)
        from foia.ops.downgrade import install_downgrade_guard

        install_downgrade_guard()  # `flask db downgrade` refuses to delete user data unless --force
    app.cli.add_command(foia_cli)
