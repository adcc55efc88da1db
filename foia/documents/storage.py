"""Content-addressed blob storage for uploaded documents (pure: no Flask, no database).

A blob lives at ``root/ab/cd/<sha256>``, where ``ab`` and ``cd`` are the first two byte
pairs of its hex digest. Uploads are streamed to a temporary file inside ``root`` (so the
final ``os.replace`` is an atomic rename on one filesystem) while being hashed and
size-checked chunk by chunk; the whole upload is never held in memory. Identical content
is stored once. Blobs are written with mode 0o640 and are never executable.

The digest is the only way to name a blob: ``path_for``/``open_blob``/``exists`` accept
nothing but 64 lowercase hex characters, so a caller can never reach outside ``root``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

__all__ = ["BlobStore", "StoredBlob", "UploadRejected", "human_size", "validate_sha256"]

BLOB_MODE = 0o640
DIR_MODE = 0o750
TEMP_PREFIX = ".upload-"
TEMP_SUFFIX = ".part"
_SHA256_RE = re.compile(r"[0-9a-f]{64}")


class UploadRejected(ValueError):
    """An upload refused for a reason the person uploading can act on; ``message`` is shown to them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class StoredBlob:
    sha256: str
    size: int
    path: Path
    deduplicated: bool


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


class BlobStore:
    """Filesystem blob store rooted at ``root`` (created if missing)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        digest = validate_sha256(sha256)
        return self.root / digest[0:2] / digest[2:4] / digest

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def open_blob(self, sha256: str) -> BinaryIO:
        """Open a stored blob for reading; FileNotFoundError if there is none with that digest."""
        return open(self.path_for(sha256), "rb")

    def put_stream(self, stream: IO[bytes], *, max_bytes: int, chunk_size: int = 1 << 20) -> StoredBlob:
        """Store everything ``stream`` yields, at most ``max_bytes`` bytes.

        Raises UploadRejected for an empty or oversized stream; any exception (including
        one raised by ``stream.read``) leaves neither a temporary file nor a blob behind.
        """
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=self.root)
        tmp_path = Path(tmp_name)
        keep_tmp = False
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
            sha256 = digest.hexdigest()
            final = self.path_for(sha256)
            if final.is_file():
                return StoredBlob(sha256=sha256, size=size, path=final, deduplicated=True)
            final.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            # Two concurrent uploads of the same bytes both rename onto the same name: the
            # content is identical, so whichever lands last is as good as the first.
            os.replace(tmp_path, final)
            keep_tmp = True  # it is the blob now
            return StoredBlob(sha256=sha256, size=size, path=final, deduplicated=False)
        finally:
            if not keep_tmp:
                try:
                    tmp_path.unlink()
                except FileNotFoundError:
                    pass
