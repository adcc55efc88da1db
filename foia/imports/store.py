"""Where an upload waits between the steps of the web import (upload -> columns -> preview -> import).

A file under the instance folder, named by a random token (192 bits) and bound to the user who uploaded
it: every step reloads the file from here, and a token of another user (or a made-up one) is "not found".
Nothing about the upload travels through the client except the token in the URL. Uploads older than a
day are removed whenever someone uploads. A confirmed import is a job (foia.imports.jobs) that reads the upload
from here as the person who queued it and removes the file once its import is committed; its result is kept in
the job, for the status page."""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

from flask import Flask

from foia.core.files import atomic_write

MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


class UploadStore:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def _paths(self, token: str) -> tuple[Path, Path]:
        return self.root / f"{token}.json", self.root / f"{token}.bin"

    def save(self, *, user_id: int, filename: str, data: bytes, meta: dict[str, Any] | None = None) -> str:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.cleanup()
        token = secrets.token_urlsafe(24)
        meta_path, data_path = self._paths(token)
        atomic_write(data_path, data, overwrite=False)
        self._write(meta_path, {"user_id": user_id, "filename": filename[:200], "created": time.time(),
                                **(meta or {})})
        return token

    def _write(self, path: Path, meta: dict[str, Any]) -> None:
        atomic_write(path, json.dumps(meta).encode())

    def meta(self, token: str, user_id: int) -> dict[str, Any] | None:
        """The upload's details if `token` names one of `user_id`'s uploads, else None."""
        if not _TOKEN.fullmatch(token or ""):
            return None
        meta_path, _ = self._paths(token)
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            return None
        if meta.get("user_id") != user_id or time.time() - float(meta.get("created", 0)) > MAX_AGE_SECONDS:
            return None
        return dict(meta)

    def data(self, token: str, user_id: int) -> bytes | None:
        if self.meta(token, user_id) is None:
            return None
        try:
            return self._paths(token)[1].read_bytes()
        except OSError:
            return None

    def update(self, token: str, user_id: int, **changes: Any) -> None:
        meta = self.meta(token, user_id)
        if meta is None:
            raise KeyError(token)
        meta.update(changes)
        self._write(self._paths(token)[0], meta)

    def discard_file(self, token: str) -> None:
        """Remove the uploaded file (after the import); its details stay for the result page."""
        self._paths(token)[1].unlink(missing_ok=True)

    def cleanup(self, max_age: float = MAX_AGE_SECONDS) -> int:
        removed = 0
        cutoff = time.time() - max_age
        for path in self.root.glob("*.*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
        return removed


def upload_store(app: Flask) -> UploadStore:
    """The app's upload store: FOIA_IMPORT_DIR, or `imports` under the instance folder."""
    return UploadStore(app.config.get("FOIA_IMPORT_DIR") or f"{app.instance_path}/imports")
