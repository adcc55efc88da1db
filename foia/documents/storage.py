"""Content-addressed blob storage for uploaded documents (pure: no Flask, no database).

A blob lives at ``root/ab/cd/<sha256>``, where ``ab`` and ``cd`` are the first two byte
pairs of its hex digest. Uploads are streamed to a temporary file inside ``root`` (so the
final ``os.replace`` is an atomic rename on one filesystem) while being hashed and
size-checked chunk by chunk; the whole upload is never held in memory. Identical content
is stored once. Blobs are written with mode 0o640 and are never executable.

Nothing but the orphan sweep ever deletes a blob (review F3: a refused upload's cleanup deleted the blob a
concurrent upload of the same bytes was committing). A caller that may still refuse the content stages it
(``put_stream(stage=True)``: the bytes stay in their ``.upload-*.part`` temp file, which only that caller
owns), checks the temp file, and then either ``discard``s it or ``promote``s it into place. Blobs left
without a row (a transaction that rolled back after promotion, a killed process) and ``.part`` files of
killed uploads are removed by ``sweep`` once they are older than a grace period, and only after the
database says nothing references them (review F9). Promotion and deduplication refresh the blob's mtime,
so a blob about to be referenced is never older than the grace period.

The digest is the only way to name a blob: ``path_for``/``open_blob``/``exists`` accept
nothing but 64 lowercase hex characters, so a caller can never reach outside ``root``.

Two backends share this contract (``BlobStorage``): ``BlobStore`` here (the filesystem, the default) and
``S3BlobStore`` (foia/documents/storage_s3.py, ``FOIA_STORAGE_URL=s3://bucket/prefix``). ``open_store``
(foia/documents/stores.py) picks
one from a location (a folder, or the ``s3://`` locator ``foia.core.paths.blob_root`` builds). Callers that
need a real file (the extraction sandbox, evidence bundles) ask ``local_copy(sha)``: the blob's own path on
the filesystem, a temporary download on S3. After the transaction that references a promoted blob commits,
the caller calls ``confirm`` (a no-op here; on S3 it re-uploads a blob the sweep removed meanwhile).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Protocol

__all__ = ["BlobStorage", "BlobStore", "StorageUnavailable", "StoredBlob", "SweepResult", "UploadRejected",
           "human_size", "validate_sha256", "write_temp"]

BLOB_MODE = 0o640
DIR_MODE = 0o750
TEMP_PREFIX = ".upload-"
TEMP_SUFFIX = ".part"
QUARANTINE_PREFIX = ".sweep-"
#: How old an unreferenced blob or a temp file must be before the sweep removes it.
DEFAULT_GRACE_SECONDS = 3600
_SHA256_RE = re.compile(r"[0-9a-f]{64}")


class UploadRejected(ValueError):
    """An upload refused for a reason the person uploading can act on; ``message`` is shown to them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StorageUnavailable(RuntimeError):
    """The blob store cannot be reached (an S3 endpoint down, refusing, timing out); ``message`` is for people."""

    def __init__(self, message: str = "Document storage is unavailable right now. Nothing was saved; "
                 "try again in a few minutes.") -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class StoredBlob:
    sha256: str
    size: int
    path: Path
    deduplicated: bool
    #: True while the bytes are still in the caller's own temp file (``path``), not yet promoted.
    staged: bool = False


@dataclass
class SweepResult:
    temps_removed: int = 0
    blobs_removed: int = 0
    bytes_freed: int = 0
    kept_referenced: int = 0
    kept_recent: int = 0


def human_size(n_bytes: int) -> str:
    """``16777216`` -> ``"16 MB"``; ``1536`` -> ``"1.5 KB"``; ``1000`` -> ``"1000 bytes"`` (binary units)."""
    if n_bytes >= 1 << 30:
        value, unit = n_bytes / (1 << 30), "GB"
    elif n_bytes >= 1 << 20:
        value, unit = n_bytes / (1 << 20), "MB"
    elif n_bytes >= 1 << 10:
        value, unit = n_bytes / (1 << 10), "KB"
    else:
        return f"{n_bytes} byte" if n_bytes == 1 else f"{n_bytes} bytes"
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


