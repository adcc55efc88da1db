"""The one atomic file writer: a reader sees the old file or the whole new one, never a part."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o600, overwrite: bool = True) -> Path:
    """Write `data` to `path` through a temporary file in the same folder (fsynced, then renamed).

    With ``overwrite=False`` the file is created only if it does not exist yet (a hard link, which is
    atomic and fails if the name is taken): FileExistsError tells the caller another process won, and
    the existing file is untouched. The folder is created if needed. On any error nothing is left
    behind but what was there before.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp_name, target)
        else:
            os.link(tmp_name, target)
            os.unlink(tmp_name)
        tmp_name = ""
    finally:
        if tmp_name:
            try:
                os.unlink(tmp_name)
            except FileNotFoundError:
                pass
    return target
