"""Type sniffing and text extraction for stored documents (pure: paths in, strings out).

``sniff`` decides a MIME type from the bytes, never from the filename. ``check_declared``
compares the two so an upload named ``.pdf`` that is not a PDF can be refused.
``extract_text`` turns a document into plain text for search; it never raises on
malformed input and returns whatever it could read (only a MemoryError propagates, so the
extraction sandbox, foia/documents/sandbox.py, which runs it in a limited child, can report it).

HTML is sniffed (``text/html``, with the WHATWG "scriptable" tag list, not just
``<html``) so the app can make sure it is never rendered inline; see
``may_render_inline``.
"""

from __future__ import annotations

import codecs
import csv
import email
import email.policy
import logging
import ntpath
import re
import zipfile
from collections.abc import Iterator
from email.message import EmailMessage, MIMEPart
from pathlib import Path
from typing import TYPE_CHECKING

from foia.core.text import html_to_text

if TYPE_CHECKING:
    from pypdf import PdfReader

__all__ = [
    "DOCX", "OCR_IMAGES", "PDF_ENGINES", "PPTX", "XLSX", "check_declared", "extract_text", "may_render_inline",
    "pages_with_images", "pdf_page_count", "sniff", "sparse_pages",
]

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
OCTET = "application/octet-stream"

#: Scanned images whose text is read by OCR (foia/documents/jobs.py); PDFs without a text layer are OCR'd too.
OCR_IMAGES = frozenset({"image/png", "image/jpeg", "image/tiff"})

SNIFF_BYTES = 8192
MAX_SCAN_BYTES = 64 << 20  # e-mail and HTML: read at most this much, whatever max_chars says

# Types a browser may show inline without running anything; everything else is attachment-only.
_INLINE_SAFE = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "text/plain", "text/csv"})

_EMAIL_HEADERS = (
    "received", "from", "return-path", "mime-version", "message-id", "date", "subject", "to",
    "delivered-to", "reply-to", "sender", "cc", "content-type", "dkim-signature",
    "authentication-results", "x-[a-z0-9-]+", "arc-[a-z-]+",
)
_EMAIL_FIRST_LINE = re.compile(rb"(?:" + "|".join(_EMAIL_HEADERS).encode() + rb")[ \t]*:", re.IGNORECASE)
_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
# WHATWG MIME sniffing, "identify an unknown MIME type": tags that make a browser treat bytes as HTML.
_HTML_TAGS = (
    b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1", b"<div", b"<font",
    b"<table", b"<a", b"<style", b"<title", b"<b", b"<body", b"<br", b"<p",
)

log = logging.getLogger(__name__)


def may_render_inline(mime: str) -> bool:
    """True only for types that are safe to show in the browser; HTML and unknown types are not."""
    return _base_type(mime) in _INLINE_SAFE


# --------------------------------------------------------------------------- sniffing


