"""`flask foia backup` while the app writes → `flask foia restore` into an empty database and store: every row
and every blob equal (F12), on the suite's engine (SQLite, or PostgreSQL under FOIA_TEST_DATABASE_URL)."""

from __future__ import annotations

import io
import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from foia.core.paths import blob_root
from foia.extensions import db
from foia.ops.backup import sha256_file
from tests.conftest import TEST_DB_URL, make_app


def _rows(engine) -> dict[str, set[str]]:
    """Every row of every table, as comparable text."""
    out = {}
    with engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            if table.startswith("search_fts"):  # SQLite FTS5 shadow tables: derived, and compared via search_entries
                continue
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
            out[table] = {json.dumps([str(v) for v in row]) for row in rows}
    return out


class Writer(threading.Thread):
    """Uploads documents (a blob and a row each) through the service, one commit each, until stopped."""

    def __init__(self, app, world):
        super().__init__(daemon=True)
        self.app, self.stop, self.count, self.error = app, threading.Event(), 0, None
        self.req_id = world["requests"][("staff", "private")].id
        self.user_id = world["users"]["staff"].id

    def run(self):
        from foia.documents.service import add_document
        from foia.models import Request, User

        try:
            with self.app.app_context():
                s = db.session()
                req, user = s.get(Request, self.req_id), s.get(User, self.user_id)
                while not self.stop.is_set():
                    content = f"written during the backup, number {self.count}\n".encode() * 50
                    add_document(s, actor=user, now=datetime.now(UTC), req=req, stream=io.BytesIO(content),
                                 filename=f"during-{self.count}.txt", storage_root=blob_root(self.app.config),
                                 max_bytes=1 << 20)
                    s.commit()
                    self.count += 1
                db.session.remove()
        except Exception as exc:  # reported by the test
            self.error = exc


@pytest.fixture
def target(tmp_path):
    """An empty database and store to restore into: a new SQLite file, or a new PostgreSQL database."""
    if not TEST_DB_URL:
        yield make_app(tmp_path / "restored", database_url=f"sqlite:///{tmp_path / 'restored.sqlite3'}")
        return
    url = make_url(TEST_DB_URL.replace("postgresql://", "postgresql+psycopg://"))
    name = f"{url.database}_restore"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    app = make_app(tmp_path / "restored", database_url=url.set(database=name).render_as_string(hide_password=False))
    yield app
    with app.app_context():
        db.engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _seed(client_app, session, world) -> None:
    from foia.documents.service import add_document

    req = world["requests"][("staff", "private")]
    for i in range(5):
        add_document(session, actor=world["users"]["staff"], now=datetime.now(UTC), req=req,
                     stream=io.BytesIO(f"before the backup {i}\n".encode() * 100), filename=f"before-{i}.txt",
                     storage_root=blob_root(client_app.config), max_bytes=1 << 20)
    session.commit()


def test_backup_while_writing_then_restore_gives_every_row_and_blob(ctx, cli, session, world, target, tmp_path):
    _seed(ctx, session, world)
    writer = Writer(ctx, world)
    writer.start()
    while writer.count < 3 and writer.error is None:
        time.sleep(0.01)
    out = tmp_path / "backup"
    result = cli.invoke(args=["foia", "backup", "-o", str(out)], catch_exceptions=False)
    written_during = writer.count
    time.sleep(0.2)  # and a little more afterwards
    writer.stop.set()
    writer.join(30)
    assert writer.error is None, writer.error
    assert result.exit_code == 0, result.output
    assert writer.count > written_during or writer.count > 3  # the writer really ran beside the backup

    manifest = json.loads((out / "manifest.json").read_text())
    assert oct((out).stat().st_mode & 0o777) == "0o700"
    assert manifest["blobs"]["missing"] == []
    assert (out / "SHA256SUMS").read_text().count("\n") == len(manifest["files"])

    with target.app_context():  # the CLI runs in the current app context: the target's, not the live app's
        restored = target.test_cli_runner().invoke(args=["foia", "restore", str(out)], catch_exceptions=False)
    assert restored.exit_code == 0, restored.output
    assert "every hash matched" in restored.output

    with target.app_context():
        got = _rows(db.engine)
        doc_rows = db.session.execute(text("SELECT id, sha256 FROM documents ORDER BY id")).all()
        db.session.remove()
        db.engine.dispose()
    live = _rows(db.engine)

    # Every table the writer does not touch is identical; the others hold exactly the live rows up to the snapshot.
    assert got.keys() == live.keys()
    assert {t: len(r) for t, r in got.items()} == {t: n for t, n in manifest["rows"].items() if t in got}
    for table in got:
        assert got[table] <= live[table], table  # nothing invented or changed
    written = {"documents", "search_entries", "audit_log", "jobs"}  # each upload also queues its text job
    for table in set(got) - written:
        assert got[table] == live[table], table
    live_ids = [r[0] for r in session.execute(text("SELECT id FROM documents ORDER BY id")).all()]
    restored_ids = [r[0] for r in doc_rows]
    assert 5 + 3 <= len(restored_ids) < len(live_ids)  # the snapshot caught the writer mid-way
    assert restored_ids == live_ids[: len(restored_ids)]  # a prefix: no committed row before the snapshot lost

    missing = [i for i in live_ids if i <= max(restored_ids) and i not in restored_ids]
    print(f"\nround trip ({db.engine.dialect.name}): documents live {len(live_ids)} (5 before the backup, "
          f"{len(live_ids) - 5} written by the writer), in the backup and restored {len(restored_ids)}, committed "
          f"before the snapshot but missing {len(missing)}, rows restored {sum(len(r) for r in got.values())} in {len(got)} tables")
    # Every document's blob is in the restored store, byte for byte.
    live_root, new_root = Path(blob_root(ctx.config)), Path(blob_root(target.config))
    for _id, sha in doc_rows:
        rel = Path(sha[:2]) / sha[2:4] / sha
        assert sha256_file(new_root / rel) == sha
        assert (new_root / rel).read_bytes() == (live_root / rel).read_bytes()


