"""Fault script for storage and transactions (issue 17: F3, F6, F9, M6): not a timed test.

    .venv/bin/python bench/fault_storage.py [--database-url URL] [--code DIR] [--rounds 20] [--only NAME,...]

``--code DIR`` runs the scenarios against another checkout's ``foia`` package (``--code /work/main`` gives the
"before" figures with this script). Without ``--database-url`` each scenario gets a fresh SQLite file; with a
PostgreSQL URL the scenario wipes that database's ``public`` schema first (give it a database of its own).

Scenarios (each prints one line of figures):

mixed     Review 3b mixed (F3): ``--rounds`` times, two processes upload the same 1 MB at the same moment,
          one as report.txt (valid) and one as report.pdf (refused: not a PDF). due = rounds (one accepted
          document each); delivered = accepted (303); unique = distinct accepted documents; duplicated =
          accepted beyond one per round; lost = accepted documents whose download is not their bytes.
multifile Review 4a (F6): a three-file upload whose third file fails (ENOSPC injected into the blob store),
          ``--rounds`` times. The page says nothing was saved: due = 0 documents; "saved" = documents
          committed anyway; orphans = blobs and temp files left with no row; after the sweep (grace 0).
eml10k    Security review M6: import a 1.5 MB .eml with 10,000 attachments, matched to the request by its
          reference, in a child process killed at 30 s
          (the web worker timeout): seconds, outcome, rows and blobs left.
header    Security review L7: import an .eml whose Subject is folded over 800 KB (200,000 lines), same budget.
begin     SQLite only: 4 threads x 50 read-then-insert transactions under each way of beginning a transaction
          (pysqlite's own, the recipe's BEGIN at the first statement, BEGIN IMMEDIATE at the first write):
          how many fail with "database is locked".
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
WORKER_TIMEOUT = 30.0


def _use_code(code: str) -> None:
    sys.path.insert(0, code)


def _app(code: str, url: str, storage: str):
    import logging

    logging.disable(logging.CRITICAL)  # the injected faults' tracebacks are expected
    _use_code(code)
    from foia.factory import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "FOIA_STORAGE_DIR": storage,
                       "FOIA_OUTBOX_DIR": os.path.join(storage, "outbox"), "FOIA_DEMO": False,
                       "INSTANCE_PATH": os.path.join(storage, "instance"), "WTF_CSRF_ENABLED": False,
                       "RATELIMIT_ENABLED": False, "FOIA_REQUIRE_2FA_ROLES": ()})


def _setup(code: str, url: str, storage: str, out: mp.Queue) -> None:
    """Fresh schema, one organization, a clerk and an admin, one request. Puts the request's reference."""
    from datetime import UTC, datetime

    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = _app(code, url, storage)
    from flask_migrate import upgrade

    from foia.accounts.service import create_user, get_or_create_organization
    from foia.demo import upsert_agencies
    from foia.extensions import db
    from foia.requests.service import RequestInput, create_request

    now = datetime.now(UTC)
    with app.app_context():
        upgrade()
        s = db.session()
        city = get_or_create_organization(s, "City", now=now)
        upsert_agencies(s, now)
        clerk = create_user(s, email="clerk@city.example", name="Clerk", role="staff", organization=city,
                            password=PASSWORD, now=now)
        create_user(s, email="admin@city.example", name="Admin", role="admin", organization=city,
                    password=PASSWORD, now=now)
        req = create_request(s, actor=clerk, now=now, data=RequestInput(
            title="Bench request", records_sought="All records about the bench.", agency_slug="dhs-ice"))
        s.commit()
        out.put(req.ref)
        db.engine.dispose()