def sniff(path: str | Path) -> str:
    """The MIME type of the file at ``path``, from its content (magic bytes and a look at the text)."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
        truncated = bool(fh.read(1))
    if not head:
        return OCTET
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(path)
    if _looks_like_html(head):  # before any text check: cp1252 or UTF-16 HTML is still HTML to a browser
        return "text/html"
    text = _decode_head(head, truncated)
    if text is None and not _mostly_printable(head):
        return OCTET
    if _looks_like_email(head):
        return "message/rfc822"
    if text is not None and _looks_like_csv(text, truncated):
        return "text/csv"
    return "text/plain"


def _sniff_zip(path: str | Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:  # reads the central directory only, nothing is inflated
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "application/zip"
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names):
            return DOCX
        if any(n.startswith("xl/") for n in names):
            return XLSX
        if any(n.startswith("ppt/") for n in names):
            return PPTX
    return "application/zip"


def _decode_head(head: bytes, truncated: bool) -> str | None:
    """The head as text if it is valid UTF-8 without NUL bytes (a cut multibyte char at the end is fine)."""
    if b"\x00" in head:
        return None
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        return decoder.decode(head, final=not truncated)
    except UnicodeDecodeError:
        return None


def _mostly_printable(head: bytes) -> bool:
    """Legacy 8-bit text (Latin-1, cp1252): no NULs and at least 95% printable or whitespace bytes."""
    if b"\x00" in head:
        return False
    printable = sum(1 for b in head if 32 <= b < 127 or b in (9, 10, 12, 13) or b >= 160)
    return printable >= 0.95 * len(head)


def _looks_like_html(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a BOM, which browsers honour
        head = head.decode("utf-16", errors="ignore").encode("utf-8", errors="ignore")
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\n\r\x0c").lower()
    if start.startswith(b"<!--"):
        return True
    for tag in _HTML_TAGS:
        if start.startswith(tag) and start[len(tag) : len(tag) + 1] in (b" ", b">", b"\t", b"\n", b"\r", b"/"):
            return True
    return False


def _looks_like_email(head: bytes) -> bool:
    lines = head.removeprefix(b"\xef\xbb\xbf").splitlines()
    if not lines or not _EMAIL_FIRST_LINE.match(lines[0]):
        return False
    header_lines = 0
    for line in lines[:20]:
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            continue  # folded continuation of the previous header
        if not _HEADER_LINE.match(line):
            return False
        header_lines += 1
    return header_lines >= 2


def _looks_like_csv(text: str, truncated: bool) -> bool:
    lines = text.splitlines()
    if truncated and lines:
        lines = lines[:-1]  # the last line may be cut short
    lines = [ln for ln in lines[:20] if ln.strip()]
    if len(lines) < 2:
        return False
    try:
        widths = {len(row) for row in csv.reader(lines)}
    except csv.Error:
        return False
    return len(widths) == 1 and widths.pop() >= 2


# --------------------------------------------------------------------------- declared name vs. content

_DECLARED: dict[str, tuple[frozenset[str], str]] = {
    ".pdf": (frozenset({"application/pdf"}), "a PDF"),
    ".png": (frozenset({"image/png"}), "a PNG image"),
    ".jpg": (frozenset({"image/jpeg"}), "a JPEG image"),
    ".jpeg": (frozenset({"image/jpeg"}), "a JPEG image"),
    ".gif": (frozenset({"image/gif"}), "a GIF image"),
    ".tif": (frozenset({"image/tiff"}), "a TIFF image"),
    ".tiff": (frozenset({"image/tiff"}), "a TIFF image"),
    ".docx": (frozenset({DOCX}), "a Word document"),
    ".xlsx": (frozenset({XLSX}), "an Excel spreadsheet"),
    ".pptx": (frozenset({PPTX}), "a PowerPoint presentation"),
    ".zip": (frozenset({"application/zip", DOCX, XLSX, PPTX}), "a ZIP archive"),
}


def check_declared(path: str | Path, declared_filename: str) -> str | None:
    """A message for the uploader if the filename's extension promises a type the content is not.

    Only extensions with reliable magic bytes are checked (.pdf, images, OOXML, .zip);
    for others (.txt, .csv, .eml, no extension) the sniffed type simply wins.
    """
    name = ntpath.basename(declared_filename or "").rstrip(" .")  # "C:\\x\\a.PDF. " -> "a.PDF"
    ext = Path(name).suffix.lower()
    expected = _DECLARED.get(ext)
    if expected is None:
        return None
    allowed, what = expected
    if sniff(path) in allowed:
        return None
    return f"The file is named {ext} but is not {what}."


# --------------------------------------------------------------------------- PDFs
#
# PDFs are read with pypdfium2 (Google's PDFium, the engine of Chrome's PDF viewer, as a wheel from PyPI) when
# poppler's pdftotext is not used (foia/documents/sandbox.py): bench/bench_extract.py measures it at about 3x
# pypdf's pages/s and 0.6x pdftotext's. pypdf stays selectable (``engine="pypdf"``) only so the bench can
# measure the old path.

PDF_ENGINES = ("pdfium", "pypdf")


def pdf_page_count(path: str | Path, engine: str = "pdfium") -> int | None:
    """Number of pages, or None if the PDF cannot be opened."""
    try:
        if engine == "pypdf":
            return len(_open_pypdf(path).pages)
        import pypdfium2 as pdfium  # type: ignore[import-untyped]  # imported lazily: most callers never touch a PDF

        pdf = pdfium.PdfDocument(str(path))
        try:
            return len(pdf)
        finally:
            pdf.close()
    except MemoryError:
        raise  # the extraction sandbox reports its memory limit; nothing else may swallow it
    except Exception:
        return None


def _open_pypdf(path: str | Path) -> PdfReader:
    from pypdf import PdfReader

    reader = PdfReader(path, strict=False)
    if reader.is_encrypted:
        reader.decrypt("")  # many agency PDFs are "encrypted" with an empty user password
    return reader


def _pdf_pages_pdfium(path: str | Path, max_pages: int | None) -> Iterator[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))  # an empty user password is tried by PDFium itself
    try:
        count = len(pdf) if max_pages is None else min(len(pdf), max_pages)
        for index in range(count):
            try:
                page = pdf[index]
                try:
                    textpage = page.get_textpage()
                    try:
                        text = textpage.get_text_range()
                    finally:
                        textpage.close()
                finally:
                    page.close()
            except MemoryError:
                raise
            except Exception:
                log.debug("pdf page %d of %s: text extraction failed", index + 1, path, exc_info=True)
                text = ""
            yield text.replace("\r\n", "\n").replace("\r", "\n")
    finally:
        pdf.close()


def _pdf_pages_pypdf(path: str | Path, max_pages: int | None) -> Iterator[str]:
    reader = _open_pypdf(path)
    count = len(reader.pages) if max_pages is None else min(len(reader.pages), max_pages)
    for index in range(count):
        try:
            text = reader.pages[index].extract_text() or ""
        except MemoryError:
            raise
        except Exception:
            log.debug("pdf page %d of %s: text extraction failed", index + 1, path, exc_info=True)
            text = ""
        yield text


def _pdf_text(path: str | Path, max_chars: int, engine: str = "pdfium", max_pages: int | None = None) -> str:
    parts: list[str] = []
    total = 0
    pages = _pdf_pages_pypdf if engine == "pypdf" else _pdf_pages_pdfium
    try:
        for text in pages(path, max_pages):
            parts.append(text)
            total += len(text) + 1
            if total >= max_chars:
                break
    except MemoryError:
        raise
    except Exception:
        log.debug("pdf %s: unreadable", path, exc_info=True)
    return "\f".join(parts)[:max_chars]  # form feed between pages, as pdftotext does


def pages_with_images(path: str | Path, pages: list[int] | None) -> list[int]:
    """Which of ``pages`` (1-based; None: all) of the PDF show an image (a scan), looking into form XObjects too.
    A page without one has nothing for OCR to read: a blank separator, or vector text the extractor already had."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]

    pdf = pdfium.PdfDocument(str(path))
    try:
        wanted = pages if pages is not None else list(range(1, len(pdf) + 1))
        found = []
        for number in wanted:
            if not 1 <= number <= len(pdf):
                continue
            page = pdf[number - 1]
            try:
                if next(iter(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])), None) is not None:
                    found.append(number)
            finally:
                page.close()
        return found
    finally:
        pdf.close()


