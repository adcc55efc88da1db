"""Shared fixtures.

The database is real: SQLite in a temporary folder by default, or PostgreSQL when
FOIA_TEST_DATABASE_URL is set (`make test-pg`). The schema is built by running the
Alembic migrations, so every test run also proves `flask db upgrade` works on an empty
database. Each test starts from empty tables.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from foia.extensions import db
from foia.factory import create_app

TEST_DB_URL = os.environ.get("FOIA_TEST_DATABASE_URL")
NOW = datetime(2026, 1, 15, 18, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True, scope="session")
def _hash_each_password_once():
    """scrypt is deliberately slow; hash each distinct test password once per run (same KDF, same format)."""
    import functools

    import foia.models.user as user_module

    original = user_module.generate_password_hash
    user_module.generate_password_hash = functools.lru_cache(maxsize=64)(original)
    yield
    user_module.generate_password_hash = original


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_app(tmp_path, database_url: str | None = None, **extra):
    url = database_url or TEST_DB_URL or f"sqlite:///{tmp_path / 'test.sqlite3'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "FOIA_STORAGE_DIR": str(tmp_path / "storage"),
        "FOIA_OUTBOX_DIR": str(tmp_path / "outbox"),
        "FOIA_DEMO": False,
        # Admins in tests are not enrolled in two-factor sign-in; tests/accounts/test_two_factor.py
        # turns the requirement on where it is the subject.
        "FOIA_REQUIRE_2FA_ROLES": (),
    }
    config.update(extra)
    return create_app(config)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("app")
    if TEST_DB_URL:
        reset_postgres(TEST_DB_URL.replace("postgresql+psycopg://", "postgresql+psycopg://"))
    application = make_app(tmp)
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _wipe() -> None:
    db.session.rollback()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def ctx(app):
    """An application context with empty tables; wiped again afterwards."""
    import shutil

    for key in ("FOIA_OUTBOX_DIR", "FOIA_STORAGE_DIR"):
        shutil.rmtree(app.config[key], ignore_errors=True)
    from foia.extensions import limiter

    limiter.reset()  # rate-limit counters start empty for each test, like the tables
    with app.app_context():
        _wipe()
        yield app
        db.session.remove()
        _wipe()


@pytest.fixture
def session(ctx):
    return db.session


@pytest.fixture
def client(ctx):
    return ctx.test_client()


@pytest.fixture
def cli(ctx):
    return ctx.test_cli_runner()


@pytest.fixture
def world(session):
    """Two organizations with an admin, staff and reporters, agencies, and one request of each visibility
    per requester, so access rules can be checked for every role."""
    from foia.accounts.service import create_user, get_or_create_organization
    from foia.demo import upsert_agencies
    from foia.requests.service import RequestInput, create_request

    city = get_or_create_organization(session, "City of Los Angeles", now=NOW)
    news = get_or_create_organization(session, "Los Angeles Ledger", now=NOW)
    other = get_or_create_organization(session, "Other Newsroom", now=NOW)
    upsert_agencies(session, NOW)
    users = {
        "admin": create_user(session, email="admin@lacity.example", name="Admin", role="admin", organization=city, password=PASSWORD, now=NOW),
        "staff": create_user(session, email="clerk@lacity.example", name="Clerk", role="staff", organization=city, password=PASSWORD, now=NOW),
        "news_staff": create_user(session, email="editor@newsroom.example", name="Editor", role="staff", organization=news, password=PASSWORD, now=NOW),
        "reporter": create_user(session, email="reporter@newsroom.example", name="Reporter", role="reporter", organization=news, password=PASSWORD, now=NOW),
        "colleague": create_user(session, email="colleague@newsroom.example", name="Colleague", role="reporter", organization=news, password=PASSWORD, now=NOW),
        "outsider": create_user(session, email="outsider@other.example", name="Outsider", role="reporter", organization=other, password=PASSWORD, now=NOW),
    }
    requests = {}
    for owner in ("staff", "reporter"):
        for vis in ("private", "organization", "public"):
            req = create_request(session, actor=users[owner], now=NOW, data=RequestInput(
                title=f"{owner} {vis} request", records_sought="All records about the thing in question.",
                agency_slug="dhs-ice" if owner == "staff" else "lasd", visibility=vis))
            requests[(owner, vis)] = req
    session.commit()
    return {"users": users, "requests": requests, "orgs": {"city": city, "news": news, "other": other}}


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def login_as(client, world):
    def _login(role: str):
        resp = login(client, world["users"][role].email)
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return client
    return _login


def extract_queued(app, session):
    """Run the queued text-extraction jobs (uploads only queue them), as the scheduler's job runner does."""
    from foia.core.clock import utcnow
    from foia.documents.jobs import job_settings, run_jobs

    result = run_jobs(session, now=utcnow(), settings=job_settings(app.config))
    session.expire_all()
    return result