def _uploader(code: str, url: str, storage: str, email: str, ref: str, name: str, rounds: int,
              barrier, out: mp.Queue) -> None:
    app = _app(code, url, storage)
    import io

    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    statuses = []
    for n in range(rounds):
        data = f"round {n}: the same bytes under two names\n".encode() * 24_000  # ~1 MB
        barrier.wait()
        resp = client.post(f"/requests/{ref}/documents/new", content_type="multipart/form-data",
                           data={"files": [(io.BytesIO(data), name)]})
        statuses.append(resp.status_code)
    out.put((name, statuses))


def _audit_documents(code: str, url: str, storage: str, out: mp.Queue) -> None:
    """Every document: is its blob there with its bytes? Also blob and temp files with no row."""
    app = _app(code, url, storage)
    from sqlalchemy import select

    from foia.extensions import db
    from foia.models import Document

    root = Path(storage) / "blobs"
    with app.app_context():
        docs = list(db.session.scalars(select(Document)))
        lost = 0
        for doc in docs:
            path = root / doc.sha256[:2] / doc.sha256[2:4] / doc.sha256
            if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != doc.sha256:
                lost += 1
        shas = {d.sha256 for d in docs}
        files = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
        orphans = sum(1 for p in files if not p.name.startswith(".") and p.name not in shas)
        temps = sum(1 for p in files if p.name.startswith("."))
        out.put({"documents": len(docs), "lost": lost, "orphans": orphans, "temps": temps,
                 "names": sorted(d.filename for d in docs)})
        db.engine.dispose()


def _run(target, *args, timeout: float | None = None):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    p.join(timeout)
    if p.is_alive():
        p.kill()
        p.join()
        return None
    try:
        return q.get(timeout=5)
    except Exception:
        return None


def _fresh(url: str | None) -> tuple[str, str, str]:
    tmp = tempfile.mkdtemp(prefix="fault-storage-")
    return (url or f"sqlite:///{tmp}/bench.sqlite3"), os.path.join(tmp, "storage"), tmp


def scenario_mixed(code: str, url: str | None, rounds: int) -> str:
    db_url, storage, tmp = _fresh(url)
    ref = _run(_setup, code, db_url, storage)
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    q = ctx.Queue()
    procs = [ctx.Process(target=_uploader, args=(code, db_url, storage, email, ref, name, rounds, barrier, q))
             for email, name in (("clerk@city.example", "report.txt"), ("admin@city.example", "report.pdf"))]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = dict(q.get(timeout=600) for _ in procs)
    for p in procs:
        p.join()
    took = time.perf_counter() - started
    audit = _run(_audit_documents, code, db_url, storage)
    shutil.rmtree(tmp, ignore_errors=True)
    ok = results["report.txt"]
    delivered = ok.count(303)
    errors = sum(1 for s in ok + results["report.pdf"] if s >= 500)
    unique = audit["documents"]
    return (f"mixed     due {rounds} / delivered {delivered} / unique {unique} / duplicated "
            f"{max(0, unique - rounds)} / lost {audit['lost']}; HTTP 500 {errors}; refused "
            f"{results['report.pdf'].count(400)}; orphan blobs {audit['orphans']}, temps {audit['temps']} ({took:.1f} s)")


def _multifile(code: str, url: str, storage: str, ref: str, rounds: int, out: mp.Queue) -> None:
    app = _app(code, url, storage)
    import errno
    import io

    import foia.documents.storage as storage_mod

    real = storage_mod.BlobStore.put_stream
    calls = [0]

    def put_stream(self, stream, **kw):  # the third file of each upload finds the disk full
        calls[0] += 1
        if calls[0] % 3 == 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, stream, **kw)

    storage_mod.BlobStore.put_stream = put_stream  # type: ignore[method-assign]
    client = app.test_client()
    assert client.post("/login", data={"email": "clerk@city.example", "password": PASSWORD}).status_code == 302
    statuses = []
    for n in range(rounds):
        files = [(io.BytesIO(f"round {n} part {i}\n".encode() * 20_000), f"part-{i}.bin") for i in range(3)]
        statuses.append(client.post(f"/requests/{ref}/documents/new", content_type="multipart/form-data",
                                    data={"files": files}).status_code)
    out.put(statuses)


