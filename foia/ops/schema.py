"""Is the database schema the one this code was written for? (F11)

The code's head revision comes from the migration scripts; the database's from its `alembic_version` row.
The web (gunicorn, `flask run`) and the scheduler refuse to start when they differ, with one line that
names both revisions and the command that fixes it; /healthz reports the same check.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from flask import Flask
from sqlalchemy import inspect, text
from sqlalchemy.exc import SQLAlchemyError

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

#: gunicorn's exit code for "the application could not be loaded": its master stops instead of
#: restarting workers that can never boot (any other code from a worker makes it fork a new one, forever).
APP_LOAD_ERROR = 4


@functools.cache
def head_revisions() -> tuple[str, ...]:
    """The revision(s) the code expects: the heads of migrations/ (read once per process)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return tuple(sorted(ScriptDirectory.from_config(cfg).get_heads()))


@functools.cache
def known_revisions() -> frozenset[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return frozenset(s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions())


@dataclass(frozen=True)
class SchemaState:
    current: tuple[str, ...]  # () when the database has no alembic_version (never migrated)
    head: tuple[str, ...]

    @property
    def at_head(self) -> bool:
        return self.current == self.head

    @property
    def ahead(self) -> bool:
        """The database was migrated by newer code (a revision these migrations do not know)."""
        return any(rev not in known_revisions() for rev in self.current)

    def message(self) -> str:
        """One line: what the database is at, what the code needs, and what to run."""
        head = ",".join(self.head)
        if not self.current:
            return (f"FOIA Tracker: the database has no schema yet (no alembic_version) and this code needs "
                    f"revision {head}: run `flask db upgrade`, then start again.")
        current = ",".join(self.current)
        if self.ahead:
            return (f"FOIA Tracker: the database schema is at revision {current}, which this code does not know "
                    f"(it needs {head}): deploy the code that migrated it, or downgrade with that code's "
                    f"`flask db downgrade {head}`.")
        return (f"FOIA Tracker: the database schema is at revision {current} but this code needs {head}: "
                f"run `flask db upgrade`, then start again.")


def current_revisions(connection: Any) -> tuple[str, ...]:
    """The database's revision(s); () if it was never migrated. Two catalog-cheap queries."""
    if not inspect(connection).has_table("alembic_version"):
        return ()
    return tuple(sorted(connection.execute(text("SELECT version_num FROM alembic_version")).scalars()))


def schema_state(connection: Any) -> SchemaState:
    return SchemaState(current=current_revisions(connection), head=head_revisions())


def _cli_command() -> tuple[str, ...] | None:
    """The `flask` command being run (("run",), ("db", "upgrade")...), None outside the flask CLI."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return None
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return tuple(reversed(names))


def check_wanted(app: Flask) -> bool:
    """Whether create_app checks the schema: when it builds the app a web server serves, i.e. under gunicorn
    (which sets SERVER_SOFTWARE) or `flask run`, unless TESTING. FOIA_SCHEMA_CHECK=1 checks whatever loads the
    app (other WSGI servers: uWSGI, waitress); FOIA_SCHEMA_CHECK=0 never does. Other `flask` commands
    (`flask db ...`, `flask foia backup/restore`, `flask shell`) are never refused: they are how the schema
    is fixed or saved. The scheduler checks for itself when it starts (foia.scheduler)."""
    mode = str(app.config.get("FOIA_SCHEMA_CHECK") or "auto").strip().lower()
    if mode in ("0", "off", "false", "no", "never"):
        return False
    if mode in ("1", "on", "true", "yes", "always"):
        return True
    if app.config.get("TESTING"):
        return False
    command = _cli_command()
    if command is not None:
        return command[:1] == ("run",)
    return os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn")


def refuse_unless_at_head(app: Flask, *, wanted: bool | None = None) -> None:
    """Exit with a one-line message when the database schema is not the code's head revision.

    An unreachable database is not refused (it may be restarting; /healthz answers 503 meanwhile): a
    warning is logged and the app starts."""
    if not (check_wanted(app) if wanted is None else wanted):
        return
    from foia.extensions import db

    with app.app_context():
        try:
            with db.engine.connect() as conn:
                state = schema_state(conn)
        except SQLAlchemyError as exc:
            app.logger.warning("FOIA Tracker: could not read the schema revision (%s); starting anyway",
                               type(exc).__name__)
            return
        finally:
            db.engine.dispose()  # no connection is carried into gunicorn's forked workers
    if state.at_head:
        return
    print(state.message(), file=sys.stderr, flush=True)
    raise SystemExit(APP_LOAD_ERROR)
