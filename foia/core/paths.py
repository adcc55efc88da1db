"""Where things are stored under FOIA_STORAGE_DIR: one definition each."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit


def blob_root(config: Mapping[str, Any]) -> str:
    """Where document blobs live, for ``foia.documents.storage.open_store``: the folder
    ``FOIA_STORAGE_DIR/blobs``, or, with ``FOIA_STORAGE_URL=s3://bucket/prefix``, an ``s3://`` locator that
    also carries ``FOIA_S3_ENDPOINT_URL`` and the local staging folder (``FOIA_STORAGE_DIR/blobs``)."""
    folder = os.path.join(config["FOIA_STORAGE_DIR"], "blobs")
    url = (config.get("FOIA_STORAGE_URL") or "").strip()
    if not url:
        return folder
    parts = urlsplit(url)
    query = {"staging_dir": folder}
    if config.get("FOIA_S3_ENDPOINT_URL"):
        query["endpoint_url"] = str(config["FOIA_S3_ENDPOINT_URL"])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def letter_cache_dir(config: Mapping[str, Any]) -> str:
    """Rendered letter PDFs, by content hash: ``FOIA_STORAGE_DIR/letter-cache``."""
    return os.path.join(config["FOIA_STORAGE_DIR"], "letter-cache")
