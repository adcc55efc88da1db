"""Where things are stored under FOIA_STORAGE_DIR: one definition each."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any


def blob_root(config: Mapping[str, Any]) -> str:
    """Document blobs: ``FOIA_STORAGE_DIR/blobs``."""
    return os.path.join(config["FOIA_STORAGE_DIR"], "blobs")


def letter_cache_dir(config: Mapping[str, Any]) -> str:
    """Rendered letter PDFs, by content hash: ``FOIA_STORAGE_DIR/letter-cache``."""
    return os.path.join(config["FOIA_STORAGE_DIR"], "letter-cache")