def _sweep(code: str, url: str, storage: str, out: mp.Queue) -> None:
    app = _app(code, url, storage)
    try:
        from foia.documents.service import sweep_orphans
    except ImportError:
        out.put(None)
        return
    from foia.extensions import db

    with app.app_context():
        r = sweep_orphans(db.session(), os.path.join(storage, "blobs"), grace_seconds=0)
        out.put((r.blobs_removed, r.temps_removed))
        db.engine.dispose()


def scenario_multifile(code: str, url: str | None, rounds: int) -> str:
    db_url, storage, tmp = _fresh(url)
    ref = _run(_setup, code, db_url, storage)
    statuses = _run(_multifile, code, db_url, storage, ref, rounds)
    audit = _run(_audit_documents, code, db_url, storage)
    swept = _run(_sweep, code, db_url, storage)
    after = _run(_audit_documents, code, db_url, storage)
    shutil.rmtree(tmp, ignore_errors=True)
    sweep = "no sweep exists" if swept is None else (
        f"sweep removed {swept[0]} blobs + {swept[1]} temps, left {after['orphans']} + {after['temps']}")
    return (f"multifile {rounds} uploads, HTTP {sorted(set(statuses))} 'nothing was saved': due 0 documents / "
            f"saved {audit['documents']} / lost {audit['lost']}; orphan blobs {audit['orphans']}, temps "
            f"{audit['temps']}; {sweep}")


