"""Helpers every command group uses: parsing --now, and the operator a command acts as."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from foia.core.clock import zone

if TYPE_CHECKING:
    from foia.models import User

# Every command module imports this one: it imports no model (nor the session) until a helper needs one, so a
# command's --help imports none.


def parse_now(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO date-time such as 2026-01-05T09:00:00-08:00") from exc
    if parsed.tzinfo is None:

        parsed = parsed.replace(tzinfo=zone(None))
    return parsed.astimezone(UTC)


def as_admin() -> User:
    """The CLI is an operator's tool: it reads as an administrator would."""
    from foia.models import User

    return User(id=0, role="admin", organization_id=0, email="cli@localhost", name="CLI", active=True)


def operator_user(email: str | None) -> User:
    """The account a CLI action is recorded under: --as EMAIL, or the first active administrator."""
    from sqlalchemy import select

    from foia.extensions import db
    from foia.models import User

    stmt = select(User).where(User.active.is_(True))
    stmt = stmt.where(User.email == email.strip().lower()) if email else stmt.where(User.role == "admin").order_by(User.id)
    user = db.session.scalar(stmt.limit(1))
    if user is None:
        click.echo(f"Error: no active account {email!r}." if email else
                   "Error: no administrator account exists; create one or pass --as EMAIL.", err=True)
        sys.exit(2)
    return user
