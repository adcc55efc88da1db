"""S3-compatible blob store (``FOIA_STORAGE_URL=s3://bucket/prefix``): the same contract as ``BlobStore``.

Object keys are ``<prefix>/ab/cd/<sha256>``, built from a validated digest only (no key injection). Uploads
are streamed to a local ``.upload-*.part`` file in the staging folder (``FOIA_STORAGE_DIR/blobs``), hashed and
size-checked chunk by chunk exactly as on the filesystem; a staged upload stays local until ``promote``, which
sends it with a streamed multipart upload (boto3 ``upload_file`` from that file) unless an object with that digest exists
already (deduplication). Downloads stream the object's body; ``local_copy`` downloads to a temp file in the
staging folder for the code that needs a real file.

S3 has no atomic rename, so the orphan sweep works like this: an object older than the grace period that no
row references is copied to ``<prefix>/.sweep/<sha256>``, the original is deleted, the database is asked
again, and the object is copied back if a row came to reference it meanwhile (the copy under ``.sweep/`` is
then removed; a sweep killed half-way leaves it there and the next sweep puts it back). An upload that
deduplicated onto an object the sweep then removed keeps its staged file until its transaction committed:
``confirm`` checks the object is there and uploads it again if not. Blobs written without staging (raw mail,
sent messages) are uploaded even when the object exists, which refreshes its LastModified.

Credentials and region come from boto3's usual sources (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_DEFAULT_REGION``, instance roles, ...); ``FOIA_S3_ENDPOINT_URL`` points at a non-AWS store.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, NoReturn, cast
from urllib.parse import parse_qs, urlsplit

import boto3  # type: ignore[import-untyped]
from boto3.exceptions import Boto3Error  # type: ignore[import-untyped]
from boto3.s3.transfer import TransferConfig  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from foia.documents.storage import (
    DEFAULT_GRACE_SECONDS,
    DIR_MODE,
    TEMP_PREFIX,
    TEMP_SUFFIX,
    StorageUnavailable,
    StoredBlob,
    SweepResult,
    validate_sha256,
    write_temp,
)

__all__ = ["S3BlobStore", "parse_s3_locator", "s3_store"]

log = logging.getLogger(__name__)

QUARANTINE = ".sweep/"
COPY_PREFIX = ".download-"
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_KEY_RE = re.compile(r"([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")
#: Multipart above 8 MB, 8 MB parts: a 200 MB upload holds a few parts in memory, never the file.
TRANSFER = TransferConfig(multipart_threshold=8 << 20, multipart_chunksize=8 << 20, max_concurrency=4)


def _unavailable(exc: Exception) -> NoReturn:
    log.error("S3 storage error: %s", exc)
    raise StorageUnavailable() from exc


def _is_not_found(exc: ClientError) -> bool:
    err = exc.response.get("Error", {})
    status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    return str(err.get("Code", "")) in _NOT_FOUND or status == "404"


def parse_s3_locator(locator: str) -> dict[str, Any]:
    """``s3://bucket/prefix?endpoint_url=...&staging_dir=...`` -> its parts (``prefix`` without slashes)."""
    parts = urlsplit(locator)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError("FOIA_STORAGE_URL must look like s3://bucket/prefix")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return {"bucket": parts.netloc, "prefix": parts.path.strip("/"),
            "endpoint_url": query.get("endpoint_url") or None, "staging_dir": query.get("staging_dir") or None}


def s3_store(locator: str) -> S3BlobStore:
    """One store (and one thread-safe boto3 client) per locator and process (a client is not shared across a
    fork: gunicorn's workers each make their own)."""
    return _s3_store(locator, os.getpid())


@functools.lru_cache(maxsize=16)
def _s3_store(locator: str, pid: int) -> S3BlobStore:
    del pid  # part of the cache key only
    parts = parse_s3_locator(locator)
    staging = parts["staging_dir"] or os.path.join(tempfile.gettempdir(), "foia-staging")
    return S3BlobStore(parts["bucket"], parts["prefix"], staging_dir=staging, endpoint_url=parts["endpoint_url"])


