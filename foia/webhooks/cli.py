"""`flask foia webhooks ...`: deliver due events (one pass, for cron and tests), list, add and remove
an organization's webhooks. Adding and removing act as an administrator (--as EMAIL, default the first
active administrator) for that administrator's organization, as on the web."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from foia.core.cli import operator_user, parse_now
from foia.core.clock import utcnow
from foia.core.vocab import WEBHOOK_EVENTS, WEBHOOK_FORMATS
from foia.extensions import db

webhooks_cli = AppGroup("webhooks", help="Webhooks: deliver due events; list, add and remove subscriptions.")


def _admin(as_email: str | None):
    from foia.webhooks.service import may_manage

    actor = operator_user(as_email)
    if not may_manage(actor):
        click.echo(f"Error: {actor.email} is not an administrator; only administrators manage webhooks.", err=True)
        sys.exit(2)
    return actor


@webhooks_cli.command("deliver")
@click.option("--now", "now_s", metavar="ISO-DATETIME", help="Deliver what is due at this moment (default: now).")
def deliver_command(now_s: str | None) -> None:
    """One pass: enqueue deadline events that came due, then deliver every due event."""
    from foia.webhooks.delivery import deliver_due, webhook_settings
    from foia.webhooks.service import sweep_deadlines

    now = parse_now(now_s)
    session = db.session()
    queued = sweep_deadlines(session, now=now, tz=current_app.config["FOIA_TIMEZONE"],
                             approaching_days=int(current_app.config.get("FOIA_WEBHOOK_APPROACHING_DAYS") or 5))
    session.commit()
    result = deliver_due(session, now=now, settings=webhook_settings(current_app.config))
    click.echo(f"Queued {queued} deadline event(s). Delivered {result.delivered}, to retry {result.retrying}, "
               f"failed {result.failed}.")


@webhooks_cli.command("list")
@click.option("--as", "as_email", default=None, metavar="EMAIL", help="An administrator (default: the first one).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_command(as_email: str | None, as_json: bool) -> None:
    """The webhooks of the administrator's organization (secrets are never shown again)."""
    from foia.webhooks.service import webhooks_of

    actor = _admin(as_email)
    rows: list[dict[str, Any]] = [{"id": h.id, "url": h.url, "events": list(h.events), "format": h.format, "active": h.active,
             "allow_private": h.allow_private} for h in webhooks_of(db.session(), actor.organization_id)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No webhooks.")
    for r in rows:
        flags = ("" if r["active"] else " (disabled)") + (" (private addresses allowed)" if r["allow_private"] else "")
        click.echo(f"{r['id']:>4}  {r['format']:<5} {r['url']}{flags}\n      {', '.join(r['events'])}")


@webhooks_cli.command("add")
@click.argument("url")
@click.option("--event", "events", multiple=True, type=click.Choice(WEBHOOK_EVENTS),
              help="An event to send (repeat; default: all).")
@click.option("--format", "fmt", type=click.Choice(WEBHOOK_FORMATS), default="json", show_default=True)
@click.option("--secret-stdin", is_flag=True, help="Read the signing secret from stdin (default: make one).")
@click.option("--allow-private", is_flag=True,
              help="Allow a private or loopback address (only for a receiver inside your own network).")
@click.option("--as", "as_email", default=None, metavar="EMAIL", help="An administrator (default: the first one).")
def add_command(url: str, events: tuple[str, ...], fmt: str, secret_stdin: bool, allow_private: bool,
                as_email: str | None) -> None:
    """Subscribe URL; prints the secret once."""
    from foia.core.errors import ValidationError
    from foia.webhooks.service import create_webhook

    actor = _admin(as_email)
    secret = sys.stdin.readline().strip() if secret_stdin else None
    try:
        hook, secret = create_webhook(db.session(), actor=actor, now=utcnow(), url=url,
                                      events=events or WEBHOOK_EVENTS, fmt=fmt, secret=secret,
                                      allow_private=allow_private)
    except ValidationError as exc:
        db.session.rollback()
        for name, message in exc.errors.items():
            click.echo(f"Error ({name}): {message}", err=True)
        sys.exit(2)
    db.session.commit()
    if allow_private:
        click.echo("Warning: private and loopback addresses are allowed for this webhook.", err=True)
    click.echo(f"Webhook {hook.id} added for {', '.join(hook.events)}.")
    click.echo(f"Secret (shown once, keep it to verify signatures): {secret}")


@webhooks_cli.command("remove")
@click.argument("webhook_id", type=int)
@click.option("--as", "as_email", default=None, metavar="EMAIL", help="An administrator (default: the first one).")
def remove_command(webhook_id: int, as_email: str | None) -> None:
    """Delete a webhook of the administrator's organization, with its delivery log."""
    from foia.webhooks.service import delete_webhook, webhook_for

    actor = _admin(as_email)
    hook = webhook_for(db.session(), actor, webhook_id) if 0 < webhook_id < 2**31 else None
    if hook is None:
        click.echo(f"Error: no webhook {webhook_id} in your organization.", err=True)
        sys.exit(1)
    delete_webhook(db.session(), actor=actor, now=utcnow(), hook=hook)
    db.session.commit()
    click.echo(f"Webhook {webhook_id} removed.")
