"""The app with FOIA_STORAGE_URL=s3://bucket/prefix against moto's standalone S3 server: upload through the
web form, the object under the prefix, an attachment-only download of the same bytes, the extraction job
reading the text, an unreachable or broken store (a clear 503, nothing half-written), the evidence bundle,
and backup → restore into another bucket. Runs on the suite's engine (SQLite, or PostgreSQL)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import weasyprint
from sqlalchemy import func, select

from foia.core.clock import utcnow
from foia.core.paths import blob_root
from foia.extensions import db
from foia.models import Document, SearchEntry
from tests.conftest import csrf_token
from tests.ops.test_ops_backup import target  # noqa: F401  (the fixture: an empty database to restore into)

PREFIX = "city/foia"


def _set_s3(app, bucket: str, endpoint: str) -> dict:
    saved = {k: app.config.get(k) for k in ("FOIA_STORAGE_URL", "FOIA_S3_ENDPOINT_URL")}
    app.config["FOIA_STORAGE_URL"] = f"s3://{bucket}/{PREFIX}"
    app.config["FOIA_S3_ENDPOINT_URL"] = endpoint
    return saved


@pytest.fixture
def s3_app(ctx, s3_server, s3_bucket):
    saved = _set_s3(ctx, s3_bucket, s3_server.endpoint_url)
    yield ctx
    ctx.config.update(saved)


def _keys(s3_server, bucket: str) -> list[str]:
    return sorted(o["Key"] for o in s3_server.client().list_objects_v2(Bucket=bucket).get("Contents", []))


def _local_files(app) -> list[Path]:
    return [p for p in Path(app.config["FOIA_STORAGE_DIR"]).rglob("*") if p.is_file()]


def _upload(client, ref: str, content: bytes, name: str):
    token = csrf_token(client, f"/requests/{ref}/documents/new")
    return client.post(f"/requests/{ref}/documents/new", content_type="multipart/form-data",
                       data={"csrf_token": token, "files": [(io.BytesIO(content), name)]})


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return weasyprint.HTML(string="<p>Detainees were moved to Adelanto in March</p>").write_pdf()


def test_upload_download_and_extract_with_s3(s3_app, s3_server, s3_bucket, login_as, world, session, pdf):
    from tests.conftest import extract_queued

    assert blob_root(s3_app.config).startswith(f"s3://{s3_bucket}/{PREFIX}?")
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    resp = _upload(client, req.ref, pdf, "release.pdf")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    doc = session.scalar(select(Document).where(Document.request_id == req.id))
    assert doc.mime == "application/pdf" and doc.size == len(pdf)
    sha = doc.sha256
    assert _keys(s3_server, s3_bucket) == [f"{PREFIX}/{sha[:2]}/{sha[2:4]}/{sha}"]
    body = s3_server.client().get_object(Bucket=s3_bucket, Key=f"{PREFIX}/{sha[:2]}/{sha[2:4]}/{sha}")["Body"]
    assert body.read() == pdf
    assert _local_files(s3_app) == []  # the staged file was uploaded, then removed; nothing kept locally

    down = client.get(f"/documents/{doc.id}/download")
    assert down.status_code == 200
    assert down.headers["Content-Disposition"].startswith("attachment;") and "release.pdf" in down.headers[
        "Content-Disposition"]
    assert down.headers["X-Content-Type-Options"] == "nosniff"
    assert down.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "Location" not in down.headers  # streamed through the app, never a redirect to the bucket
    assert down.get_data() == pdf

    # An outsider cannot download it (the access check comes before the store is asked).
    client.post("/logout", data={"csrf_token": csrf_token(client, "/requests")})
    assert login_as("outsider").get(f"/documents/{doc.id}/download").status_code == 404

    # The extraction job gets a local copy from the bucket and indexes the text.
    result = extract_queued(s3_app, session)
    assert result.done == 1 and result.failed == 0
    doc = session.get(Document, doc.id)
    assert doc.text_status == "done" and doc.pages == 1
    entry = session.scalar(select(SearchEntry).where(SearchEntry.source_type == "document",
                                                     SearchEntry.source_id == doc.id))
    assert "Adelanto" in entry.body
    assert _local_files(s3_app) == []  # the local copy is gone too

    # The evidence bundle holds the document, read from the bucket.
    from foia.mailroom.export import build_bundle

    out = Path(s3_app.config["FOIA_OUTBOX_DIR"]) / "bundle.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    from datetime import UTC, datetime

    from foia.core.paths import letter_cache_dir

    build_bundle(session, req, out_path=out, storage_root=blob_root(s3_app.config),
                 letter_cache=letter_cache_dir(s3_app.config), mail_from="foia@example.org", now=datetime.now(UTC))
    with zipfile.ZipFile(out) as zf:
        assert zf.read(f"documents/{doc.id}-release.pdf") == pdf


def test_s3_down_on_upload_and_download_says_so_and_writes_nothing(s3_app, s3_server, s3_bucket, login_as, world,
                                                                   session, pdf):
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    assert _upload(client, req.ref, pdf, "kept.pdf").status_code == 303
    doc_id = session.scalar(select(Document.id))
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    s3_app.config["FOIA_S3_ENDPOINT_URL"] = dead

    resp = _upload(client, req.ref, b"new notes about the jail\n", "notes.txt")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 503 and "Document storage is unavailable" in page and "Nothing was saved" in page
    down = client.get(f"/documents/{doc_id}/download")
    assert down.status_code == 503 and "Document storage is unavailable" in down.get_data(as_text=True)
    assert down.headers["Retry-After"] == "60"
    from foia.api.tokens import create_token

    token = create_token(session, actor=world["users"]["staff"], owner=world["users"]["staff"], name="t",
                         now=utcnow()).token
    session.commit()
    api = s3_app.test_client().get(f"/api/v1/documents/{doc_id}/download", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 503 and "Document storage is unavailable" in api.get_json()["message"]
    session.expire_all()
    assert session.scalar(select(func.count(Document.id))) == 1  # no row without its blob
    assert _local_files(s3_app) == []  # and no staged file left behind

    # Reachable, but the upload itself fails at promotion (commit time): the bucket is gone.
    s3_app.config["FOIA_S3_ENDPOINT_URL"] = s3_server.endpoint_url
    s3_app.config["FOIA_STORAGE_URL"] = f"s3://{s3_bucket}-missing/{PREFIX}"
    resp = _upload(client, req.ref, b"more notes\n", "more.txt")
    assert resp.status_code == 503 and "Document storage is unavailable" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count(Document.id))) == 1
    assert _local_files(s3_app) == []


def test_backup_and_restore_with_s3(s3_app, s3_server, s3_bucket, cli, session, world, target, tmp_path):  # noqa: F811
    from datetime import UTC, datetime

    from foia.documents.service import add_document

    req = world["requests"][("staff", "private")]
    contents = [f"document {i} for the backup\n".encode() * 40 for i in range(4)]
    for i, content in enumerate(contents):
        add_document(session, actor=world["users"]["staff"], now=datetime.now(UTC), req=req,
                     stream=io.BytesIO(content), filename=f"d{i}.txt", storage_root=blob_root(s3_app.config),
                     max_bytes=1 << 20)
    session.commit()
    out = tmp_path / "backup"
    result = cli.invoke(args=["foia", "backup", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["blobs"]["count"] == 4 and manifest["blobs"]["missing"] == []
    assert sorted(p.read_bytes() for p in (out / "blobs").rglob("*") if p.is_file()) == sorted(contents)

    other = f"{s3_bucket}-restored"
    s3_server.client().create_bucket(Bucket=other)
    _set_s3(target, other, s3_server.endpoint_url)
    with target.app_context():
        restored = target.test_cli_runner().invoke(args=["foia", "restore", str(out)], catch_exceptions=False)
        assert restored.exit_code == 0, restored.output
        shas = sorted(db.session.scalars(select(Document.sha256)))
        db.session.remove()
        db.engine.dispose()
    assert len(shas) == 4
    assert _keys(s3_server, other) == sorted(f"{PREFIX}/{s[:2]}/{s[2:4]}/{s}" for s in shas)
    client = s3_server.client()
    assert sorted(client.get_object(Bucket=other, Key=k)["Body"].read() for k in _keys(s3_server, other)) == sorted(
        contents)
    # Restoring again into a store that holds blobs is refused without --force.
    with target.app_context():
        again = target.test_cli_runner().invoke(args=["foia", "restore", str(out)])
        db.engine.dispose()
    assert again.exit_code == 1 and "not empty" in again.output


def test_orphan_sweep_on_s3_asks_the_database(s3_app, s3_server, s3_bucket, session, world):
    import time
    from datetime import UTC, datetime

    from foia.documents.service import add_document, sweep_orphans
    from foia.documents.stores import open_store

    store = open_store(blob_root(s3_app.config))
    doc = add_document(session, actor=world["users"]["staff"], now=datetime.now(UTC),
                       req=world["requests"][("staff", "private")], stream=io.BytesIO(b"kept: a row names it\n"),
                       filename="kept.txt", storage_root=store, max_bytes=1 << 20)
    session.commit()
    orphan = store.put_stream(io.BytesIO(b"no row names this one\n"), max_bytes=1 << 20)  # e.g. a rolled-back upload
    time.sleep(1.1)  # LastModified has one-second resolution
    recent = sweep_orphans(session, blob_root(s3_app.config), grace_seconds=3600)
    assert recent.blobs_removed == 0 and recent.kept_recent == 2
    result = sweep_orphans(session, blob_root(s3_app.config), grace_seconds=1)
    assert (result.blobs_removed, result.kept_referenced) == (1, 1)
    assert _keys(s3_server, s3_bucket) == [store.key_for(doc.sha256)]
    assert not store.exists(orphan.sha256)