class S3BlobStore:
    """Blobs in ``bucket`` under ``prefix``; staged uploads and local copies in ``staging_dir``."""

    def __init__(self, bucket: str, prefix: str, *, staging_dir: str | Path, endpoint_url: str | None = None,
                 client: Any = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.root = Path(staging_dir).resolve()  # the local staging folder (``root`` as on the filesystem)
        self.root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        self.client = client or boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url,
            config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"}))

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def key_for(self, sha256: str) -> str:
        digest = validate_sha256(sha256)
        return f"{self.prefix}{digest[0:2]}/{digest[2:4]}/{digest}"

    # ------------------------------------------------------------------ reading

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            return cast("dict[str, Any]", self.client.head_object(Bucket=self.bucket, Key=key))
        except ClientError as exc:
            if _is_not_found(exc):
                return None
            _unavailable(exc)
        except (BotoCoreError, Boto3Error) as exc:
            _unavailable(exc)

    def exists(self, sha256: str) -> bool:
        return self._head(self.key_for(sha256)) is not None

    def open_blob(self, sha256: str) -> BinaryIO:
        """The object's body, streamed (read it in chunks; close it). FileNotFoundError if there is none;
        StorageUnavailable if the store cannot be reached."""
        key = self.key_for(sha256)
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as exc:
            if _is_not_found(exc):
                raise FileNotFoundError(f"no blob {sha256}") from exc
            _unavailable(exc)
        except (BotoCoreError, Boto3Error) as exc:
            _unavailable(exc)
        return cast(BinaryIO, body)

    @contextmanager
    def local_copy(self, sha256: str) -> Iterator[Path]:
        """Download the blob to a temp file of the staging folder, yield its path, remove it afterwards."""
        key = self.key_for(sha256)
        fd, name = tempfile.mkstemp(prefix=COPY_PREFIX, suffix=TEMP_SUFFIX, dir=self.root)
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                try:
                    self.client.download_fileobj(self.bucket, key, out, Config=TRANSFER)
                except ClientError as exc:
                    if _is_not_found(exc):
                        raise FileNotFoundError(f"no blob {sha256}") from exc
                    _unavailable(exc)
                except (BotoCoreError, Boto3Error) as exc:
                    _unavailable(exc)
            os.chmod(path, 0o640)
            yield path
        finally:
            path.unlink(missing_ok=True)

    # ------------------------------------------------------------------ writing

    def put_stream(self, stream: IO[bytes], *, max_bytes: int, chunk_size: int = 1 << 20,
                   stage: bool = False) -> StoredBlob:
        """As ``BlobStore.put_stream``: the bytes go to a local temp file first; ``stage=False`` uploads them
        at once (and removes the temp file), ``stage=True`` leaves that to ``promote``."""
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        tmp_path, sha256, size = write_temp(stream, self.root, max_bytes=max_bytes, chunk_size=chunk_size)
        try:
            if stage:
                return StoredBlob(sha256=sha256, size=size, path=tmp_path, deduplicated=self.exists(sha256),
                                  staged=True)
            existed = self.exists(sha256)
            self._upload(tmp_path, sha256)  # even when it exists: refreshes LastModified for the sweep's grace
            return StoredBlob(sha256=sha256, size=size, path=tmp_path, deduplicated=existed)
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            raise
        finally:
            if not stage:
                tmp_path.unlink(missing_ok=True)

    def _upload(self, path: Path, sha256: str) -> None:
        try:
            # upload_file, not upload_fileobj: from a named file each part is read from disk as it is sent, so
            # memory stays at a few parts whatever the size (upload_fileobj buffers up to 10 parts per upload).
            self.client.upload_file(str(path), self.bucket, self.key_for(sha256), Config=TRANSFER,
                                    ExtraArgs={"ContentType": "application/octet-stream"})
        except (ClientError, BotoCoreError, Boto3Error) as exc:
            _unavailable(exc)

    def promote(self, blob: StoredBlob) -> StoredBlob:
        """Upload a staged blob (streamed, multipart when large) unless the object exists already. The staged
        file is kept until ``confirm`` (after the commit) or ``discard``."""
        if not blob.staged:
            return blob
        existed = self.exists(blob.sha256)
        if not existed:
            self._upload(blob.path, blob.sha256)
        return StoredBlob(sha256=blob.sha256, size=blob.size, path=blob.path, deduplicated=existed)

    def confirm(self, blob: StoredBlob) -> None:
        """The row naming ``blob`` committed: make sure the object is there (a sweep may have removed the object
        an upload deduplicated onto) and drop the local staged file."""
        try:
            if self._is_staged_file(blob.path) and blob.path.is_file() and not self.exists(blob.sha256):
                log.warning("blob %s vanished before its row committed; uploading it again", blob.sha256)
                self._upload(blob.path, blob.sha256)
        finally:
            self.discard(blob)

    def discard(self, blob: StoredBlob) -> None:
        """Remove the blob's local staged file (never the object: another upload may use the same bytes)."""
        if self._is_staged_file(blob.path):
            blob.path.unlink(missing_ok=True)

    def _is_staged_file(self, path: Path) -> bool:
        return path.parent == self.root and path.name.startswith(TEMP_PREFIX) and path.name.endswith(TEMP_SUFFIX)

    # ------------------------------------------------------------------ the orphan sweep

    def _objects(self, prefix: str) -> Iterator[dict[str, Any]]:
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                yield from page.get("Contents", [])
        except (ClientError, BotoCoreError, Boto3Error) as exc:
            _unavailable(exc)

    def blob_digests(self) -> Iterator[tuple[str, int]]:
        """(sha256, size) of every stored blob (for backups and checks)."""
        for obj in self._objects(self.prefix):
            match = _KEY_RE.fullmatch(obj["Key"][len(self.prefix):])
            if match and match.group(1) == match.group(3)[:2] and match.group(2) == match.group(3)[2:4]:
                yield match.group(3), int(obj["Size"])

    def _copy(self, src: str, dst: str) -> None:
        self.client.copy({"Bucket": self.bucket, "Key": src}, self.bucket, dst, Config=TRANSFER)

    def sweep(self, unreferenced: Callable[[Iterable[str]], set[str]], *, grace_seconds: float = DEFAULT_GRACE_SECONDS,
              now: float | None = None) -> SweepResult:
        """Remove local temp files and objects older than ``grace_seconds`` that nothing references."""
        cutoff = (time.time() if now is None else now) - grace_seconds
        result = SweepResult()
        for entry in self.root.iterdir():
            name = entry.name
            if not ((name.startswith(TEMP_PREFIX) or name.startswith(COPY_PREFIX)) and name.endswith(TEMP_SUFFIX)):
                continue
            try:
                st = entry.stat()
            except FileNotFoundError:
                continue
            if st.st_mtime < cutoff:
                entry.unlink(missing_ok=True)
                result.temps_removed += 1
                result.bytes_freed += st.st_size
        # A sweep killed mid-way: put its blobs back; this pass decides again.
        for obj in list(self._objects(self.prefix + QUARANTINE)):
            sha = obj["Key"].rsplit("/", 1)[-1]
            try:
                validate_sha256(sha)
            except ValueError:
                continue
            try:
                if self._head(self.key_for(sha)) is None:
                    self._copy(obj["Key"], self.key_for(sha))
                self.client.delete_object(Bucket=self.bucket, Key=obj["Key"])
            except (ClientError, BotoCoreError, Boto3Error) as exc:
                _unavailable(exc)
        candidates: dict[str, int] = {}
        for obj in self._objects(self.prefix):
            match = _KEY_RE.fullmatch(obj["Key"][len(self.prefix):])
            if match is None or obj["Key"] != self.key_for(match.group(3)):
                continue
            if obj["LastModified"].timestamp() >= cutoff:
                result.kept_recent += 1
                continue
            candidates[match.group(3)] = int(obj["Size"])
        names = sorted(candidates)
        for start in range(0, len(names), 500):
            batch = names[start:start + 500]
            orphans = unreferenced(batch)
            result.kept_referenced += len(batch) - len(orphans)
            for sha in sorted(orphans):
                self._remove_orphan(sha, candidates[sha], cutoff, unreferenced, result)
        return result

    def _remove_orphan(self, sha: str, size: int, cutoff: float, unreferenced: Callable[[Iterable[str]], set[str]],
                       result: SweepResult) -> None:
        key, aside = self.key_for(sha), f"{self.prefix}{QUARANTINE}{sha}"
        head = self._head(key)
        if head is None:
            return
        if head["LastModified"].timestamp() >= cutoff:  # an unstaged upload refreshed it just now
            result.kept_recent += 1
            return
        try:
            self._copy(key, aside)
            self.client.delete_object(Bucket=self.bucket, Key=key)
            if sha not in unreferenced([sha]):  # a row committed meanwhile: put it back
                if self._head(key) is None:
                    self._copy(aside, key)
                self.client.delete_object(Bucket=self.bucket, Key=aside)
                result.kept_recent += 1
                return
            self.client.delete_object(Bucket=self.bucket, Key=aside)
        except ClientError as exc:
            if _is_not_found(exc):
                return
            _unavailable(exc)
        except (BotoCoreError, Boto3Error) as exc:
            _unavailable(exc)
        result.blobs_removed += 1
        result.bytes_freed += size
