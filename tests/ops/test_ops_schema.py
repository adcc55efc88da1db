"""Refusing to start against a schema not at head (F11), and `flask db downgrade` refusing to delete user data
unless --force (F12)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from foia.ops.downgrade import drops_in
from foia.ops.schema import APP_LOAD_ERROR, head_revisions
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[2]
HEAD = ",".join(head_revisions())


@pytest.fixture(scope="module")
def behind_db(tmp_path_factory) -> str:
    """A real SQLite database migrated to head, then downgraded two revisions (to 0018)."""
    from flask_migrate import downgrade, upgrade

    tmp = tmp_path_factory.mktemp("behind")
    url = f"sqlite:///{tmp / 'behind.sqlite3'}"
    app = make_app(tmp, database_url=url)
    with app.app_context():
        upgrade()
        downgrade(revision="0018_agency_directory")
        from foia.extensions import db

        db.engine.dispose()
    return url


def _env(url: str, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, FLASK_APP="app.py", FOIA_DATABASE_URL=url, FOIA_SECRET_KEY="x",
               FOIA_STORAGE_DIR=str(tmp_path / "storage"), FOIA_OUTBOX_DIR=str(tmp_path / "outbox"))
    for name in ("FOIA_SCHEMA_CHECK", "SERVER_SOFTWARE"):
        env.pop(name, None)
    return env


def _one_line(stderr: str, *, tracebacks_allowed: bool = False) -> str:
    """The message, one line (gunicorn prints it once per worker that tried to boot: the same line)."""
    lines = {line for line in stderr.strip().splitlines() if "FOIA Tracker:" in line}
    assert len(lines) == 1, stderr
    assert tracebacks_allowed or "Traceback" not in stderr, stderr
    return lines.pop()


def test_create_app_refuses_a_schema_behind_with_one_line(behind_db, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        make_app(tmp_path, database_url=behind_db, FOIA_SCHEMA_CHECK="1")
    assert exc.value.code == APP_LOAD_ERROR
    line = _one_line(capsys.readouterr().err)
    assert "0018_agency_directory" in line and HEAD in line and "flask db upgrade" in line


def test_a_schema_at_head_starts(app, tmp_path):
    from foia.ops.schema import refuse_unless_at_head

    refuse_unless_at_head(app, wanted=True)  # the suite's database (SQLite or PostgreSQL) is at head


def test_a_schema_behind_is_refused_on_this_engine_too(app, ctx, capsys):
    """The same check on the suite's engine (PostgreSQL under `make test-pg`): its recorded revision set back."""
    from foia.extensions import db
    from foia.ops.schema import refuse_unless_at_head

    db.session.execute(text("UPDATE alembic_version SET version_num = '0019_data_exchange'"))
    db.session.commit()
    try:
        with pytest.raises(SystemExit):
            refuse_unless_at_head(app, wanted=True)
        assert "0019_data_exchange" in _one_line(capsys.readouterr().err)
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head_revisions()[0]})
        db.session.commit()


def test_an_empty_database_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        make_app(tmp_path, database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}", FOIA_SCHEMA_CHECK="1")
    assert "no schema yet" in _one_line(capsys.readouterr().err)


def test_testing_apps_and_plain_scripts_are_not_checked(behind_db, tmp_path):
    make_app(tmp_path, database_url=behind_db)  # TESTING: the suite builds schemas itself
    make_app(tmp_path, database_url=behind_db, TESTING=False)  # a script, a benchmark: not a web server


