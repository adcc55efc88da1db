"""Both blob stores against one contract: the filesystem (BlobStore) and S3 (S3BlobStore on moto's standalone
server over HTTP). put / stage / promote / discard / dedup / size cap / sweep / open / local copies, and what
an unreachable S3 does."""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from foia.documents.storage import BlobStore, StorageUnavailable, UploadRejected
from foia.documents.storage_s3 import S3BlobStore, parse_s3_locator
from foia.documents.stores import open_store

PREFIX = "tenant-a/docs"


@dataclass
class Backend:
    name: str
    store: Any
    bucket: str | None = None
    client: Any = None

    def stored(self) -> set[str]:
        """Digests of the blobs in the store, read from the store's own listing (files / objects)."""
        if self.name == "fs":
            return {p.name for p in self.store.root.rglob("*") if p.is_file() and len(p.name) == 64}
        keys = [o["Key"] for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
                for o in page.get("Contents", [])]
        assert all(k.startswith(PREFIX + "/") for k in keys), keys  # nothing outside the prefix
        return {k.rsplit("/", 1)[-1] for k in keys if "/.sweep/" not in k}

    def temps(self) -> list[str]:
        """Local temp files (staged uploads, downloads) left in the folder the store writes them to."""
        return sorted(p.name for p in self.store.root.rglob("*") if p.is_file() and p.name.startswith("."))


@pytest.fixture(params=["fs", "s3"])
def backend(request, tmp_path: Path) -> Backend:
    if request.param == "fs":
        return Backend("fs", BlobStore(tmp_path / "blobs"))
    server = request.getfixturevalue("s3_server")
    bucket = request.getfixturevalue("s3_bucket")
    store = S3BlobStore(bucket, PREFIX, staging_dir=tmp_path / "staging", endpoint_url=server.endpoint_url)
    return Backend("s3", store, bucket, server.client())


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.largest_read = 0
        self.total_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.largest_read = max(self.largest_read, len(chunk))
        self.total_read += len(chunk)
        return chunk


def test_put_open_and_local_copy_round_trip(backend: Backend) -> None:
    data = os.urandom(300_000)
    digest = hashlib.sha256(data).hexdigest()
    stream = CountingStream(data)
    blob = backend.store.put_stream(stream, max_bytes=1 << 20, chunk_size=4096)
    assert (blob.sha256, blob.size, blob.deduplicated, blob.staged) == (digest, len(data), False, False)
    assert stream.largest_read == 4096  # read chunk by chunk, never whole
    assert backend.stored() == {digest} and backend.store.exists(digest)
    with backend.store.open_blob(digest) as fh:
        assert fh.read() == data
    with backend.store.local_copy(digest) as path:
        assert Path(path).read_bytes() == data
    assert backend.temps() == []  # the upload's temp file and the local copy are gone
    if backend.name == "s3":
        head = backend.client.head_object(Bucket=backend.bucket, Key=f"{PREFIX}/{digest[:2]}/{digest[2:4]}/{digest}")
        assert head["ContentLength"] == len(data) and head["ContentType"] == "application/octet-stream"


def test_large_upload_goes_through_multipart(backend: Backend) -> None:
    data = os.urandom(9 << 20)  # above the 8 MB multipart threshold
    blob = backend.store.put_stream(io.BytesIO(data), max_bytes=10 << 20)
    with backend.store.open_blob(blob.sha256) as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == blob.sha256 == hashlib.sha256(data).hexdigest()
    if backend.name == "s3":
        head = backend.client.head_object(Bucket=backend.bucket, Key=backend.store.key_for(blob.sha256))
        assert head["ETag"].strip('"').endswith("-2")  # two parts: a multipart upload


def test_same_content_is_stored_once(backend: Backend) -> None:
    first = backend.store.put_stream(io.BytesIO(b"release letter"), max_bytes=100)
    second = backend.store.put_stream(io.BytesIO(b"release letter"), max_bytes=100)
    assert (first.deduplicated, second.deduplicated) == (False, True)
    assert first.sha256 == second.sha256 and backend.stored() == {first.sha256}


def test_size_cap_and_empty_leave_nothing(backend: Backend) -> None:
    stream = CountingStream(b"x" * 10_000)
    with pytest.raises(UploadRejected, match="larger than the 1000 bytes limit"):
        backend.store.put_stream(stream, max_bytes=1000, chunk_size=256)
    assert stream.total_read == 1001  # stopped one byte past the limit
    with pytest.raises(UploadRejected, match="empty"):
        backend.store.put_stream(io.BytesIO(b""), max_bytes=1000)
    with pytest.raises(UploadRejected):
        backend.store.put_stream(io.BytesIO(b"y" * 2000), max_bytes=1000, stage=True)
    assert backend.stored() == set() and backend.temps() == []


