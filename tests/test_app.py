from __future__ import annotations

import os
from datetime import UTC
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from foia.config import load_config
from foia.extensions import db
from tests.conftest import make_app


def test_models_and_migrations_agree(ctx):
    with db.engine.connect() as conn:
        from foia.models.types import include_name

        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name}),
                                db.metadata)
    assert diff == []


def test_every_table_was_created_by_migrations(ctx):
    tables = set(inspect(db.engine).get_table_names())
    assert {"organizations", "users", "agencies", "requests", "events", "audit_log", "alembic_version"} <= tables


def test_downgrade_to_empty_and_upgrade_again(ctx):
    from flask_migrate import downgrade, upgrade

    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert "requests" in inspect(db.engine).get_table_names()


def test_healthz_reports_the_database(client):
    resp = client.get("/healthz?checks=database")  # every check: tests/ops/test_ops_health.py
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok", "checks": {"database": {"status": "ok"}}}


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    app = make_app(tmp_path, database_url=f"sqlite:///{tmp_path / 'missing-dir' / 'x.sqlite3'}")
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503 and resp.get_json()["checks"]["database"]["status"] == "fail"


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = load_config(str(tmp_path), env={})["SECRET_KEY"]
    second = load_config(str(tmp_path), env={})["SECRET_KEY"]
    assert first == second and len(first) >= 64
    assert oct(os.stat(tmp_path / "secret_key").st_mode & 0o777) == "0o600"
    assert load_config(str(tmp_path), env={"FOIA_SECRET_KEY": "given"})["SECRET_KEY"] == "given"


def test_config_creates_the_folders_it_names_even_with_a_secret_key(tmp_path):
    """A fresh checkout with FOIA_SECRET_KEY set used to fail with "unable to open database file"."""
    instance = tmp_path / "fresh" / "instance"
    cfg = load_config(str(instance), env={"FOIA_SECRET_KEY": "given"})
    assert instance.is_dir() and not (instance / "secret_key").exists()
    assert Path(cfg["FOIA_STORAGE_DIR"]).is_dir() and Path(cfg["FOIA_OUTBOX_DIR"]).is_dir()
    sqlite_dir, storage, outbox = tmp_path / "db" / "here", tmp_path / "blobs", tmp_path / "mail" / "out"
    cfg = load_config(str(tmp_path / "other"), env={
        "FOIA_SECRET_KEY": "given", "FOIA_DATABASE_URL": f"sqlite:///{sqlite_dir / 'foia.sqlite3'}",
        "FOIA_STORAGE_DIR": str(storage), "FOIA_OUTBOX_DIR": str(outbox)})
    assert sqlite_dir.is_dir() and storage.is_dir() and outbox.is_dir()
    load_config(str(tmp_path / "pg"), env={"FOIA_SECRET_KEY": "k", "FOIA_DATABASE_URL": "postgresql://u@h/db"})
    load_config(str(tmp_path / "mem"), env={"FOIA_SECRET_KEY": "k", "FOIA_DATABASE_URL": "sqlite://"})


def test_a_fresh_instance_folder_migrates_with_a_given_secret_key(tmp_path, monkeypatch):
    """`FOIA_SECRET_KEY=x make run` on a fresh checkout: the SQLite database opens and migrates."""
    from flask_migrate import upgrade

    from foia.factory import create_app

    monkeypatch.setenv("FOIA_SECRET_KEY", "x")
    for name in ("FOIA_DATABASE_URL", "FOIA_STORAGE_DIR", "FOIA_OUTBOX_DIR"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path / "new" / "instance")})
    with app.app_context():
        upgrade()
        assert "requests" in inspect(db.engine).get_table_names()
    assert (tmp_path / "new" / "instance" / "foia.sqlite3").is_file()


def test_config_defaults_and_overrides(tmp_path):
    cfg = load_config(str(tmp_path), env={})
    assert cfg["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{Path(tmp_path) / 'foia.sqlite3'}"
    assert cfg["FOIA_TIMEZONE"] == "America/Los_Angeles" and cfg["FOIA_DEMO"] is False
    assert cfg["FOIA_SMTP_URL"] is None
    cfg = load_config(str(tmp_path), env={"FOIA_DATABASE_URL": "postgresql://u@h/db", "FOIA_DEMO": "1",
                                          "FOIA_TIMEZONE": "America/New_York", "FOIA_SMTP_URL": "smtp://localhost:25"})
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert cfg["FOIA_DEMO"] is True and cfg["FOIA_TIMEZONE"] == "America/New_York"
    assert cfg["FOIA_SMTP_URL"] == "smtp://localhost:25"


def test_pages_send_security_headers(client):
    resp = client.get("/login")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]


def test_app_module_only_builds_the_app():
    source = (Path(__file__).resolve().parent.parent / "app.py").read_text()
    assert "app = create_app()" in source and len(source.strip().splitlines()) <= 3


def test_migrating_down_and_up_keeps_every_row(world, session):
    """Batch migrations on SQLite recreate tables; with foreign keys enforced that once cascade-deleted
    every event, clock and reminder. Data must survive a migration in both directions."""
    from datetime import date, datetime

    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from foia.requests.service import log_event

    req = world["requests"][("staff", "private")]
    log_event(session, actor=world["users"]["staff"], now=datetime(2026, 6, 1, 17, tzinfo=UTC), req=req,
              kind="sent", occurred_on=date(2026, 6, 1))
    session.commit()
    tables = ("requests", "events", "request_clocks", "reminders", "audit_log", "users")

    def counts():
        return {t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}

    before = counts()
    assert before["events"] > 0 and before["request_clocks"] > 0 and before["reminders"] > 0
    session.close()
    downgrade(revision="0009_communications")
    upgrade()
    assert counts() == before


def test_foia_timezone_is_the_default_zone_everywhere(tmp_path) -> None:
    """FOIA_TIMEZONE, not a hard-coded Los Angeles, is the zone used where none is recorded."""
    from foia.core.clock import DEFAULT_TIMEZONE, default_timezone, local_today
    from foia.factory import create_app
    from foia.models import Agency

    try:
        create_app({"INSTANCE_PATH": str(tmp_path), "FOIA_TIMEZONE": "America/New_York",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'tz.sqlite3'}", "SECRET_KEY": "x"})
        assert default_timezone() == "America/New_York"
        from datetime import datetime

        # 05:30 UTC on 1 July is 1 July in New York but still 30 June in Los Angeles.
        assert local_today(datetime(2026, 7, 1, 5, 30, tzinfo=UTC)).isoformat() == "2026-07-01"
        assert Agency.__table__.c.timezone.default.arg.__name__ == "default_timezone"
    finally:
        from foia.core.clock import set_default_timezone

        set_default_timezone(DEFAULT_TIMEZONE)
