"""BlobStore: content addressing, dedup, limits, cleanup on every failure path."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from pathlib import Path

import pytest

from foia.documents.storage import BlobStore, StoredBlob, UploadRejected, human_size


def tree(root: Path) -> list[str]:
    """Every file under root, relative, sorted (temp files included: they start with a dot)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


def test_round_trip_hash_path_and_mode(store: BlobStore) -> None:
    data = os.urandom(300_000)
    blob = store.put_stream(io.BytesIO(data), max_bytes=1 << 20, chunk_size=4096)
    digest = hashlib.sha256(data).hexdigest()
    assert blob == StoredBlob(sha256=digest, size=len(data), path=store.root / digest[:2] / digest[2:4] / digest,
                              deduplicated=False)
    assert store.exists(digest)
    assert store.path_for(digest) == blob.path
    with store.open_blob(digest) as fh:
        assert fh.read() == data
    mode = stat.S_IMODE(blob.path.stat().st_mode)
    assert mode == 0o640
    assert not mode & 0o111
    assert tree(store.root) == [f"{digest[:2]}/{digest[2:4]}/{digest}"]


def test_same_content_twice_is_stored_once(store: BlobStore) -> None:
    first = store.put_stream(io.BytesIO(b"release letter"), max_bytes=100)
    second = store.put_stream(io.BytesIO(b"release letter"), max_bytes=100)
    assert first.deduplicated is False
    assert second.deduplicated is True
    assert second.sha256 == first.sha256 and second.path == first.path and second.size == 14
    assert len(tree(store.root)) == 1


def test_different_content_gives_two_blobs(store: BlobStore) -> None:
    a = store.put_stream(io.BytesIO(b"one"), max_bytes=100)
    b = store.put_stream(io.BytesIO(b"two"), max_bytes=100)
    assert a.sha256 != b.sha256
    assert not b.deduplicated
    assert len(tree(store.root)) == 2


def test_empty_stream_is_rejected_and_leaves_nothing(store: BlobStore) -> None:
    with pytest.raises(UploadRejected) as err:
        store.put_stream(io.BytesIO(b""), max_bytes=100)
    assert err.value.message == "The file is empty."
    assert isinstance(err.value, ValueError)
    assert tree(store.root) == []


def test_one_byte_over_the_limit_is_rejected_and_leaves_nothing(store: BlobStore) -> None:
    with pytest.raises(UploadRejected) as err:
        store.put_stream(io.BytesIO(b"x" * 1001), max_bytes=1000, chunk_size=64)
    assert err.value.message == "The file is larger than the 1000 bytes limit."
    assert tree(store.root) == []


def test_exactly_the_limit_is_accepted(store: BlobStore) -> None:
    blob = store.put_stream(io.BytesIO(b"x" * 1000), max_bytes=1000, chunk_size=64)
    assert blob.size == 1000


def test_limit_message_is_human_readable(store: BlobStore) -> None:
    with pytest.raises(UploadRejected, match=r"^The file is larger than the 16 MB limit\.$"):
        store.put_stream(io.BytesIO(b"x" * (16 * 1024 * 1024 + 1)), max_bytes=16 * 1024 * 1024)
    assert tree(store.root) == []
    assert human_size(25 * 1024 * 1024) == "25 MB"
    assert human_size(1536) == "1.5 KB"
    assert human_size(2 << 30) == "2 GB"


class ExplodingReader(io.RawIOBase):
    """Yields `good_chunks` chunks, then fails like a dropped connection."""

    def __init__(self, good_chunks: int, chunk: bytes = b"a" * 100) -> None:
        self.left = good_chunks
        self.chunk = chunk
        self.calls = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if self.left == 0:
            raise OSError("connection reset by peer")
        self.left -= 1
        return self.chunk


def test_stream_failing_midway_leaves_no_temp_file_and_no_blob(store: BlobStore) -> None:
    reader = ExplodingReader(good_chunks=5)
    with pytest.raises(OSError, match="connection reset"):
        store.put_stream(reader, max_bytes=1 << 20, chunk_size=100)
    assert reader.calls == 6  # it really did write chunks before failing
    assert tree(store.root) == []
    assert list(store.root.iterdir()) == []


def test_oversize_stream_is_not_read_to_the_end(store: BlobStore) -> None:
    class Endless(io.RawIOBase):
        requested = 0

        def read(self, size: int = -1) -> bytes:
            assert size > 0, "put_stream must always ask for a bounded amount"
            Endless.requested += size
            return b"z" * size

    with pytest.raises(UploadRejected):
        store.put_stream(Endless(), max_bytes=10_000, chunk_size=4096)
    assert Endless.requested == 10_001
    assert tree(store.root) == []


def test_short_reads_are_accumulated(store: BlobStore) -> None:
    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = data

        def read(self, size: int = -1) -> bytes:
            out, self.data = self.data[:3], self.data[3:]
            return out

    data = b"0123456789" * 50
    blob = store.put_stream(Trickle(data), max_bytes=1000)
    assert blob.size == 500 and blob.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "bad",
    [
        "../../etc/passwd",
        "../" * 21 + "x",
        "A" * 64,
        hashlib.sha256(b"x").hexdigest().upper(),
        "abc",
        "",
        "0" * 63,
        "0" * 65,
        "0" * 63 + "\n",
        "g" * 64,
        "/" + "0" * 63,
    ],
)
def test_open_blob_refuses_anything_but_a_lowercase_digest(store: BlobStore, bad: str) -> None:
    with pytest.raises(ValueError):
        store.open_blob(bad)
    with pytest.raises(ValueError):
        store.exists(bad)
    with pytest.raises(ValueError):
        store.path_for(bad)


def test_open_blob_of_unknown_digest_is_not_found(store: BlobStore) -> None:
    digest = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(digest)
    with pytest.raises(FileNotFoundError):
        store.open_blob(digest)


def test_blob_path_stays_inside_root(store: BlobStore) -> None:
    digest = hashlib.sha256(b"x").hexdigest()
    assert store.path_for(digest).resolve().is_relative_to(store.root)
