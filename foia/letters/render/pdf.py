"""HTML -> tagged, reproducible PDF with WeasyPrint, fetching only files under letters/.

Reproducibility: WeasyPrint writes no dates unless the document has them, so the
creation/modification dates come from ``created`` (or the letter's
``<meta name="dcterms.created">``, which render_html derives from the letter date);
the trailer /ID is derived from the inputs instead of being left out; font subset
prefixes are md5-based in WeasyPrint and the only random value it has (an XMP
DocumentID) is written for PDF/X-4 only, which is not used here; structure element
IDs are renumbered (:func:`stable_structure_ids`).

WeasyPrint is imported only inside the functions that render (it takes about half a
second to import, and every ``flask`` command and web worker imports this package).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Final
from urllib.parse import unquote, urlsplit

import pydyf

from foia.letters.render.templating import LETTERS_DIR

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

_log = logging.getLogger(__name__)

#: PDF flavour: PDF/UA-1 (tagged, /MarkInfo Marked, /Lang, DisplayDocTitle, XMP pdfuaid).
PDF_VARIANT: Final[str] = "pdf/ua-1"

_MIME_TYPES: Final[dict[str, str]] = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}


class FetchRefused(ValueError):
    """Raised for any URL outside the letters folder (WeasyPrint logs and skips it)."""


class LettersURLFetcher:
    """A URL fetcher for WeasyPrint that serves only regular files under ``root``.

    Everything else is refused: http(s), data:, ftp, file:// outside ``root`` (after
    resolving ``..`` and symlinks) and unknown file types. Every URL asked for is
    appended to ``attempted`` so tests and callers can see what a document wanted.
    File contents are cached in memory by (path, mtime, size), so the bundled fonts
    and stylesheet are read from disk once per process.

    It is not a WeasyPrint class itself (so importing this module does not import
    WeasyPrint): :func:`render_pdf` hands WeasyPrint a ``URLFetcher`` that delegates
    every fetch to it.
    """

    _cache: ClassVar[dict[tuple[str, int, int], bytes]] = {}
    _cache_lock = threading.Lock()

    def __init__(self, root: Path = LETTERS_DIR) -> None:
        self.root = root.resolve()
        self.attempted: list[str] = []
        self.refused: list[str] = []

    def resolve(self, url: str) -> Path:
        """The file under ``root`` that ``url`` names, or raise FetchRefused."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"refused non-local URL: {url[:200]}")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise FetchRefused(f"refused file outside the letters folder: {url[:200]}")
        if path.suffix.lower() not in _MIME_TYPES:
            raise FetchRefused(f"refused file type: {url[:200]}")
        return path

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        # Lazy: only rendering fetches, and WeasyPrint is slow to import (see the module doc).
        from weasyprint.urls import URLFetcherResponse

        self.attempted.append(url)
        try:
            path = self.resolve(url)
        except FetchRefused:
            self.refused.append(url)
            raise
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        body = self._cache.get(key)
        if body is None:
            body = path.read_bytes()
            with self._cache_lock:
                self._cache[key] = body
        return URLFetcherResponse(
            path.as_uri(), body, headers={"Content-Type": _MIME_TYPES[path.suffix.lower()]}
        )

    __call__ = fetch


@cache
def _weasyprint_fetcher_class() -> type[URLFetcher]:
    """A WeasyPrint ``URLFetcher`` whose every fetch goes to a :class:`LettersURLFetcher`."""
    # Lazy: WeasyPrint is imported only when a PDF is rendered (see the module doc).
    from weasyprint.urls import URLFetcher

    class DelegatingURLFetcher(URLFetcher):
        def __init__(self, letters: LettersURLFetcher) -> None:
            # No redirects and file: only, should anything reach the base class.
            super().__init__(allowed_protocols=("file",), allow_redirects=False)
            self.letters = letters

        def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
            return self.letters.fetch(url, headers)

    return DelegatingURLFetcher