def validate_sha256(sha256: object) -> str:
    """Return ``sha256`` if it is exactly 64 lowercase hex characters, else raise ValueError."""
    if not isinstance(sha256, str) or _SHA256_RE.fullmatch(sha256) is None:
        raise ValueError("Not a sha256 digest (expected 64 lowercase hex characters).")
    return sha256


def write_temp(stream: IO[bytes], folder: Path, *, max_bytes: int, chunk_size: int) -> tuple[Path, str, int]:
    """Stream ``stream`` into a new ``.upload-*.part`` file in ``folder``, hashing and size-checking chunk by
    chunk; return (temp path, sha256, size). Raises UploadRejected for an empty or oversized stream; on any
    exception the temp file is removed."""
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=folder)
    tmp_path = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb", buffering=0) as out:
            while True:
                # Never ask for more than one byte past the limit: that byte is the proof of "too large".
                chunk = stream.read(min(chunk_size, max_bytes + 1 - size))
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise UploadRejected(f"The file is larger than the {human_size(max_bytes)} limit.")
                digest.update(chunk)
                view = memoryview(chunk)
                while view:  # unbuffered writes may be partial
                    written = out.write(view)
                    view = view[written or 0 :]
                del view, chunk
            if size == 0:
                raise UploadRejected("The file is empty.")
            os.fchmod(out.fileno(), BLOB_MODE)
            os.fsync(out.fileno())
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return tmp_path, digest.hexdigest(), size


class BlobStorage(Protocol):
    """What every backend offers (see the module docstring)."""

    @property
    def location(self) -> str: ...

    def exists(self, sha256: str) -> bool: ...

    def open_blob(self, sha256: str) -> BinaryIO: ...

    def local_copy(self, sha256: str) -> AbstractContextManager[Path]: ...

    def put_stream(self, stream: IO[bytes], *, max_bytes: int, chunk_size: int = 1 << 20,
                   stage: bool = False) -> StoredBlob: ...

    def promote(self, blob: StoredBlob) -> StoredBlob: ...

    def confirm(self, blob: StoredBlob) -> None: ...

    def discard(self, blob: StoredBlob) -> None: ...

    def sweep(self, unreferenced: Callable[[Iterable[str]], set[str]], *, grace_seconds: float = DEFAULT_GRACE_SECONDS,
              now: float | None = None) -> SweepResult: ...


