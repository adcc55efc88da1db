"""A refused upload never deletes a blob (review F3), and orphans are swept, not left forever (F9).

Two uploads of the same bytes at once, one accepted and one refused, used to lose the accepted document's
file: the refused upload's cleanup saw no committed row for the blob and deleted it while the other
transaction was committing. Now uploads stage their bytes in a temp file of their own and promote it when
their transaction commits; only the sweep removes blobs, after a grace period and a look at the database.
These tests run on the suite's engine (SQLite, or PostgreSQL with FOIA_TEST_DATABASE_URL)."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

import foia.documents.service as service
from foia.core.errors import ValidationError
from foia.core.paths import blob_root
from foia.documents.service import add_document, sweep_orphans
from foia.documents.storage import BlobStore
from foia.extensions import db
from foia.models import Communication, Document, Request
from tests.conftest import NOW, csrf_token, login

HOUR = 3600


def _age(path: Path, seconds: float) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def _temps(root: Path) -> list[Path]:
    return sorted(root.rglob(".upload-*.part")) if root.exists() else []


def _downloadable(client, session) -> tuple[int, list[str]]:
    """How many documents there are, and the names of those whose download does not return their bytes."""
    session.expire_all()
    broken = []
    docs = list(session.scalars(select(Document)))
    for doc in docs:
        resp = client.get(f"/documents/{doc.id}/download")
        if resp.status_code != 200 or hashlib.sha256(resp.get_data()).hexdigest() != doc.sha256:
            broken.append(f"{doc.id}:{doc.filename}:{resp.status_code}")
    return len(docs), broken


# ---------------------------------------------------------------------------- the race, forced

def test_refused_upload_does_not_delete_the_blob_an_accepted_one_is_committing(ctx, world, monkeypatch):
    """The review's interleaving: the refused upload stores the bytes first, the accepted one finds them
    stored, the refusal cleans up, the accepted one commits. Its blob must be there."""
    data = b"The same bytes, uploaded twice at once.\n" * 200
    root = blob_root(ctx.config)
    req_id = world["requests"][("staff", "private")].id
    b_stored, a_flushed = threading.Event(), threading.Event()
    real_check = service.check_declared

    def check(path, name):
        if name == "report.pdf":  # the refused one: stored, then waits for the accepted one to find it
            b_stored.set()
            assert a_flushed.wait(20)
        return real_check(path, name)

    monkeypatch.setattr(service, "check_declared", check)
    results: dict[str, object] = {}

    def upload(name: str) -> None:
        with ctx.app_context():
            try:
                if name == "report.txt":
                    assert b_stored.wait(20)
                req = db.session.get_one(Request, req_id)
                try:
                    doc = add_document(db.session(), actor=None, now=NOW, req=req, stream=io.BytesIO(data),
                                       filename=name, storage_root=root, max_bytes=1 << 20)
                except ValidationError as exc:
                    db.session.rollback()
                    results[name] = exc
                    return
                finally:
                    if name == "report.txt":
                        a_flushed.set()
                time.sleep(0.3)  # the refusal's cleanup runs meanwhile
                db.session.commit()
                results[name] = doc.id
            except BaseException as exc:
                results[name] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=upload, args=(n,)) for n in ("report.pdf", "report.txt")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert isinstance(results["report.pdf"], ValidationError)
    assert isinstance(results["report.txt"], int), results
    with ctx.app_context():
        doc = db.session.get_one(Document, results["report.txt"])
        with BlobStore(root).open_blob(doc.sha256) as fh:
            assert fh.read() == data
    assert _temps(Path(root)) == []


@pytest.mark.parametrize("rounds", [12])
def test_mixed_same_bytes_uploads_through_the_web_keep_every_accepted_blob(ctx, world, rounds):
    """The review's 3b mixed, with real threads through the web route: the same bytes as report.txt (valid)
    and report.pdf (refused: not a PDF), released together. Every accepted document downloads."""
    ref = world["requests"][("staff", "private")].ref
    emails = [world["users"]["staff"].email, world["users"]["admin"].email]
    clients = [ctx.test_client(), ctx.test_client()]
    tokens: list[str] = []

    def sign_in(i: int) -> None:  # in a thread of its own: the test's app context (and its g) stays out
        assert login(clients[i], emails[i]).status_code == 302
        tokens.append(csrf_token(clients[i], f"/requests/{ref}/documents/new"))

    for i in range(2):
        t = threading.Thread(target=sign_in, args=(i,))
        t.start()
        t.join(30)
    assert len(tokens) == 2
    statuses: list[int] = []
    lock = threading.Lock()

    def post(i: int, data: bytes, name: str, barrier: threading.Barrier) -> None:
        barrier.wait()
        resp = clients[i].post(f"/requests/{ref}/documents/new", content_type="multipart/form-data",
                               data={"csrf_token": tokens[i], "files": [(io.BytesIO(data), name)]})
        with lock:
            statuses.append(resp.status_code)

    for n in range(rounds):
        data = f"round {n}: the same bytes under two names\n".encode() * 20_000
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=post, args=(0, data, "report.txt", barrier)),
                   threading.Thread(target=post, args=(1, data, "report.pdf", barrier))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert sorted(set(statuses)) == [303, 400], statuses
    assert statuses.count(303) == rounds
    found: list[tuple[int, list[str]]] = []

    def check() -> None:
        with ctx.app_context():
            found.append(_downloadable(clients[0], db.session))
            db.session.remove()

    t = threading.Thread(target=check)
    t.start()
    t.join(60)
    [(total, broken)] = found
    assert total == rounds and broken == []
    assert _temps(Path(blob_root(ctx.config))) == []


# ---------------------------------------------------------------------------- the sweep

def _store_orphan(root: str, data: bytes, age: float) -> Path:
    blob = BlobStore(root).put_stream(io.BytesIO(data), max_bytes=1 << 20)
    _age(blob.path, age)
    return blob.path


def test_sweep_removes_old_orphans_and_temps_and_keeps_everything_else(ctx, world, session):
    root = blob_root(ctx.config)
    req = world["requests"][("staff", "private")]
    kept = add_document(session, actor=None, now=NOW, req=req, stream=io.BytesIO(b"a document\n"),
                        filename="kept.txt", storage_root=root, max_bytes=1000)
    removed = add_document(session, actor=None, now=NOW, req=req, stream=io.BytesIO(b"removed, kept as evidence\n"),
                           filename="removed.txt", storage_root=root, max_bytes=1000)
    removed.removed_at = NOW
    raw = _store_orphan(root, b"From: a@b.example\n\nraw mail\n", 0)
    session.add(Communication(request_id=req.id, organization_id=req.organization_id, direction="incoming",
                              kind="note", occurred_on=NOW.date(), subject="Mail", raw_sha256=raw.name,
                              created_at=NOW))
    session.commit()
    for path in Path(root).rglob("*"):
        if path.is_file():
            _age(path, 2 * HOUR)
    old_orphan = _store_orphan(root, b"an orphan from a killed upload\n", 2 * HOUR)
    new_orphan = _store_orphan(root, b"an upload still committing\n", 60)
    old_temp = Path(root) / ".upload-killed.part"
    old_temp.write_bytes(b"half an upload")
    _age(old_temp, 2 * HOUR)
    new_temp = Path(root) / ".upload-writing.part"
    new_temp.write_bytes(b"an upload being written")

    result = sweep_orphans(session, root, grace_seconds=HOUR)

    assert (result.blobs_removed, result.temps_removed) == (1, 1)
    assert not old_orphan.exists() and not old_temp.exists()
    assert new_orphan.exists() and new_temp.exists()
    store = BlobStore(root)
    for sha in (kept.sha256, removed.sha256, raw.name):
        assert store.exists(sha)
    assert result.kept_referenced == 3 and result.kept_recent == 1
    assert sorted(p.name for p in Path(root).iterdir() if p.is_file()) == [".upload-writing.part"]


def test_every_table_naming_a_blob_protects_it():
    """Sent mail (deliveries) and letter PDFs live in the same store: the sweep asks every *sha256 column."""
    names = {f"{c.table.name}.{c.name}" for c in service._sha_columns()}
    assert {"documents.sha256", "communications.raw_sha256", "unmatched_mail.raw_sha256", "deliveries.raw_sha256",
            "letter_versions.pdf_sha256"} <= names


def test_sweep_keeps_a_blob_an_upload_dedupes_onto_while_it_looks(ctx, session):
    """An old orphan that an upload of the same bytes finds while the sweep is deciding stays: the upload
    refreshes its mtime, and the sweep looks again after moving it aside."""
    root = blob_root(ctx.config)
    data = b"old orphan, uploaded again\n"
    path = _store_orphan(root, data, 2 * HOUR)
    store = BlobStore(root)
    calls = []

    def unreferenced(shas):
        calls.append(list(shas))
        if len(calls) == 1:  # between the sweep's first look and its move, the same bytes arrive
            staged = store.put_stream(io.BytesIO(data), max_bytes=1000, stage=True)
            assert staged.deduplicated
            store.promote(staged)
        return set(shas)

    result = store.sweep(unreferenced, grace_seconds=HOUR)
    assert result.blobs_removed == 0 and path.read_bytes() == data
    assert _temps(Path(root)) == []


def test_an_upload_finding_its_blob_moved_aside_promotes_its_own_copy(ctx):
    root = blob_root(ctx.config)
    data = b"moved aside by a sweep\n"
    path = _store_orphan(root, data, 2 * HOUR)
    store = BlobStore(root)
    staged = store.put_stream(io.BytesIO(data), max_bytes=1000, stage=True)
    os.replace(path, Path(root) / f".sweep-{path.name}")  # the sweep's move, just before promotion
    store.promote(staged)
    assert path.read_bytes() == data
    # a sweep killed after its move puts the blob back on its next pass (and keeps it: it is recent now)
    (Path(root) / f".sweep-{path.name}").unlink()
    _store_orphan(root, b"x" * 10, 0)
    os.replace(path, Path(root) / f".sweep-{path.name}")
    store.sweep(lambda shas: set(), grace_seconds=HOUR)
    assert path.read_bytes() == data


def test_the_scheduler_job_and_the_cli_sweep(ctx, cli):
    from foia.scheduler import sweep_storage

    root = blob_root(ctx.config)
    first = _store_orphan(root, b"first orphan\n", 2 * HOUR)
    sweep_storage(ctx)
    assert not first.exists()
    second = _store_orphan(root, b"second orphan\n", 120)
    out = cli.invoke(args=["foia", "documents", "sweep"])
    assert out.exit_code == 0 and "Removed 0 orphan blob(s)" in out.output and second.exists()
    out = cli.invoke(args=["foia", "documents", "sweep", "--grace", "60"])
    assert out.exit_code == 0 and "Removed 1 orphan blob(s)" in out.output and not second.exists()


def test_refused_upload_leaves_no_temp_and_keeps_the_stored_blob(ctx, session, world):
    root = blob_root(ctx.config)
    req = world["requests"][("staff", "private")]
    html = b"<!doctype html><html><body>page</body></html>"
    doc = add_document(session, actor=None, now=NOW, req=req, stream=io.BytesIO(html), filename="page.html",
                       storage_root=root, max_bytes=1000)
    with pytest.raises(ValidationError):
        add_document(session, actor=None, now=NOW, req=req, stream=io.BytesIO(html), filename="page.pdf",
                     storage_root=root, max_bytes=1000)
    session.commit()
    assert BlobStore(root).exists(doc.sha256)
    assert _temps(Path(root)) == []