def test_stage_then_promote_then_confirm(backend: Backend) -> None:
    staged = backend.store.put_stream(io.BytesIO(b"responsive records"), max_bytes=100, stage=True)
    assert staged.staged and staged.path.read_bytes() == b"responsive records"  # checkable locally
    assert not backend.store.exists(staged.sha256) and backend.stored() == set()  # not in the store yet
    promoted = backend.store.promote(staged)
    assert not promoted.staged and promoted.deduplicated is False
    backend.store.confirm(promoted)
    assert backend.stored() == {staged.sha256} and backend.temps() == []
    with backend.store.open_blob(staged.sha256) as fh:
        assert fh.read() == b"responsive records"
    again = backend.store.put_stream(io.BytesIO(b"responsive records"), max_bytes=100, stage=True)
    assert again.deduplicated is True
    backend.store.confirm(backend.store.promote(again))
    assert backend.stored() == {staged.sha256} and backend.temps() == []


def test_stage_then_discard_leaves_nothing_and_never_touches_a_stored_blob(backend: Backend) -> None:
    kept = backend.store.put_stream(io.BytesIO(b"same bytes"), max_bytes=100)
    staged = backend.store.put_stream(io.BytesIO(b"same bytes"), max_bytes=100, stage=True)
    other = backend.store.put_stream(io.BytesIO(b"refused bytes"), max_bytes=100, stage=True)
    backend.store.discard(staged)
    backend.store.discard(other)
    assert backend.stored() == {kept.sha256} and backend.temps() == []


def test_digest_is_the_only_name(backend: Backend) -> None:
    for bad in ("../../etc/passwd", "A" * 64, "a" * 63, f"{'a' * 64}/../x", "a" * 64 + "\n"):
        with pytest.raises(ValueError):
            backend.store.open_blob(bad)
        with pytest.raises(ValueError):
            backend.store.exists(bad)
        with pytest.raises(ValueError), backend.store.local_copy(bad):
            pass
    missing = "0" * 64
    with pytest.raises(FileNotFoundError):
        backend.store.open_blob(missing)
    with pytest.raises(FileNotFoundError), backend.store.local_copy(missing):
        pass
    assert backend.temps() == []


def test_sweep_removes_old_orphans_only(backend: Backend) -> None:
    keep = backend.store.put_stream(io.BytesIO(b"referenced"), max_bytes=100)
    orphan = backend.store.put_stream(io.BytesIO(b"orphan"), max_bytes=100)
    killed = backend.store.put_stream(io.BytesIO(b"killed upload"), max_bytes=100, stage=True)  # never promoted
    asked: list[list[str]] = []

    def unreferenced(shas: Iterable[str]) -> set[str]:
        batch = sorted(shas)
        asked.append(batch)
        return set(batch) - {keep.sha256}

    # Within the grace period nothing goes.
    recent = backend.store.sweep(unreferenced, grace_seconds=3600)
    assert (recent.blobs_removed, recent.temps_removed, recent.kept_recent) == (0, 0, 2)
    assert backend.stored() == {keep.sha256, orphan.sha256} and killed.path.exists()
    # An hour later the orphan and the killed upload's temp file go; the referenced blob stays.
    later = backend.store.sweep(unreferenced, grace_seconds=3600, now=time.time() + 3700)
    assert (later.blobs_removed, later.temps_removed, later.kept_referenced) == (1, 1, 1)
    assert later.bytes_freed == len(b"orphan") + len(b"killed upload")
    assert backend.stored() == {keep.sha256} and not killed.path.exists()
    assert asked[-2:] == [sorted([keep.sha256, orphan.sha256]), [orphan.sha256]]  # asked again before removing


def test_sweep_puts_back_a_blob_a_row_came_to_reference(backend: Backend) -> None:
    blob = backend.store.put_stream(io.BytesIO(b"committed meanwhile"), max_bytes=100)
    answers = iter([{blob.sha256}, set()])  # orphan at the first look, referenced at the second

    def unreferenced(shas: Iterable[str]) -> set[str]:
        return next(answers) & set(shas)

    result = backend.store.sweep(unreferenced, grace_seconds=60, now=time.time() + 120)
    assert result.blobs_removed == 0
    assert backend.stored() == {blob.sha256}
    with backend.store.open_blob(blob.sha256) as fh:
        assert fh.read() == b"committed meanwhile"


