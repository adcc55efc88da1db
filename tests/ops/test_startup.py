"""Start-up: `flask foia ...` commands do not import what only pages or rendering need (issue 18).

Not timed (bench/bench_startup.py measures it): these check *what* is imported, which is what makes it fast."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from foia.cli import LAZY_COMMANDS, foia_cli
from foia.factory import needs_migrations, serves_pages

ROOT = Path(__file__).resolve().parents[2]
#: Imported only by what renders a page, a PDF, a spreadsheet or an OCR pass, or runs the scheduler; and the
#: deadline engine with its holiday calendars, only by what reads a law.
HEAVY = ["weasyprint", "openpyxl", "boto3", "ocrmypdf", "pypdfium2", "flask_smorest", "apispec", "apscheduler",
         "foia.blueprints", "foia.api.setup", "foia.deadlines", "holidays"]

PROBE = """
import json, sys
from flask.cli import main
heavy = HEAVY
sys.argv = ["flask", *json.loads(sys.argv[1])]
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code
print("\\n@@" + json.dumps({"code": code, "heavy": [m for m in heavy if m in sys.modules],
                          "loaded": [m for m in ("foia.factory", "foia.cli", "foia.models", "flask_migrate", "alembic")
                                     if m in sys.modules]}))
"""


def run_flask(tmp_path: Path, *args: str) -> tuple[str, dict]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), FLASK_APP="app.py",
               FOIA_DATABASE_URL=f"sqlite:///{tmp_path / 'startup.sqlite3'}", FOIA_SECRET_KEY="startup",
               FOIA_STORAGE_DIR=str(tmp_path / "storage"), FOIA_OUTBOX_DIR=str(tmp_path / "outbox"))
    code = PROBE.replace("HEAVY", repr(HEAVY))
    out = subprocess.run([sys.executable, "-c", code, json.dumps(list(args))], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert "@@" in out.stdout, out.stdout + out.stderr
    text, _, tail = out.stdout.rpartition("\n@@")
    return text, json.loads(tail)


#: The LAZY_COMMANDS that are groups (`flask foia reminders ...`), and a few single commands and subcommands.
GROUPS = sorted(name for name, (module, attribute, _) in LAZY_COMMANDS.items()
                if isinstance(getattr(importlib.import_module(module), attribute), click.Group))
COMMANDS = [["requests"], ["reminders", "dispatch"], ["recompute"], ["show"], ["search"], ["attach"],
            ["import-requests"], ["send"]]


@pytest.mark.parametrize("args", [["foia", "--help"], *(["foia", name, "--help"] for name in GROUPS),
                                  *(["foia", *command, "--help"] for command in COMMANDS)],
                         ids=lambda args: " ".join(args[1:-1]) or "foia")
def test_commands_that_do_not_render_import_nothing_heavy(tmp_path, args):
    text, result = run_flask(tmp_path, *args)
    assert result["code"] == 0
    assert "Usage: flask foia" in text
    assert result["loaded"][:2] == ["foia.factory", "foia.cli"]  # the app was really built
    assert result["heavy"] == []
    assert "flask_migrate" not in result["loaded"] and "alembic" not in result["loaded"]  # no command migrates
    # A group's or a command's --help imports no model (nor the services, mail and engine behind them):
    # the command's module imports them when the command runs.
    assert "foia.models" not in result["loaded"]


def test_every_group_is_checked():
    assert {"reminders", "agencies", "mail", "documents", "webhooks", "user", "token", "stats", "counts"} <= set(GROUPS)


def test_the_command_list_names_every_command_with_its_own_help(tmp_path):
    text, result = run_flask(tmp_path, "foia", "--help")
    assert result["code"] == 0
    for name, (module, attribute, help_line) in LAZY_COMMANDS.items():
        command = getattr(importlib.import_module(module), attribute)
        assert command.name == name
        assert command.get_short_help_str(limit=len(help_line) + 50) == help_line, name
        assert f"\n  {name} " in text
    assert "\n  scheduler " in text and "\n  demo " in text


def test_a_lazy_command_runs(tmp_path):
    text, result = run_flask(tmp_path, "foia", "laws")
    assert result["code"] in (0, None), text
    assert "us-foia" in text.lower() or "freedom of information" in text.lower()
    assert set(result["heavy"]) == {"foia.deadlines", "holidays"}  # it reads the law files; nothing that renders


def test_pages_are_built_for_every_server_and_for_flask_run():
    assert serves_pages(["/srv/venv/bin/gunicorn", "-c", "gunicorn.conf.py", "app:app"])
    assert serves_pages(["pytest"])
    assert serves_pages(["/usr/bin/flask", "run"])
    assert serves_pages(["/usr/bin/flask", "--app", "foia", "routes"])  # --app's value is not the command
    assert serves_pages(["/usr/bin/flask", "--help"])
    assert not serves_pages(["/usr/bin/flask", "foia", "reminders", "dispatch"])
    assert not serves_pages(["/venv/lib/python3.11/site-packages/flask/__main__.py", "-A", "app", "db", "upgrade"])


def test_migrations_are_loaded_for_everything_but_flask_foia(tmp_path):
    assert not needs_migrations(["/usr/bin/flask", "foia", "reminders", "dispatch"])
    assert needs_migrations(["/usr/bin/flask", "--app", "app", "db", "upgrade"])
    assert needs_migrations(["/usr/bin/flask", "--help"]) and needs_migrations(["pytest"])
    text, result = run_flask(tmp_path, "db", "downgrade", "--help")
    assert result["code"] == 0 and "--force" in text  # the guarded downgrade is still installed


def test_the_web_app_still_has_its_pages_and_the_cli_app_has_every_command(app):
    assert "auth.login" in app.view_functions and "ops.healthz" in app.view_functions
    assert set(LAZY_COMMANDS) <= set(foia_cli.list_commands(None))  # type: ignore[arg-type]
