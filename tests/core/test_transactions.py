"""Rollback means rollback, on SQLite as on PostgreSQL (review F6).

pysqlite on its own emitted no BEGIN before a SAVEPOINT, so a savepoint opened first was the outermost
transaction and releasing it committed: a multi-file upload that answered "nothing was saved" had saved 2 of
its 3 documents. foia/extensions.py now begins the transaction itself (SQLAlchemy's pysqlite recipe, with
BEGIN IMMEDIATE at the first write). These tests run on whichever engine the suite uses (SQLite by default,
PostgreSQL with FOIA_TEST_DATABASE_URL)."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from foia.communications.service import log_communication_with_files
from foia.core.errors import ValidationError
from foia.core.paths import blob_root
from foia.extensions import db
from foia.models import Communication, Document, Organization, SearchEntry
from tests.conftest import NOW, csrf_token, make_app

HTML_PAGE = b"<!doctype html><html><body><p>not a pdf</p></body></html>"


def _count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def _org_names(session) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(Organization.name)))


def _files(app) -> list[Path]:
    root = Path(blob_root(app.config))
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_released_savepoint_then_outer_rollback_leaves_nothing(session):
    # The savepoint is the very first statement of the transaction: the case pysqlite got wrong.
    with session.begin_nested():
        session.add(Organization(name="Inside a savepoint", created_at=NOW))
    session.add(Organization(name="After the savepoint", created_at=NOW))
    session.flush()
    session.rollback()
    assert _org_names(session) == set()


def test_rolled_back_savepoint_keeps_the_outer_work(session):
    session.add(Organization(name="Outer", created_at=NOW))
    session.flush()
    with pytest.raises(RuntimeError), session.begin_nested():
        session.add(Organization(name="Undone", created_at=NOW))
        session.flush()
        raise RuntimeError("refused")
    with session.begin_nested():
        session.add(Organization(name="Kept", created_at=NOW + timedelta(seconds=1)))
    session.commit()
    assert _org_names(session) == {"Outer", "Kept"}


def test_two_released_savepoints_then_rollback_leave_nothing(session):
    for name in ("one", "two"):
        with session.begin_nested():
            session.add(Organization(name=name, created_at=NOW))
    session.rollback()
    assert _org_names(session) == set()


def test_sqlite_settings_still_apply(tmp_path):
    """The explicit-BEGIN recipe keeps the PRAGMAs (they run outside a transaction). On its own SQLite app, so
    the check runs in the PostgreSQL suite too."""
    app = make_app(tmp_path, database_url=f"sqlite:///{tmp_path / 'pragmas.sqlite3'}")
    with app.app_context():
        session = db.session()
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 15000
        session.rollback()
        db.session.remove()
        db.engine.dispose()


def test_multi_file_upload_whose_third_file_fails_saves_nothing(login_as, world, session, app, monkeypatch):
    """The review's 4a: the third file hits an error (a full disk there), the page says nothing was saved,
    and nothing was: no document, no search entry, no blob."""
    import foia.documents.service as service

    real_sniff, calls = service.sniff, []

    def sniff_then_fail(path):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real_sniff(path)

    monkeypatch.setattr(service, "sniff", sniff_then_fail)
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    token = csrf_token(client, f"/requests/{req.ref}/documents/new")
    resp = client.post(f"/requests/{req.ref}/documents/new", content_type="multipart/form-data", data={
        "csrf_token": token,
        "files": [(io.BytesIO(f"part {i}\n".encode() * 100), f"part-{i}.txt") for i in range(3)]})
    assert resp.status_code == 507  # the disk-full page (foia.ops.diskfull), which says nothing was kept
    assert "Nothing from this action was kept" in resp.get_data(as_text=True)
    assert len(calls) == 3
    assert _count(session, Document) == 0
    assert session.scalar(select(func.count()).select_from(SearchEntry)
                          .where(SearchEntry.source_type == "document")) == 0
    assert _files(app) == []  # the two accepted files were only staged, and the rollback dropped them


def test_service_refusing_the_third_file_saves_nothing(world, session, app):
    req = world["requests"][("staff", "private")]
    files = [("one.txt", io.BytesIO(b"first file\n")), ("two.txt", io.BytesIO(b"second file\n")),
             ("three.pdf", io.BytesIO(HTML_PAGE))]
    with pytest.raises(ValidationError, match=r"three\.pdf"):
        log_communication_with_files(session, actor=world["users"]["staff"], now=NOW, req=req, files=files,
                                     storage_root=blob_root(app.config), max_bytes=10_000, direction="incoming",
                                     kind="note", occurred_on="2026-01-10", subject="Three files")
    session.rollback()
    assert _count(session, Communication) == 0
    assert _count(session, Document) == 0
    assert _files(app) == []


def test_service_upload_in_savepoints_then_rollback_saves_nothing(world, session, app):
    """add_document in released savepoints (as the web route and `flask foia attach` call it), then a
    rollback: the rows go, and the staged blobs with them."""
    from foia.documents.service import add_document

    req = world["requests"][("staff", "private")]
    for i in range(2):
        with session.begin_nested():
            add_document(session, actor=None, now=NOW, req=req, stream=io.BytesIO(f"file {i}\n".encode()),
                         filename=f"f{i}.txt", storage_root=blob_root(app.config), max_bytes=1000)
    session.rollback()
    assert _count(session, Document) == 0
    assert _files(app) == []


def test_concurrent_read_then_write_transactions_do_not_fail(ctx):
    """The plain recipe (BEGIN at the first SELECT) made SQLite refuse a read-then-write transaction at once
    whenever another writer committed in between ("database is locked", 150 of 200 in a probe). BEGIN
    IMMEDIATE at the first write waits its turn instead."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def writer(n: int) -> None:
        with ctx.app_context():
            try:
                barrier.wait()
                for i in range(15):
                    db.session.scalar(select(func.count()).select_from(Organization))
                    db.session.add(Organization(name=f"writer {n} row {i}", created_at=NOW))
                    db.session.commit()
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with ctx.app_context():
        assert _count(db.session, Organization) == 60
