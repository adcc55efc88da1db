"""`flask foia token ...`: personal API tokens from the command line (an operator's tool)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from flask.cli import AppGroup

from foia.core.cli import parse_now
from foia.extensions import db

if TYPE_CHECKING:
    from foia.models import User

token_cli = AppGroup("token", help="Personal API tokens: create (shown once), list, revoke.")


def _user(email: str) -> User:
    from sqlalchemy import select

    from foia.models import User

    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        click.echo(f"Error: no account {email!r}.", err=True)
        sys.exit(2)
    return user


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


@token_cli.command("create")
@click.argument("email")
@click.option("--name", default="command line", show_default=True, help="What the token is for.")
@click.option("--now", "now_s", metavar="ISO-DATETIME", help="Pretend it is this moment.")
def token_create(email: str, name: str, now_s: str | None) -> None:
    """Create a token for the account EMAIL and print it (once: only its SHA-256 is kept)."""
    from foia.api.tokens import create_token
    from foia.core.errors import ValidationError

    user = _user(email)
    try:
        new = create_token(db.session(), actor=None, owner=user, name=name, now=parse_now(now_s))
    except ValidationError as exc:
        db.session.rollback()
        for field, message in exc.errors.items():
            click.echo(f"Error ({field}): {message}", err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"Created token {new.row.id} “{new.row.name}” for {user.email}. It is shown only now:", err=True)
    click.echo(new.token)


@token_cli.command("list")
@click.argument("email")
def token_list(email: str) -> None:
    """The account's tokens: id, name, prefix, created, last used, revoked."""
    from foia.api.tokens import tokens_of

    user = _user(email)
    rows = tokens_of(db.session(), user)
    if not rows:
        click.echo(f"{user.email} has no API tokens.")
        return
    for t in rows:
        state = f"revoked {_when(t.revoked_at)}" if t.revoked_at else "active"
        click.echo(f"{t.id}\t{t.name}\t{t.prefix}…\tcreated {_when(t.created_at)}\tlast used {_when(t.last_used_at)}"
                   f"\t{state}")


@token_cli.command("revoke")
@click.argument("token_id", type=int)
@click.option("--now", "now_s", metavar="ISO-DATETIME", help="Pretend it is this moment.")
def token_revoke(token_id: int, now_s: str | None) -> None:
    """Revoke the token with this ID (from `flask foia token list`): it stops working at once."""
    from foia.api.tokens import revoke_token
    from foia.models.exchange import ApiToken

    token = db.session.get(ApiToken, token_id) if 0 < token_id < 2**63 else None
    if token is None:
        click.echo(f"Error: no token {token_id}.", err=True)
        sys.exit(2)
    if not revoke_token(db.session(), actor=None, token=token, now=parse_now(now_s)):
        click.echo(f"Token {token.id} “{token.name}” was already revoked.")
        return
    db.session.commit()
    click.echo(f"Revoked token {token.id} “{token.name}” ({token.prefix}…).")