def test_s3_confirm_uploads_again_an_object_the_sweep_removed(s3_server, s3_bucket, tmp_path: Path) -> None:
    store = S3BlobStore(s3_bucket, PREFIX, staging_dir=tmp_path, endpoint_url=s3_server.endpoint_url)
    old = store.put_stream(io.BytesIO(b"old orphan"), max_bytes=100)
    staged = store.put_stream(io.BytesIO(b"old orphan"), max_bytes=100, stage=True)
    promoted = store.promote(staged)
    assert promoted.deduplicated  # relied on the existing object ...
    later = time.time() + 120
    os.utime(promoted.path, (later, later))  # the staged file is as young as its upload; the object is old
    result = store.sweep(lambda shas: set(shas), grace_seconds=60, now=later)
    assert result.blobs_removed == 1 and not store.exists(old.sha256)  # ... which a sweep then removed
    store.confirm(promoted)  # the row committed: the object comes back from the staged file
    with store.open_blob(old.sha256) as fh:
        assert fh.read() == b"old orphan"
    assert not promoted.path.exists()


def test_s3_sweep_restores_what_a_killed_sweep_set_aside(s3_server, s3_bucket, tmp_path: Path) -> None:
    store = S3BlobStore(s3_bucket, PREFIX, staging_dir=tmp_path, endpoint_url=s3_server.endpoint_url)
    blob = store.put_stream(io.BytesIO(b"set aside"), max_bytes=100)
    client = s3_server.client()
    client.copy_object(Bucket=s3_bucket, Key=f"{PREFIX}/.sweep/{blob.sha256}",
                       CopySource={"Bucket": s3_bucket, "Key": store.key_for(blob.sha256)})
    client.delete_object(Bucket=s3_bucket, Key=store.key_for(blob.sha256))
    store.sweep(lambda shas: set(), grace_seconds=3600)
    assert store.exists(blob.sha256)
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert keys == [store.key_for(blob.sha256)]


def test_s3_unreachable_raises_storage_unavailable_and_leaves_no_temp(tmp_path: Path, s3_server) -> None:
    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"  # nothing listens once the socket closes
    store = S3BlobStore("nowhere", PREFIX, staging_dir=tmp_path, endpoint_url=dead)
    with pytest.raises(StorageUnavailable):
        store.put_stream(io.BytesIO(b"bytes"), max_bytes=100, stage=True)
    with pytest.raises(StorageUnavailable):
        store.put_stream(io.BytesIO(b"bytes"), max_bytes=100)
    with pytest.raises(StorageUnavailable):
        store.open_blob("a" * 64)
    with pytest.raises(StorageUnavailable), store.local_copy("a" * 64):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_open_store_picks_the_backend_from_the_location(tmp_path: Path, s3_server, s3_bucket) -> None:
    assert isinstance(open_store(tmp_path / "blobs"), BlobStore)
    locator = f"s3://{s3_bucket}/{PREFIX}?staging_dir={tmp_path / 'staging'}&endpoint_url={s3_server.endpoint_url}"
    assert parse_s3_locator(locator) == {"bucket": s3_bucket, "prefix": PREFIX, "staging_dir": str(tmp_path / "staging"),
                                         "endpoint_url": s3_server.endpoint_url}
    store = open_store(locator)
    assert isinstance(store, S3BlobStore) and store is open_store(locator)  # one client per process
    assert store.location == f"s3://{s3_bucket}/{PREFIX}/"
    with pytest.raises(ValueError):
        parse_s3_locator("s3:///no-bucket")


def test_config_builds_the_locator_and_refuses_a_bad_url(tmp_path: Path) -> None:
    from foia.config import load_config
    from foia.core.paths import blob_root

    env = {"FOIA_STORAGE_DIR": str(tmp_path / "storage"), "FOIA_SECRET_KEY": "x"}
    assert blob_root(load_config(str(tmp_path), env)) == str(tmp_path / "storage" / "blobs")
    config = load_config(str(tmp_path), {**env, "FOIA_STORAGE_URL": "s3://records/city/foia",
                                         "FOIA_S3_ENDPOINT_URL": "https://s3.example.org"})
    assert parse_s3_locator(blob_root(config)) == {
        "bucket": "records", "prefix": "city/foia", "endpoint_url": "https://s3.example.org",
        "staging_dir": str(tmp_path / "storage" / "blobs")}
    for bad in ("s3://", "https://bucket/prefix", "/srv/blobs"):
        with pytest.raises(ValueError, match="FOIA_STORAGE_URL"):
            load_config(str(tmp_path), {**env, "FOIA_STORAGE_URL": bad})
