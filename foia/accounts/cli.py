"""`flask foia user ...`: accounts from the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from foia.core.cli import parse_now
from foia.core.vocab import ROLES
from foia.extensions import db

user_cli = AppGroup("user", help="Manage user accounts.")


@user_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="admin, staff or reporter.")
@click.option("--org", "org_name", required=True, help="Organization name (created if new).")
@click.option("--name", default="", help="Display name (defaults to the part of the email before @).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
def user_create(email: str, role: str, org_name: str, name: str, password_stdin: bool) -> None:
    """Create a user account. The password is prompted for, or read from stdin; it must meet the password
    policy (at least 12 characters, not easy to guess)."""
    from foia.accounts.passwords import check_new_password
    from foia.accounts.service import create_user, get_or_create_organization
    from foia.core.errors import ValidationError

    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    now = parse_now(None)
    try:
        check_new_password(password, email=email.strip().lower(), name=name)
        org = get_or_create_organization(db.session(), org_name, now=now)
        user = create_user(db.session(), email=email, name=name, role=role, organization=org, password=password, now=now)
    except ValidationError as exc:
        db.session.rollback()
        for field, message in exc.errors.items():
            click.echo(f"Error ({field}): {message}", err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} in {org.name}.")