def test_flask_run_refuses_a_schema_behind(behind_db, tmp_path):
    done = subprocess.run([sys.executable, "-m", "flask", "run", "--port", "0"], cwd=ROOT, env=_env(behind_db, tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == APP_LOAD_ERROR, done.stderr
    assert "flask db upgrade" in _one_line(done.stderr)


def test_gunicorn_refuses_a_schema_behind_and_stops(behind_db, tmp_path):
    """Gunicorn stops instead of restarting workers that cannot boot. With preload_app the master itself loads
    the app and exits with gunicorn's APP_LOAD_ERROR (4); without it, the workers fail and the master halts
    ("App failed to load")."""
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:0",
                             "app:app"], cwd=ROOT, env=_env(behind_db, tmp_path), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == APP_LOAD_ERROR or (proc.returncode != 0 and "App failed to load" in stderr)
    # When both workers exit at once, gunicorn's master itself may print a traceback as it halts
    # (HaltServer raised while handling the first): that is gunicorn's, after our line.
    line = _one_line(stderr, tracebacks_allowed=True)
    assert "flask db upgrade" in line and "0018_agency_directory" in line
    assert stderr.index(line) < stderr.find("Traceback") or "Traceback" not in stderr


def test_the_scheduler_refuses_a_schema_behind(behind_db, tmp_path):
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "flask", "foia", "scheduler"], cwd=ROOT,
                          env=_env(behind_db, tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == APP_LOAD_ERROR and time.monotonic() - started < 120
    assert "flask db upgrade" in _one_line(done.stderr)
    assert "scheduler started" not in done.stderr


def test_flask_db_commands_still_run_against_a_schema_behind(behind_db, tmp_path):
    done = subprocess.run([sys.executable, "-m", "flask", "db", "current"], cwd=ROOT, env=_env(behind_db, tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "0018_agency_directory" in done.stdout + done.stderr


# --- downgrade guard ---------------------------------------------------------------------------------------

def test_drops_are_read_from_the_downgrade_functions():
    versions = ROOT / "migrations" / "versions"
    assert ("communications", None) in drops_in(versions / "0009_communications.py")
    assert ("search_fts", None) in drops_in(versions / "0009_communications.py")  # raw SQL
    assert ("requests", "reminders_stale") in drops_in(versions / "0012_reminders_stale.py")  # batch_alter_table
    assert ("search_entries", "tsv") in drops_in(versions / "0011_search_tsv.py")  # ALTER TABLE ... DROP COLUMN
    assert drops_in(versions / "0020_jobs.py") == [("documents", "text_error"), ("jobs", None)]


def _document(session, world) -> None:
    from foia.models import Document

    session.add(Document(request_id=world["requests"][("staff", "private")].id, sha256="a" * 64, filename="a.pdf",
                         size=1, mime="application/pdf", created_at=datetime.now(UTC)))
    session.commit()


def test_a_downgrade_that_deletes_user_data_refuses(cli, session, world):
    _document(session, world)
    requests_before = session.execute(text("SELECT count(*) FROM requests")).scalar()
    result = cli.invoke(args=["db", "downgrade", "0008_letters"])
    assert result.exit_code == 1, result.output
    assert "Refusing to downgrade to 0008_letters" in result.output and "table documents (1 rows)" in result.output
    assert "--force" in result.output
    assert session.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revisions()[0]
    assert session.execute(text("SELECT count(*) FROM requests")).scalar() == requests_before


def _version(session) -> str:
    return session.execute(text("SELECT version_num FROM alembic_version")).scalar()


def test_a_downgrade_of_empty_tables_needs_no_force(cli, session):
    from flask_migrate import upgrade

    session.close()
    try:
        result = cli.invoke(args=["db", "downgrade", "0012_reminders_stale"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert _version(session) == "0012_reminders_stale"
    finally:
        session.close()
        upgrade()
    assert _version(session) == head_revisions()[0]


def test_force_downgrades_what_would_be_refused(cli, session, world):
    from flask_migrate import upgrade

    _document(session, world)
    session.close()
    try:
        # 0020 added documents.text_error; going back before it would drop the document's value.
        result = cli.invoke(args=["db", "downgrade", "0019_data_exchange"])
        assert result.exit_code == 1 and "column documents.text_error (1 values)" in result.output
        assert _version(session) == head_revisions()[0]
        session.close()
        result = cli.invoke(args=["db", "downgrade", "--force", "0019_data_exchange"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert _version(session) == "0019_data_exchange"
    finally:
        session.close()
        upgrade()
    assert _version(session) == head_revisions()[0]


def test_the_message_for_a_database_ahead_of_the_code():
    from foia.ops.schema import SchemaState

    state = SchemaState(current=("0099_from_newer_code",), head=head_revisions())
    assert not state.at_head and state.ahead
    assert "does not know" in state.message() and "\n" not in state.message()
    assert SchemaState(current=head_revisions(), head=head_revisions()).at_head


def test_who_is_checked(app, monkeypatch):
    from foia.ops.schema import check_wanted

    monkeypatch.setitem(app.config, "TESTING", False)
    monkeypatch.delenv("SERVER_SOFTWARE", raising=False)
    assert check_wanted(app) is False  # a script or a benchmark building the app
    monkeypatch.setenv("SERVER_SOFTWARE", "gunicorn/27.0.1")
    assert check_wanted(app) is True
    monkeypatch.setitem(app.config, "FOIA_SCHEMA_CHECK", "0")
    assert check_wanted(app) is False
    monkeypatch.setitem(app.config, "TESTING", True)
    monkeypatch.setitem(app.config, "FOIA_SCHEMA_CHECK", "1")
    assert check_wanted(app) is True
