"""`flask foia backup -o DIR` and `flask foia restore DIR` (F12).

A backup folder holds:
- ``database.sqlite3`` (SQLite's online backup API: one consistent snapshot, taken while the app serves; a
  plain copy of the file misses what is still in the ``-wal``) or ``database.pgdump`` (``pg_dump -Fc``:
  one snapshot of a live database);
- ``blobs/``: every document, raw mail and delivery blob, by the same sha256 paths as the store;
- ``manifest.json``: engine, schema revision, row counts per table, and the SHA-256 of every file, also as
  ``SHA256SUMS`` (``sha256sum -c SHA256SUMS`` checks a copy by hand).

The database is copied first, the blobs after: a row's blob is written before the row commits, so every
blob a row of the snapshot names is already on disk (the backup checks, and says which are missing).
Blobs written later are copied too and are harmless. Restore checks every hash before writing anything, then
fills an empty database and blob store (or, with --force, replaces the database and adds the blobs).

Both document stores are covered: with ``FOIA_STORAGE_URL=s3://...`` the backup streams every object of the
bucket's prefix into ``blobs/`` (checking each against its digest) and restore uploads them (a filesystem
backup restored with S3 configured is also how an installation moves its documents to S3). Bucket versioning
or replication is a good second line for S3, not a replacement for this.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, Connection, Engine

from foia.core.paths import blob_root
from foia.documents.storage import BlobStorage, BlobStore
from foia.documents.stores import open_store
from foia.ops.schema import current_revisions

FORMAT = 1
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
BLOBS = "blobs"
#: Columns that name a blob in the store.
BLOB_COLUMNS = (("documents", "sha256"), ("communications", "raw_sha256"), ("unmatched_mail", "raw_sha256"),
                ("deliveries", "raw_sha256"))
_HEX = frozenset("0123456789abcdef")


class BackupError(Exception):
    """Something the operator must fix; the message is one line."""


@dataclass
class Report:
    folder: Path
    engine: str
    revision: list[str]
    rows: dict[str, int]
    blobs: int
    blob_bytes: int
    missing_blobs: list[str] = field(default_factory=list)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_digest(name: str) -> bool:
    return len(name) == 64 and set(name) <= _HEX


def _blob_files(root: Path) -> Iterator[Path]:
    """Stored blobs (aa/bb/<sha256>); temporary and staging files are not blobs."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and _is_digest(path.name) and path.parent.name == path.name[2:4] \
                and path.parent.parent.name == path.name[0:2]:
            yield path


def _stored_digests(store: BlobStorage) -> list[str]:
    """The digests of every blob in the store (files aa/bb/<sha256>, or the objects under the S3 prefix)."""
    if isinstance(store, BlobStore):
        return [path.name for path in _blob_files(store.root)]
    from foia.documents.storage_s3 import S3BlobStore

    assert isinstance(store, S3BlobStore)
    return sorted(sha for sha, _size in store.blob_digests())


def _row_counts(conn: Connection) -> dict[str, int]:
    names = sorted(inspect(conn).get_table_names())
    return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() or 0 for t in names}


def _referenced_blobs(conn: Connection) -> set[str]:
    found: set[str] = set()
    tables = set(inspect(conn).get_table_names())
    for table, column in BLOB_COLUMNS:
        if table in tables:
            found.update(v for v in conn.execute(text(f'SELECT DISTINCT "{column}" FROM "{table}" '
                                                      f'WHERE "{column}" IS NOT NULL')).scalars() if v)
    return found