def _eml_10k(ref: str) -> bytes:
    head = (b"From: ICE FOIA <foia@ice.example>\r\nTo: clerk@city.example\r\nSubject: RE: " + ref.encode() + b"\r\n"
            b"Message-ID: <many@ice.example>\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="XyZ"\r\n\r\n--XyZ\r\nContent-Type: text/plain\r\n\r\nhi\r\n')
    parts = [b'--XyZ\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="a%d.bin"'
             b"\r\n\r\nattachment %d: %s\r\n" % (i, i, os.urandom(16).hex().encode()) for i in range(10_000)]
    return head + b"".join(parts) + b"--XyZ--\r\n"


def _eml_header() -> bytes:
    return (b"From: ICE FOIA <foia@ice.example>\r\nTo: clerk@city.example\r\nMessage-ID: <hdr@ice.example>\r\n"
            b"Subject: x\r\n" + b" a\r\n" * 200_000 + b"\r\nbody\r\n")


def _import(code: str, url: str, storage: str, data: bytes, out: mp.Queue) -> None:
    app = _app(code, url, storage)
    from sqlalchemy import select

    from foia.core.errors import ValidationError
    from foia.extensions import db
    from foia.mailroom.imports import import_eml
    from foia.models import User

    with app.app_context():
        actor = db.session.scalar(select(User).where(User.email == "clerk@city.example"))
        assert actor is not None
        started = time.perf_counter()
        try:
            result = import_eml(db.session(), actor=actor, now=__import__("datetime").datetime.now(
                __import__("datetime").UTC), data=data, storage_root=os.path.join(storage, "blobs"),
                max_bytes=200 << 20)
            outcome = f"{result.status} ({result.attachments} attachments)"
        except ValidationError as exc:
            outcome = "refused: " + " ".join(exc.errors.values())[:90]
        out.put((time.perf_counter() - started, outcome))


def _counts(code: str, url: str, storage: str, out: mp.Queue) -> None:
    app = _app(code, url, storage)
    from sqlalchemy import func, select

    from foia.extensions import db
    from foia.models import Communication, Document, UnmatchedMail

    root = Path(storage) / "blobs"
    with app.app_context():
        rows = sum(db.session.scalar(select(func.count()).select_from(m)) for m in (Communication, Document,
                                                                                     UnmatchedMail))
        files = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
        out.put((rows, sum(1 for p in files if not p.name.startswith(".")), sum(1 for p in files if p.name.startswith("."))))
        db.engine.dispose()


def scenario_eml(code: str, url: str | None, which: str) -> str:
    db_url, storage, tmp = _fresh(url)
    ref = _run(_setup, code, db_url, storage)
    data = _eml_10k(ref) if which == "eml10k" else _eml_header()
    started = time.perf_counter()
    res = _run(_import, code, db_url, storage, data, timeout=WORKER_TIMEOUT + 5)  # + start-up of the child
    took = time.perf_counter() - started
    rows, blobs, temps = _run(_counts, code, db_url, storage)
    shutil.rmtree(tmp, ignore_errors=True)
    what = (f"killed at the {WORKER_TIMEOUT:.0f} s worker timeout ({took:.0f} s)" if res is None
            else f"{res[0]:.2f} s in import_eml: {res[1]}")
    return f"{which:9} {len(data) / 1024:,.0f} KB: {what}; rows {rows}, blobs left {blobs}, temps left {temps}"


def scenario_begin() -> str:
    def probe(mode: str) -> tuple[int, int]:
        tmp = tempfile.mkdtemp(prefix="fault-begin-")
        path = os.path.join(tmp, "p.db")

        def conn():
            level: Any = "" if mode == "pysqlite" else None  # "": pysqlite's own BEGIN before DML; None: ours
            c = sqlite3.connect(path, isolation_level=level, check_same_thread=False)
            c.execute("PRAGMA journal_mode=WAL")
            c.execute("PRAGMA busy_timeout=15000")
            return c

        c = conn()
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
        c.close()
        ok, failed = [0], [0]
        lock = threading.Lock()

        def worker():
            c = conn()
            for _ in range(50):
                try:
                    if mode == "recipe":
                        c.execute("BEGIN")
                    c.execute("SELECT count(*) FROM t").fetchall()
                    time.sleep(0.002)
                    if mode == "immediate":
                        c.execute("BEGIN IMMEDIATE")
                    c.execute("INSERT INTO t (v) VALUES (1)")
                    c.commit() if mode == "pysqlite" else c.execute("COMMIT")
                    with lock:
                        ok[0] += 1
                except sqlite3.OperationalError:
                    with lock:
                        failed[0] += 1
                    if c.in_transaction:
                        c.execute("ROLLBACK")
            c.close()

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        shutil.rmtree(tmp, ignore_errors=True)
        return ok[0], failed[0]

    parts = []
    for mode, label in (("pysqlite", "pysqlite's own (savepoints commit)"), ("recipe", "recipe BEGIN at first statement"),
                        ("immediate", "BEGIN IMMEDIATE at first write (ours)")):
        ok, failed = probe(mode)
        parts.append(f"{label}: {ok} ok / {failed} locked")
    return "begin     " + "; ".join(parts)


def main() -> None:
    global WORKER_TIMEOUT
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--code", default=str(ROOT), help="checkout whose foia package runs (default: this one)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--only", default="mixed,multifile,eml10k,header,begin")
    parser.add_argument("--timeout", type=float, default=WORKER_TIMEOUT,
                        help="seconds before an .eml import is killed (default: gunicorn's 30 s worker timeout)")
    args = parser.parse_args()
    WORKER_TIMEOUT = args.timeout
    url = args.database_url
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = "PostgreSQL" if url and url.startswith("postgresql") else "SQLite"
    print(f"code {args.code}, engine {engine}")
    for name in args.only.split(","):
        if name == "mixed":
            print(scenario_mixed(args.code, url, args.rounds), flush=True)
        elif name == "multifile":
            print(scenario_multifile(args.code, url, max(3, args.rounds // 2)), flush=True)
        elif name in ("eml10k", "header"):
            print(scenario_eml(args.code, url, name), flush=True)
        elif name == "begin" and engine == "SQLite":
            print(scenario_begin(), flush=True)


if __name__ == "__main__":
    main()
