"""`flask foia reminders ...`: run a sweep, list reminder rows."""

from __future__ import annotations

import json
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from foia.core.cli import parse_now
from foia.core.clock import utcnow
from foia.extensions import db

reminders_cli = AppGroup("reminders", help="Reminder emails: run a sweep, list the outbox table.")


@reminders_cli.command("dispatch")
@click.option("--now", "now_s", metavar="ISO-DATETIME",
              help="Send what is due at this moment (default: now). It decides only what is due: reminders "
                   "another process has claimed are never taken over.")
def reminders_dispatch(now_s: str | None) -> None:
    """Run one sweep: send every reminder that is due (for cron, tests and catch-up).

    Exits 1 (and says why on stderr) when any send failed or the mail relay did not answer."""
    from foia.ops.heartbeat import record_sweep
    from foia.reminders.dispatch import dispatch, dispatch_settings, mailer_for

    result = dispatch(db.session(), now=parse_now(now_s), mailer=mailer_for(current_app.config),
                      settings=dispatch_settings(current_app.config))
    if now_s is None:  # a real-time sweep (cron instead of the scheduler): /healthz and /metrics see it
        record_sweep(db.session(), utcnow())
        db.session.commit()
    click.echo(result.summary())
    if not result.ok:
        click.echo("Error: some reminders were not sent (see above and the admin Reminders page).", err=True)
        raise SystemExit(1)


@reminders_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--all", "show_all", is_flag=True, help="Include sent and skipped rows (default: the last 200).")
def reminders_list(as_json: bool, show_all: bool) -> None:
    """Show pending and sent reminder rows."""
    from sqlalchemy import select

    from foia.models import Reminder, Request, User

    stmt = (select(Reminder, Request.ref, User.email).outerjoin(Request, Request.id == Reminder.request_id)
            .join(User, User.id == Reminder.user_id).order_by(Reminder.send_at, Reminder.id))
    if not show_all:
        stmt = stmt.limit(200)
    rows: list[dict[str, Any]] = [
        {"id": r.id, "ref": ref, "to": email, "clock": r.clock_kind, "due": r.due.isoformat(), "rule": r.rule,
         "seq": r.seq, "send_at": r.send_at.isoformat(), "status": r.status, "attempts": r.attempts,
         "last_error": r.last_error or None, "sent_at": r.sent_at.isoformat() if r.sent_at else None,
         "message_id": r.message_id or None}
        for r, ref, email in db.session.execute(stmt)
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No reminders.")
        return
    for r in rows:
        err = f"  error: {r['last_error']}" if r["last_error"] else ""
        click.echo(f"{r['send_at'][:16]}  {r['status']:<8} {r['ref'] or '(digest)':<14} {r['clock']:<16} "
                   f"{r['rule']:<16} {r['to']}{err}")