class BlobStore:
    """Filesystem blob store rooted at ``root`` (created if missing)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)

    @property
    def location(self) -> str:
        return str(self.root)

    @contextmanager
    def local_copy(self, sha256: str) -> Iterator[Path]:
        """The blob as a local file (here: its own path; read it, never change it). FileNotFoundError if none."""
        path = self.path_for(sha256)
        if not path.is_file():
            raise FileNotFoundError(f"no blob {sha256}")
        yield path

    def confirm(self, blob: StoredBlob) -> None:
        """After the referencing row committed: nothing to do on a filesystem (promotion was an atomic rename
        and the sweep's move-aside puts back a blob that a row came to reference)."""
        del blob

    def path_for(self, sha256: str) -> Path:
        digest = validate_sha256(sha256)
        return self.root / digest[0:2] / digest[2:4] / digest

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def open_blob(self, sha256: str) -> BinaryIO:
        """Open a stored blob for reading; FileNotFoundError if there is none with that digest."""
        return open(self.path_for(sha256), "rb")

    def put_stream(self, stream: IO[bytes], *, max_bytes: int, chunk_size: int = 1 << 20,
                   stage: bool = False) -> StoredBlob:
        """Store everything ``stream`` yields, at most ``max_bytes`` bytes.

        Raises UploadRejected for an empty or oversized stream; any exception (including
        one raised by ``stream.read``) leaves neither a temporary file nor a blob behind.
        With ``stage=True`` the bytes stay in a temp file of this caller's own (``path``; ``staged``)
        until ``promote`` or ``discard``; ``deduplicated`` then says whether the blob existed already.
        """
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        tmp_path, sha256, size = write_temp(stream, self.root, max_bytes=max_bytes, chunk_size=chunk_size)
        keep_tmp = False
        try:
            final = self.path_for(sha256)
            if stage:
                keep_tmp = True  # the caller owns it now: promote() or discard()
                return StoredBlob(sha256=sha256, size=size, path=tmp_path, deduplicated=final.is_file(), staged=True)
            blob = self.promote(StoredBlob(sha256=sha256, size=size, path=tmp_path, deduplicated=False, staged=True))
            keep_tmp = True  # promote() moved or removed it
            return blob
        finally:
            if not keep_tmp:
                try:
                    tmp_path.unlink()
                except FileNotFoundError:
                    pass

    def promote(self, blob: StoredBlob) -> StoredBlob:
        """Move a staged blob into place (or, when the same content is there already, drop the temp file and
        refresh the existing blob's mtime so the sweep's grace period covers the row about to reference it)."""
        if not blob.staged:
            return blob
        final = self.path_for(blob.sha256)
        if final.is_file():
            try:
                os.utime(final)
            except FileNotFoundError:
                pass  # the sweep took it just now: ours goes in its place
            else:
                blob.path.unlink(missing_ok=True)
                return StoredBlob(sha256=blob.sha256, size=blob.size, path=final, deduplicated=True)
        final.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        # Two concurrent uploads of the same bytes both rename onto the same name: the
        # content is identical, so whichever lands last is as good as the first.
        os.replace(blob.path, final)
        os.utime(final)
        return StoredBlob(sha256=blob.sha256, size=blob.size, path=final, deduplicated=False)

    def discard(self, blob: StoredBlob) -> None:
        """Remove a staged blob's temp file (never a promoted blob: another upload may use the same bytes)."""
        if blob.staged:
            blob.path.unlink(missing_ok=True)

    def sweep(self, unreferenced: Callable[[Iterable[str]], set[str]], *, grace_seconds: float = DEFAULT_GRACE_SECONDS,
              now: float | None = None) -> SweepResult:
        """Remove temp files and blobs older than ``grace_seconds`` that nothing references.

        ``unreferenced(shas)`` answers, from the database, which of ``shas`` no row points at. A blob is
        first moved aside (atomic rename), then its age and ``unreferenced`` are checked again, and it is put
        back if an upload touched it or a row came to reference it meanwhile."""
        cutoff = (time.time() if now is None else now) - grace_seconds
        result = SweepResult()
        candidates: dict[str, Path] = {}
        for entry in self.root.rglob("*"):
            try:
                st = entry.stat()
            except FileNotFoundError:
                continue
            if not entry.is_file():
                continue
            name = entry.name
            if name.startswith(QUARANTINE_PREFIX) and entry.parent == self.root:
                # A sweep killed mid-way: put the blob back; the next pass decides again.
                try:
                    sha = validate_sha256(name[len(QUARANTINE_PREFIX):])
                    self.path_for(sha).parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
                    os.replace(entry, self.path_for(sha))
                except (ValueError, OSError):
                    pass
                continue
            if name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX):
                if st.st_mtime < cutoff:
                    entry.unlink(missing_ok=True)
                    result.temps_removed += 1
                    result.bytes_freed += st.st_size
                continue
            if _SHA256_RE.fullmatch(name) is None or entry != self.path_for(name):
                continue
            if st.st_mtime >= cutoff:
                result.kept_recent += 1
                continue
            candidates[name] = entry
        names = sorted(candidates)
        for start in range(0, len(names), 500):
            batch = names[start:start + 500]
            orphans = unreferenced(batch)
            result.kept_referenced += len(batch) - len(orphans)
            for sha in sorted(orphans):
                self._remove_orphan(sha, candidates[sha], cutoff, unreferenced, result)
        return result

    def _remove_orphan(self, sha: str, path: Path, cutoff: float, unreferenced: Callable[[Iterable[str]], set[str]],
                       result: SweepResult) -> None:
        aside = self.root / f"{QUARANTINE_PREFIX}{sha}"
        try:
            os.replace(path, aside)
        except FileNotFoundError:
            return
        # An upload that deduplicated onto this blob before the move refreshed its mtime; one after the move
        # found no blob and promotes its own copy. A row committed meanwhile shows in the second look.
        st = aside.stat()
        if st.st_mtime >= cutoff or sha not in unreferenced([sha]):
            if path.exists():
                aside.unlink()  # an upload put the same bytes back already
            else:
                os.replace(aside, path)
            result.kept_recent += 1
            return
        aside.unlink()
        result.blobs_removed += 1
        result.bytes_freed += st.st_size
