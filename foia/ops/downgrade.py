"""`flask db downgrade` refuses when it would delete user data, unless --force (F12).

A CLI wrapper, not a check in migrations/env.py: the migration scripts and env.py stay as they are, and the
check needs the database's rows, which only the online command sees. It replaces Flask-Migrate's `downgrade`
command (same options, plus --force). What a downgrade deletes is read from the `downgrade()` functions of
the revisions it would undo: `op.drop_table`, `drop_column` (also inside `batch_alter_table`) and raw
`DROP TABLE` / `DROP COLUMN` statements. A dropped table with rows, or a dropped column holding any value,
is user data, except derived tables the app rebuilds (statistics snapshots, the search index).
The Python API (`flask_migrate.downgrade`, used by tests) is not wrapped.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import inspect, text

#: Rebuilt by the app from other tables: dropping them loses nothing.
# Counts kept by triggers (0022) are recounted by `flask foia counts rebuild`; the change log only says which
# agencies' statistics to refresh.
DERIVED_TABLES = frozenset({"stats_snapshots", "search_entries", "search_fts", "request_counts", "deadline_counts",
                            "agency_stats_changes", "requests_text"})
DERIVED_COLUMNS = frozenset({("search_entries", "tsv")})

_SQL_DROP_TABLE = re.compile(r"DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?\"?(\w+)\"?", re.I)
_SQL_DROP_COLUMN = re.compile(r"ALTER\s+TABLE\s+\"?(\w+)\"?\s+DROP\s+COLUMN\s+(?:IF\s+EXISTS\s+)?\"?(\w+)\"?", re.I)


@dataclass(frozen=True)
class Loss:
    table: str
    column: str | None
    count: int

    def __str__(self) -> str:
        if self.column is None:
            return f"table {self.table} ({self.count} rows)"
        return f"column {self.table}.{self.column} ({self.count} values)"


def _const(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def drops_in(path: str | Path) -> list[tuple[str, str | None]]:
    """(table, column or None) for every table or column the file's downgrade() drops."""
    tree = ast.parse(Path(path).read_text())
    func = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "downgrade"), None)
    if func is None:
        return []
    found: list[tuple[str, str | None]] = []

    def visit(node: ast.AST, batch_table: str | None) -> None:
        if isinstance(node, ast.With):
            table = batch_table
            for item in node.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "batch_alter_table" and call.args:
                    table = _const(call.args[0]) or table
            for child in node.body:
                visit(child, table)
            return
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", "")
            args = [_const(a) for a in node.args]
            if name == "drop_table" and args and args[0]:
                found.append((args[0], None))
            elif name == "drop_column":
                if len(args) >= 2 and args[0] and args[1]:
                    found.append((args[0], args[1]))
                elif args and args[0] and batch_table:
                    found.append((batch_table, args[0]))
            elif name == "execute" and node.args:
                sql = _const(node.args[0]) or (node.args[0].values[0].value  # an f-string's leading text
                                               if isinstance(node.args[0], ast.JoinedStr) and node.args[0].values
                                               and isinstance(node.args[0].values[0], ast.Constant) else "")
                found.extend((m.group(1), None) for m in _SQL_DROP_TABLE.finditer(str(sql)))
                found.extend((m.group(1), m.group(2)) for m in _SQL_DROP_COLUMN.finditer(str(sql)))
        for sub in ast.iter_child_nodes(node):
            visit(sub, batch_table)

    for stmt in func.body:
        visit(stmt, None)
    return found


def revisions_to_undo(script: Any, target: str, heads: tuple[str, ...]) -> list[Any]:
    """The alembic Script objects whose downgrade() `downgrade target` would run, newest first."""
    return [step.revision for step in script._downgrade_revs(target, heads)]


def data_loss(connection: Any, scripts: list[Any]) -> list[Loss]:
    """What undoing `scripts` would delete from this database."""
    insp = inspect(connection)
    tables = set(insp.get_table_names())
    losses: list[Loss] = []
    seen: set[tuple[str, str | None]] = set()
    for script in scripts:
        for table, column in drops_in(script.path):
            if (table, column) in seen or table not in tables or table in DERIVED_TABLES \
                    or (table, column) in DERIVED_COLUMNS:
                continue
            seen.add((table, column))
            if column is None:
                n = connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar() or 0
            else:
                if column not in {c["name"] for c in insp.get_columns(table)}:
                    continue
                n = connection.execute(text(f'SELECT count(*) FROM "{table}" WHERE "{column}" IS NOT NULL')).scalar() or 0
            if n:
                losses.append(Loss(table, column, n))
    # Whole tables first (what a person would miss most), then columns; the most rows first.
    return sorted(losses, key=lambda loss: (loss.column is not None, -loss.count, loss.table, loss.column or ""))


def refusal(target: str, losses: list[Loss]) -> str:
    shown = ", ".join(str(loss) for loss in losses[:8]) + (f" and {len(losses) - 8} more" if len(losses) > 8 else "")
    return (f"Refusing to downgrade to {target}: it would delete user data: {shown}. Back up first "
            f"(`flask foia backup -o DIR`), then run `flask db downgrade --force {target}` if you mean it.")


# ignore_unknown_options: `flask db downgrade -1` takes -1 as the revision (Flask-Migrate's says "No such option").
@click.command("downgrade", context_settings={"ignore_unknown_options": True})
@click.option("-d", "--directory", default=None, help='Migration script directory (default is "migrations")')
@click.option("--sql", is_flag=True, help="Don't emit SQL to database - dump to standard output instead")
@click.option("--tag", default=None, help='Arbitrary "tag" name - can be used by custom env.py scripts')
@click.option("-x", "--x-arg", multiple=True, help="Additional arguments consumed by custom env.py scripts")
@click.option("--force", is_flag=True, help="Downgrade even if it deletes user data (back up first).")
@click.argument("revision", default="-1")
@with_appcontext
def guarded_downgrade(directory: str | None, sql: bool, tag: str | None, x_arg: tuple[str, ...], force: bool,
                      revision: str) -> None:
    """Revert to a previous version; refuses if that would delete user data, unless --force."""
    from flask import current_app
    from flask_migrate import downgrade

    from foia.extensions import db

    if not sql and not force:
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        script_dir = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config(directory))
        with db.engine.connect() as conn:
            heads = MigrationContext.configure(conn).get_current_heads()
            losses = data_loss(conn, revisions_to_undo(script_dir, revision, tuple(heads))) if heads else []
        if losses:
            click.echo(refusal(revision, losses), err=True)
            raise SystemExit(1)
    downgrade(directory, revision, sql, tag, x_arg)


def install_downgrade_guard() -> None:
    """Put the guarded command in Flask-Migrate's `db` group (process-wide; idempotent)."""
    from flask_migrate.cli import db as db_group

    db_group.add_command(guarded_downgrade, "downgrade")