def stable_structure_ids(document: object, pdf: pydyf.PDF) -> None:
    """WeasyPrint finisher: structure element IDs become counters in object order.

    Tagged tables give each ``<th>`` element an /ID that the cells' /Headers list.
    WeasyPrint 69 used ``id(box)`` (a memory address: it differs from run to run, and a
    freed box's address can be reused by another, so two headers could share one);
    WeasyPrint 70 uses object numbers. Neither is kept: every element with an /ID gets
    ``<tag><n>`` (``TH1``, ``TH2``... in the order the objects were written), and a
    /Headers entry is rewritten only when it names exactly one element. An entry that
    names none, or an ID that several elements carried, is dropped rather than written
    as it came, so no identifier WeasyPrint made ends up in the PDF.
    """
    renamed: dict[bytes, pydyf.String | None] = {}
    counters: dict[str, int] = {}
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Dictionary) and "S" in obj and "ID" in obj:
            old = _string_key(obj["ID"])
            tag = str(obj["S"]).lstrip("/") or "E"
            counters[tag] = counters.get(tag, 0) + 1
            new_id = pydyf.String(f"{tag}{counters[tag]}")
            # The same old ID on two elements (a reused address): no header can be told apart.
            renamed[old] = None if old in renamed else new_id
            obj["ID"] = new_id
    for obj in pdf.objects:
        if not isinstance(obj, pydyf.Dictionary):
            continue
        attributes = obj.get("A")
        if isinstance(attributes, pydyf.Dictionary) and "Headers" in attributes:
            headers = [renamed.get(_string_key(header)) for header in attributes["Headers"]]
            kept = [header for header in headers if header is not None]
            if len(kept) < len(headers):
                _log.warning("tagged table: dropped %d ambiguous or unknown /Headers entries", len(headers) - len(kept))
            if kept:
                attributes["Headers"] = pydyf.Array(kept)
            else:
                del attributes["Headers"]


def _string_key(value: object) -> bytes:
    """A pydyf value as the bytes it is written as (``pydyf.String.data``), for comparing IDs."""
    data = getattr(value, "data", None)
    return data if isinstance(data, bytes) else str(value).encode("utf-8")


def _w3c_date(value: date | datetime | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value)[:10]).isoformat()


def _identifier(html: str, title: str, lang: str, created: str | None, version: str) -> bytes:
    digest = hashlib.sha256()
    for part in (html, title, lang, created or "", version):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:32].encode("ascii")


def render_pdf(
    html: str,
    *,
    title: str,
    lang: str = "en",
    created: date | datetime | None = None,
    url_fetcher: LettersURLFetcher | None = None,
    finisher: Callable[..., None] | None = None,
) -> bytes:
    """Render letter HTML to PDF bytes (US Letter per letter.css, PDF/UA-1, tagged).

    ``title`` and ``lang`` are written to the document info, XMP and catalog /Lang.
    ``created`` sets both creation and modification dates; when omitted the dates in
    the HTML (``dcterms.created``/``dcterms.modified`` meta) are used, and when the
    HTML has none the PDF carries no dates. The same arguments give the same bytes.
    Resources are fetched only from ``letters/`` (pass ``url_fetcher`` to inspect
    what was requested).
    """
    # Imported here, not at the top: WeasyPrint takes about 0.5 s to import, and the CLI
    # (`flask foia --help`), the scheduler and every web worker import this package
    # without rendering a PDF. Lazy import keeps their start-up fast.
    import weasyprint

    fetcher = url_fetcher if url_fetcher is not None else LettersURLFetcher()
    document = weasyprint.HTML(
        string=html,
        base_url=LETTERS_DIR.as_uri() + "/",
        url_fetcher=_weasyprint_fetcher_class()(fetcher),
    ).render(pdf_variant=PDF_VARIANT)
    metadata = document.metadata
    metadata.title = title
    metadata.lang = lang
    stamp = _w3c_date(created)
    if stamp is not None:
        metadata.created = stamp
        metadata.modified = stamp
    identifier = _identifier(html, title, lang, metadata.created, weasyprint.__version__)

    def finish(document: object, pdf: pydyf.PDF) -> None:
        stable_structure_ids(document, pdf)
        if finisher is not None:
            finisher(document, pdf)

    pdf = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_identifier=identifier, finisher=finish)
    assert isinstance(pdf, bytes)
    return pdf
