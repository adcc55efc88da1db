"""Pick the blob store for a location: the filesystem backend or the S3 one (see foia/documents/storage.py)."""

from __future__ import annotations

from pathlib import Path

from foia.documents.storage import BlobStorage, BlobStore

__all__ = ["open_store"]


def open_store(location: str | Path | BlobStorage) -> BlobStorage:
    """The store at ``location``: a folder (the filesystem backend), an ``s3://bucket/prefix?...`` locator
    (``foia.core.paths.blob_root``; the S3 backend, one client per locator and process), or a store."""
    if not isinstance(location, (str, Path)):
        return location
    if isinstance(location, str) and location.startswith("s3://"):
        from foia.documents.storage_s3 import s3_store  # boto3 is imported only when S3 is configured

        return s3_store(location)
    return BlobStore(location)
