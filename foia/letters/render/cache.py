"""Content-addressed cache of rendered letter PDFs."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date, datetime
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from foia.core.files import atomic_write
from foia.letters.render.pdf import render_pdf
from foia.letters.render.templating import LETTERS_DIR


@lru_cache(maxsize=1)
def assets_fingerprint() -> str:
    """sha256 over the stylesheet, fonts and WeasyPrint version (computed once per process).

    Part of every cache key, so a change to letter.css or a font invalidates old PDFs
    after a restart.
    """
    # The installed distribution's version (the same string as weasyprint.__version__),
    # read without importing WeasyPrint: a cache hit then never imports it.
    digest = hashlib.sha256(f"weasyprint {version('weasyprint')}\0".encode())
    paths = [LETTERS_DIR / "letter.css", *sorted((LETTERS_DIR / "fonts").glob("*.ttf"))]
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


class PdfCache:
    """Render-once store: ``get_or_render(html, **opts) -> (pdf_bytes, sha256, hit)``.

    The key is the sha256 of the HTML, the render options (``title``, ``lang``,
    ``created`` as for :func:`render_pdf`) and :func:`assets_fingerprint`. PDFs are
    stored as ``<directory>/<key[:2]>/<key>.pdf`` and written atomically (temporary
    file in the same folder, fsync, ``os.replace``), so concurrent workers at worst
    render the same letter twice and never serve a partial file. The returned
    ``sha256`` is the hex digest of the PDF bytes (usable as an ETag or as the
    content address of the stored document); since rendering is deterministic it is
    stable for the same inputs.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    @staticmethod
    def key(html: str, **opts: Any) -> str:
        """Cache key for ``html`` rendered with ``opts``."""
        payload = json.dumps(
            {
                "html": html,
                "opts": {name: _jsonable(value) for name, value in opts.items()},
                "assets": assets_fingerprint(),
            },
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def path_for(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.pdf"

    def get_or_render(self, html: str, **opts: Any) -> tuple[bytes, str, bool]:
        """Return ``(pdf, sha256 of pdf, hit)``; render and store on a miss.

        ``opts`` are passed to :func:`render_pdf` (``title`` is required there).
        """
        path = self.path_for(self.key(html, **opts))
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            pass
        else:
            if data.startswith(b"%PDF-"):
                return data, hashlib.sha256(data).hexdigest(), True
        data = render_pdf(html, **opts)
        atomic_write(path, data)
        return data, hashlib.sha256(data).hexdigest(), False