def test_restore_refuses_a_database_with_data_unless_forced(ctx, cli, session, world, tmp_path):
    _seed(ctx, session, world)
    gone = world["requests"][("reporter", "public")].id
    out = tmp_path / "backup"
    assert cli.invoke(args=["foia", "backup", "-o", str(out)]).exit_code == 0
    session.close()
    result = cli.invoke(args=["foia", "restore", str(out)])
    assert result.exit_code == 1 and "the database is not empty" in result.output and "--force" in result.output

    # --force replaces it: a request deleted after the backup comes back.
    from foia.models import Request

    session.execute(text("DELETE FROM documents"))
    session.execute(Request.__table__.delete().where(Request.id == gone))
    session.commit()
    session.close()
    result = cli.invoke(args=["foia", "restore", "--force", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert session.execute(text("SELECT count(*) FROM requests")).scalar() == 6
    assert session.execute(text("SELECT count(*) FROM documents")).scalar() == 5


def test_restore_refuses_a_damaged_backup_and_writes_nothing(ctx, cli, session, world, target, tmp_path):
    _seed(ctx, session, world)
    out = tmp_path / "backup"
    assert cli.invoke(args=["foia", "backup", "-o", str(out)]).exit_code == 0
    blob = next(p for p in (out / "blobs").rglob("*") if p.is_file())
    blob.write_bytes(blob.read_bytes() + b"tampered")
    with target.app_context():
        result = target.test_cli_runner().invoke(args=["foia", "restore", str(out)])
    assert result.exit_code == 1 and "SHA-256 differs" in result.output and "nothing restored" in result.output
    with target.app_context():
        assert inspect(db.engine).get_table_names() == []
        db.session.remove()
        db.engine.dispose()
    assert not any(p.is_file() for p in Path(blob_root(target.config)).rglob("*"))


def test_backup_into_a_folder_that_is_not_empty_is_refused(ctx, cli, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    result = cli.invoke(args=["foia", "backup", "-o", str(tmp_path / "full")])
    assert result.exit_code == 1 and "is not empty" in result.output


def test_a_naive_copy_of_the_sqlite_file_misses_what_the_online_backup_keeps(tmp_path):
    """Why the online backup API (review 5a: `cp` of a WAL database missed 13 of 831 communications)."""
    import shutil
    import sqlite3

    live = tmp_path / "live.sqlite3"
    conn = sqlite3.connect(live)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
    conn.commit()  # committed, but in live.sqlite3-wal until a checkpoint
    shutil.copyfile(live, tmp_path / "naive.sqlite3")
    from foia.ops.backup import _sqlite_backup

    _sqlite_backup(make_url(f"sqlite:///{live}"), tmp_path / "online.sqlite3")
    naive = sqlite3.connect(tmp_path / "naive.sqlite3")
    naive_count = naive.execute("SELECT count(*) FROM sqlite_master WHERE name = 't'").fetchone()[0]
    online = sqlite3.connect(tmp_path / "online.sqlite3").execute("SELECT count(*) FROM t").fetchone()[0]
    conn.close()
    assert naive_count == 0 and online == 100