def sparse_pages(text: str, pages: int | None, *, min_chars: int = 20) -> list[int]:
    """The 1-based numbers of the pages of extracted ``text`` (pages separated by form feeds) with fewer than
    ``min_chars`` non-blank characters: scanned pages with no text layer, or only a stamped Bates number.
    Pages missing at the end of the text (trailing empty pages are trimmed) count as sparse too."""
    found = text.split("\f") if text else []
    sparse = [i + 1 for i, page in enumerate(found) if len("".join(page.split())) < min_chars]
    if pages is not None and pages > len(found):
        sparse.extend(range(len(found) + 1, pages + 1))
    elif pages is None and not found:
        sparse.append(1)
    return sparse


# --------------------------------------------------------------------------- text, e-mail, HTML


def extract_text(path: str | Path, mime: str, *, max_chars: int = 2_000_000, engine: str = "pdfium",
                 max_pages: int | None = None) -> str:
    """Plain text of the document for search, at most ``max_chars`` characters; "" if none.
    ``engine`` reads PDFs ("pdfium" or "pypdf"), at most ``max_pages`` of them."""
    if max_chars <= 0:
        return ""
    kind = _base_type(mime)
    try:
        if kind == "application/pdf":
            return _pdf_text(path, max_chars, engine, max_pages)
        if kind in ("text/plain", "text/csv"):
            return _read_prefix(path, max_chars * 4).decode("utf-8", errors="replace").lstrip("\ufeff")[:max_chars]
        if kind == "message/rfc822":
            return _email_text(_read_prefix(path, MAX_SCAN_BYTES), max_chars)
        if kind == "text/html":
            return _html_text(_read_prefix(path, MAX_SCAN_BYTES).decode("utf-8", errors="replace"), max_chars)
    except MemoryError:
        raise
    except Exception:
        log.debug("extract_text(%s, %s) failed", path, mime, exc_info=True)
    return ""


def _base_type(mime: str) -> str:
    return (mime or "").split(";", 1)[0].strip().lower()


def _read_prefix(path: str | Path, limit: int) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(limit)


def _email_text(raw: bytes, max_chars: int) -> str:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)  # policy.default always builds EmailMessage
    lines: list[str] = []
    for name in ("Subject", "From", "To", "Date"):
        try:
            value = msg.get(name)
        except Exception:
            value = None
        if value is not None:
            lines.append(f"{name}: {' '.join(str(value).split())}")
    body = ""
    part = _email_body_part(msg)
    if part is not None:
        body = _part_text(part)
        if part.get_content_type() == "text/html":
            body = _html_text(body, max_chars)
    return ("\n".join(lines) + "\n\n" + body.strip()).strip()[:max_chars]


def _email_body_part(msg: EmailMessage) -> MIMEPart | None:
    try:
        found = msg.get_body(preferencelist=("plain", "html"))
    except Exception:
        found = None
    if found is None:
        found = next((p for p in msg.walk() if p.get_content_type() in ("text/plain", "text/html")
                      and not p.is_attachment()), None)
    return found


def _part_text(part: MIMEPart) -> str:
    try:
        content = part.get_content()
        if isinstance(content, str):
            return content
    except Exception:
        pass
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        charset = part.get_content_charset() or "utf-8"
        try:
            return payload.decode(charset, errors="replace")
        except LookupError:
            return payload.decode("utf-8", errors="replace")
    return ""


def _html_text(markup: str, max_chars: int) -> str:
    """Search text of an HTML file or body: the shared renderer, one non-empty line per block."""
    lines = (" ".join(line.split()) for line in html_to_text(markup, max_chars=max_chars).splitlines())
    return "\n".join(line for line in lines if line)[:max_chars]