def _describe(conn: Connection) -> tuple[dict[str, int], set[str], list[str]]:
    """Row counts, the blobs rows name, and the schema revision, as `conn` sees the database."""
    return _row_counts(conn), _referenced_blobs(conn), list(current_revisions(conn))


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for pg_dump/pg_restore, and the environment carrying the password (never on
    the command line, where `ps` shows it)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: Mapping[str, str]) -> str:
    try:
        done = subprocess.run(args, env=dict(env), capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(f"{args[0]} is not installed (PostgreSQL's client tools are needed): {exc}") from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise BackupError(f"{Path(args[0]).name} failed: {last}")
    return done.stdout


def _prepare_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty: give a new or empty folder.")
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(out, 0o700)  # password hashes, tokens and webhook secrets are in the database


def backup(engine: Engine, config: Mapping[str, Any], out: Path, *, now: datetime | None = None) -> Report:
    """Write a backup of the database and the document store into `out` (new or empty)."""
    out = Path(out)
    _prepare_out(out)
    url = engine.url
    engine_name = url.get_backend_name()
    tools: dict[str, str] = {}
    if engine_name == "sqlite":
        db_file = out / SQLITE_FILE
        _sqlite_backup(url, db_file)
        copy = _sqlite_engine(db_file)
        try:
            with copy.connect() as conn:  # what the backup holds, read from the copy itself
                rows, referenced, revision = _describe(conn)
        finally:
            copy.dispose()
    elif engine_name == "postgresql":
        db_file = out / PG_FILE
        conninfo, env = _libpq(url)
        tools["pg_dump"] = _run(["pg_dump", "--version"], env).strip()
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                # pg_dump reads the snapshot this transaction exported, so the counts below describe
                # exactly the dump, however many writes commit meanwhile.
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                # -Fc: the custom format (compressed; pg_restore reads it).
                _run(["pg_dump", "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                      "-f", str(db_file), conninfo], env)
                rows, referenced, revision = _describe(conn)
    else:
        raise BackupError(f"backups of {engine_name} databases are not supported (SQLite and PostgreSQL are)")
    os.chmod(db_file, 0o600)

    files: dict[str, str] = {db_file.name: sha256_file(db_file)}
    store = open_store(blob_root(config))
    copied: set[str] = set()
    total = 0
    for sha in _stored_digests(store):
        rel = Path(sha[0:2]) / sha[2:4] / sha
        dst = out / BLOBS / rel
        dst.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with store.open_blob(sha) as src, open(dst, "wb") as fh:  # streamed (an S3 object's body in chunks)
            shutil.copyfileobj(src, fh, 1 << 20)
        digest = sha256_file(dst)
        if digest != sha:  # a damaged blob in the store: say so rather than back it up as if whole
            raise BackupError(f"blob {rel} does not match its name (its content hashes to {digest})")
        files[f"{BLOBS}/{rel.as_posix()}"] = digest
        copied.add(sha)
        total += dst.stat().st_size
    missing = sorted(referenced - copied)

    manifest = {
        "format": FORMAT, "app": "foia-tracker",
        "created_at": (now or datetime.now(UTC)).isoformat(),
        "engine": engine_name, "database_file": db_file.name, "revision": revision,
        "rows": rows, "blobs": {"count": len(copied), "bytes": total, "missing": missing},
        "tools": tools, "files": files,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    (out / SUMS).write_text("".join(f"{digest}  {name}\n" for name, digest in sorted(files.items())))
    for name in (MANIFEST, SUMS):
        os.chmod(out / name, 0o600)
    return Report(out, engine_name, revision, rows, len(copied), total, missing)


def _sqlite_path(url: URL) -> Path:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise BackupError("this SQLite database is not a file; there is nothing to back up or restore into")
    return Path(database)


def _sqlite_backup(url: URL, dst: Path) -> None:
    src = sqlite3.connect(_sqlite_path(url), timeout=60)
    try:
        target = sqlite3.connect(dst)
        try:
            # pages=-1: the whole database in one step, under one read transaction: a consistent snapshot,
            # while other connections keep writing (WAL) — not a copy of the file, which misses the -wal.
            src.backup(target, pages=-1)
            target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            check = target.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                raise BackupError(f"the backup copy failed SQLite's check: {check}")
        finally:
            target.close()
    finally:
        src.close()


def _sqlite_engine(path: Path) -> Engine:
    from sqlalchemy import create_engine

    return create_engine(f"sqlite:///{path}")


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text())
    except FileNotFoundError as exc:
        raise BackupError(f"{folder} has no {MANIFEST}: not a backup made by `flask foia backup`") from exc
    except json.JSONDecodeError as exc:
        raise BackupError(f"{folder}/{MANIFEST} is not valid JSON: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r} (this code reads {FORMAT})")
    return manifest


def verify(folder: Path, manifest: Mapping[str, Any]) -> list[str]:
    """Problems with the folder's files against the manifest's hashes (empty: all good)."""
    folder = Path(folder)
    problems = []
    files: Mapping[str, str] = manifest.get("files") or {}
    if manifest.get("database_file") not in files:
        problems.append("the manifest lists no database file")
    for name, digest in sorted(files.items()):
        path = folder / name
        if ".." in Path(name).parts or Path(name).is_absolute():
            problems.append(f"{name}: unsafe path in the manifest")
        elif not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(path) != digest:
            problems.append(f"{name}: SHA-256 differs from the manifest (damaged or changed)")
    return problems


def _database_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names()) - {"alembic_version"}
        if not names:
            return True
        # Tables but no rows (a fresh `flask db upgrade`) count as empty.
        return all(conn.execute(text(f'SELECT 1 FROM "{t}" LIMIT 1')).first() is None for t in sorted(names))


def restore(engine: Engine, config: Mapping[str, Any], folder: Path, *, force: bool = False) -> Report:
    """Check every hash, then restore the database and the blobs. Refuses a non-empty target unless force."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    problems = verify(folder, manifest)
    if problems:
        raise BackupError(f"the backup failed its check ({len(problems)} problem(s)), nothing restored: "
                          + "; ".join(problems[:5]))
    engine_name = engine.url.get_backend_name()
    if manifest["engine"] != engine_name:
        raise BackupError(f"this is a {manifest['engine']} backup; the configured database is {engine_name}")
    store = open_store(blob_root(config))
    stored = _stored_digests(store)
    if not force:
        if not _database_empty(engine):
            raise BackupError("the database is not empty: restore into an empty database, or pass --force to "
                              "replace its contents")
        if stored:
            raise BackupError(f"the document store {store.location} already holds {len(stored)} blob(s): restore into an "
                              "empty store, or pass --force")

    db_file = folder / manifest["database_file"]
    engine.dispose()  # no pooled connection may keep the old contents open
    if engine_name == "sqlite":
        target = _sqlite_path(engine.url)
        target.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(db_file)
        try:
            into = sqlite3.connect(target, timeout=60)
            try:
                src.backup(into, pages=-1)  # replaces the target's whole contents, in one transaction
            finally:
                into.close()
        finally:
            src.close()
    else:
        conninfo, env = _libpq(engine.url)
        args = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                "-d", conninfo, str(db_file)]
        with engine.begin() as conn:  # empty tables (or, with --force, full ones): the dump recreates them all
            for table in inspect(conn).get_table_names():
                conn.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
            # and the functions our migrations made (0022's counting triggers call them): the dump creates them
            # again, and pg_restore stops at the first that already exists. Extensions' own functions (pg_trgm)
            # stay: the dump says CREATE EXTENSION IF NOT EXISTS.
            own = conn.execute(text(
                "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = current_schema() AND NOT EXISTS "
                "(SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')")).scalars().all()
            for signature in own:
                conn.execute(text(f"DROP FUNCTION IF EXISTS {signature} CASCADE"))
        _run(args, env)
    engine.dispose()

    # Blobs: copied to a temporary name beside the final one, checked, then renamed (a crash leaves no
    # half-written blob under a real name).
    count = total = 0
    for name, digest in sorted((manifest.get("files") or {}).items()):
        if not name.startswith(BLOBS + "/"):
            continue
        rel = Path(name).relative_to(BLOBS)
        count += 1
        total += (folder / name).stat().st_size
        if not isinstance(store, BlobStore):
            # S3: uploaded from the checked file (put_stream hashes it again on the way) unless already there.
            if not store.exists(digest):
                with open(folder / name, "rb") as fh:
                    put = store.put_stream(fh, max_bytes=max(1, (folder / name).stat().st_size))
                if put.sha256 != digest or rel.name != digest:
                    raise BackupError(f"{name} changed while it was being restored")
            continue
        dst = store.root / rel
        if dst.is_file() and sha256_file(dst) == digest:
            continue
        dst.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".restore-", suffix=".part", dir=dst.parent)
        os.close(fd)
        try:
            shutil.copyfile(folder / name, tmp)
            if sha256_file(Path(tmp)) != digest:
                raise BackupError(f"{name} changed while it was being restored")
            os.chmod(tmp, 0o640)
            os.replace(tmp, dst)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    with engine.connect() as conn:
        rows, _referenced, revision = _describe(conn)
    engine.dispose()
    expected = manifest.get("rows") or {}
    differ = {t: (n, rows.get(t)) for t, n in expected.items() if rows.get(t) != n}
    if differ:
        raise BackupError(f"restored row counts differ from the backup's: {differ}")
    return Report(folder, engine_name, revision, rows, count, total)
