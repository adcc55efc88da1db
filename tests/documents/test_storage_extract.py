"""Sniffing, declared-name checks, page counts and text extraction, on real files."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from foia.documents.extract import (
    DOCX,
    XLSX,
    check_declared,
    extract_text,
    may_render_inline,
    pdf_page_count,
    sniff,
)

PAGE_BREAK = "<p style='page-break-before: always'>"


def _pdf(html: str) -> bytes:
    weasyprint = pytest.importorskip("weasyprint")
    return weasyprint.HTML(string=html).write_pdf()


@pytest.fixture(scope="module")
def pdf_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("pdfs")
    (d / "one.pdf").write_bytes(_pdf("<p>Detention records from Adelanto ICE Processing Center</p>"))
    (d / "three.pdf").write_bytes(
        _pdf(f"<p>First page</p>{PAGE_BREAK}Second page about Adelanto</p>{PAGE_BREAK}Third page</p>")
    )
    return d


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    p = tmp_path / name
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return p


def make_zip(tmp_path: Path, name: str, entries: dict[str, str]) -> Path:
    p = tmp_path / name
    with zipfile.ZipFile(p, "w") as zf:
        for entry, text in entries.items():
            zf.writestr(entry, text)
    return p


EML = (
    "Return-Path: <foia@agency.gov>\r\n"
    "Received: from mail.agency.gov by mx.example.org; Tue, 13 Jan 2026 10:00:00 -0800\r\n"
    "From: FOIA Office <foia@agency.gov>\r\n"
    "To: requester@example.org\r\n"
    "Subject: Your request 2026-ICFO-0042\r\n"
    "Date: Tue, 13 Jan 2026 10:00:00 -0800\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "We located 40 pages of records about Adelanto and are releasing them in part.\r\n"
)

HTML = """<!DOCTYPE html>
<html><head><title>Release</title><style>.Adelanto-style { color: red }</style>
<script>var secret = "ScriptOnlyWord Adelanto";</script></head>
<body><h1>Records</h1><p>Inspection report for Adelanto &amp; Otay Mesa.</p></body></html>
"""


# --------------------------------------------------------------------------- sniff


def test_sniff_pdf(pdf_dir: Path) -> None:
    assert sniff(pdf_dir / "one.pdf") == "application/pdf"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40, "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40, "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 20, "image/gif"),
        (b"name,facility,count\nA,Adelanto,3\nB,Otay Mesa,4\nC,\"Mesa, Verde\",5\n", "text/csv"),
        ("Dear FOIA officer,\nPlease find attached — the records.\n".encode(), "text/plain"),
        ("Caf\xe9 au lait, r\xe9sum\xe9 of the fee waiver\n".encode("latin-1"), "text/plain"),
        (HTML.encode(), "text/html"),
        (b"\n\n   <html><body>hi</body></html>", "text/html"),
        (b"<script>alert(1)</script>", "text/html"),
        (b"\xef\xbb\xbf<!doctype HTML><p>bom</p>", "text/html"),
        ("<html><p>Caf\xe9 \x93quoted\x94</p>".encode("latin-1"), "text/html"),
        ("\ufeff<html><body>utf16</body></html>".encode("utf-16-le"), "text/html"),
        (b"<HTML>\x00 with a NUL", "text/html"),
        (EML.encode(), "message/rfc822"),
        (os.urandom(4096).replace(b"%PDF", b"xxxx") + b"\x00", "application/octet-stream"),
        (b"\x00\x01\x02\x03binary", "application/octet-stream"),
    ],
    ids=["png", "jpeg", "gif", "csv", "text", "latin1-text", "html", "html-ws", "script", "html-bom",
         "html-cp1252", "html-utf16", "html-nul", "eml",
         "random", "nul"],
)
def test_sniff_by_content(tmp_path: Path, data: bytes, expected: str) -> None:
    # A misleading name on purpose: the name must not matter.
    assert sniff(write(tmp_path, "upload.pdf", data)) == expected


def test_sniff_text_that_is_not_csv(tmp_path: Path) -> None:
    prose = "Hello, world.\nThis line has no comma\nBut this one, has, three, commas\n"
    assert sniff(write(tmp_path, "a.csv", prose)) == "text/plain"
    uneven = "Dear officer, hello.\nWe, the undersigned, ask for records.\nThanks, all\n"  # 2, 3, 2 fields
    assert sniff(write(tmp_path, "u.csv", uneven)) == "text/plain"
    assert sniff(write(tmp_path, "b.txt", "From the desk of the records officer, greetings.\n")) == "text/plain"


def test_sniff_long_utf8_text_cut_mid_character(tmp_path: Path) -> None:
    # 8191 ASCII bytes then a 2-byte char straddling the 8 KiB sniff window.
    assert sniff(write(tmp_path, "t.txt", "a" * 8191 + "é" * 100)) == "text/plain"


def test_sniff_zip_docx_xlsx(tmp_path: Path) -> None:
    plain = make_zip(tmp_path, "a.zip", {"records/page1.txt": "x", "word/not-really.txt": "y"})
    docx = make_zip(tmp_path, "b.bin", {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
    xlsx = make_zip(tmp_path, "c.bin", {"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"})
    assert sniff(plain) == "application/zip"
    assert sniff(docx) == DOCX
    assert sniff(xlsx) == XLSX


def test_sniff_truncated_zip_is_still_a_zip(tmp_path: Path) -> None:
    good = make_zip(tmp_path, "a.zip", {"[Content_Types].xml": "<Types/>", "word/document.xml": "x" * 500})
    broken = write(tmp_path, "b.zip", good.read_bytes()[:100])
    assert sniff(broken) == "application/zip"


def test_sniff_empty_file(tmp_path: Path) -> None:
    assert sniff(write(tmp_path, "e", b"")) == "application/octet-stream"


def test_html_is_never_inline_but_pdf_may_be() -> None:
    assert not may_render_inline("text/html")
    assert not may_render_inline("TEXT/HTML; charset=utf-8")
    assert not may_render_inline("application/octet-stream")
    assert may_render_inline("application/pdf")


# --------------------------------------------------------------------------- check_declared


def test_check_declared_refuses_html_named_pdf(tmp_path: Path) -> None:
    fake = write(tmp_path, "x.pdf", HTML)
    assert check_declared(fake, "x.pdf") == "The file is named .pdf but is not a PDF."
    assert check_declared(fake, "C:\\Users\\me\\Scan.PDF") == "The file is named .pdf but is not a PDF."
    assert check_declared(fake, "x.pdf. ") == "The file is named .pdf but is not a PDF."


def test_check_declared_accepts_matching_and_unchecked_names(tmp_path: Path, pdf_dir: Path) -> None:
    assert check_declared(pdf_dir / "one.pdf", "release.pdf") is None
    text = write(tmp_path, "x", "plain words")
    assert check_declared(text, "notes.txt") is None
    assert check_declared(text, "no-extension") is None
    assert check_declared(text, "") is None
    docx = make_zip(tmp_path, "d", {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"})
    assert check_declared(docx, "letter.docx") is None
    assert check_declared(docx, "bundle.zip") is None
    assert check_declared(text, "letter.docx") == "The file is named .docx but is not a Word document."
    assert check_declared(text, "photo.jpg") == "The file is named .jpg but is not a JPEG image."


# --------------------------------------------------------------------------- PDFs


def test_pdf_page_count(pdf_dir: Path) -> None:
    assert pdf_page_count(pdf_dir / "three.pdf") == 3
    assert pdf_page_count(pdf_dir / "one.pdf") == 1


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\n%garbage that is not a pdf\n", b"", b"<html>not a pdf</html>", os.urandom(2000)],
    ids=["header-only", "empty", "html", "random"],
)
def test_pdf_page_count_of_broken_pdf_is_none(tmp_path: Path, data: bytes) -> None:
    assert pdf_page_count(write(tmp_path, "bad.pdf", data)) is None


def test_extract_text_from_pdf(pdf_dir: Path) -> None:
    text = extract_text(pdf_dir / "one.pdf", "application/pdf")
    assert "Adelanto" in text
    pages = extract_text(pdf_dir / "three.pdf", "application/pdf").split("\f")
    assert len(pages) == 3
    assert "Adelanto" in pages[1] and "Adelanto" not in pages[0]


def test_extract_text_from_pdf_stops_at_max_chars(pdf_dir: Path) -> None:
    text = extract_text(pdf_dir / "three.pdf", "application/pdf", max_chars=12)
    assert text == "First page\fS"


@pytest.mark.parametrize("engine", ["pdfium", "pypdf"])
def test_extract_text_from_pdf_reads_no_pages_past_max_chars(pdf_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                             engine: str) -> None:
    import pypdfium2
    from pypdf import PageObject

    calls: list[int] = []
    original = PageObject.extract_text
    monkeypatch.setattr(PageObject, "extract_text", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    original_textpage = pypdfium2.PdfPage.get_textpage
    monkeypatch.setattr(pypdfium2.PdfPage, "get_textpage",
                        lambda self, *a, **k: calls.append(1) or original_textpage(self, *a, **k))
    assert extract_text(pdf_dir / "three.pdf", "application/pdf", max_chars=5, engine=engine) == "First"
    assert len(calls) == 1


def test_extract_text_from_truncated_pdf_does_not_raise(tmp_path: Path, pdf_dir: Path) -> None:
    data = (pdf_dir / "three.pdf").read_bytes()
    cut = write(tmp_path, "cut.pdf", data[: len(data) // 2])
    assert isinstance(extract_text(cut, "application/pdf"), str)
    assert extract_text(write(tmp_path, "junk.pdf", b"%PDF-1.4\n" + os.urandom(5000)), "application/pdf") == ""


# --------------------------------------------------------------------------- text, CSV, e-mail, HTML


def test_extract_text_from_csv_and_plain_text(tmp_path: Path) -> None:
    csv_path = write(tmp_path, "d.csv", "facility,deaths\nAdelanto,2\n")
    assert sniff(csv_path) == "text/csv"
    assert extract_text(csv_path, "text/csv") == "facility,deaths\nAdelanto,2\n"
    bad_utf8 = write(tmp_path, "t.txt", b"\xef\xbb\xbfAdelanto \xff\xfe records")
    assert extract_text(bad_utf8, "text/plain; charset=utf-8") == "Adelanto \ufffd\ufffd records"
    assert extract_text(write(tmp_path, "big.txt", "x" * 5000), "text/plain", max_chars=100) == "x" * 100


def test_extract_text_from_eml(tmp_path: Path) -> None:
    path = write(tmp_path, "reply.eml", EML)
    text = extract_text(path, sniff(path))
    assert "Subject: Your request 2026-ICFO-0042" in text
    assert "From: FOIA Office <foia@agency.gov>" in text
    assert "Date: Tue, 13 Jan 2026 10:00:00 -0800" in text
    assert "records about Adelanto" in text
    assert "Received" not in text  # only the headers a person reads


def test_extract_text_from_multipart_eml_prefers_plain_and_handles_html_only(tmp_path: Path) -> None:
    multipart = (
        "From: a@agency.gov\nSubject: Interim release\nMIME-Version: 1.0\n"
        'Content-Type: multipart/alternative; boundary="b1"\n\n'
        "--b1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        "Adelanto records =E2=80=94 part one\n"
        "--b1\nContent-Type: text/html; charset=utf-8\n\n<p>HTML twin</p>\n--b1--\n"
    )
    text = extract_text(write(tmp_path, "m.eml", multipart), "message/rfc822")
    assert "Adelanto records \u2014 part one" in text and "HTML twin" not in text
    html_only = (
        "From: a@agency.gov\nSubject: s\nContent-Type: text/html; charset=utf-8\n\n"
        "<html><script>NoScriptWords()</script><p>Adelanto letter</p></html>\n"
    )
    text = extract_text(write(tmp_path, "h.eml", html_only), "message/rfc822")
    assert "Adelanto letter" in text and "NoScriptWords" not in text and "<p>" not in text


def test_extract_text_from_html_skips_script_and_style(tmp_path: Path) -> None:
    path = write(tmp_path, "page.html", HTML)
    text = extract_text(path, sniff(path))
    assert "Inspection report for Adelanto & Otay Mesa." in text
    assert "Records" in text
    assert "ScriptOnlyWord" not in text
    assert "secret" not in text
    assert "Adelanto-style" not in text
    assert "<p>" not in text


@pytest.mark.parametrize(
    ("mime", "data"),
    [
        ("message/rfc822", b"From: \xff\xfe\nSubject: =?bogus?Q?x?=\nContent-Type: text/plain; charset=klingon\n\n\xff body"),
        ("message/rfc822", b"\x00\x01\x02"),
        ("text/html", b"<html><scr<<ipt>>><p>unclosed <!-- comment <![CDATA[ \xff"),
        ("text/plain", b"\x00" * 10),
        ("application/zip", b"PK\x03\x04junk"),
        ("image/png", b"\x89PNG\r\n\x1a\n"),
        ("", b"anything"),
    ],
)
def test_extract_text_never_raises_on_malformed_input(tmp_path: Path, mime: str, data: bytes) -> None:
    assert isinstance(extract_text(write(tmp_path, "f", data), mime), str)


def test_extract_text_of_other_types_is_empty(tmp_path: Path) -> None:
    png = write(tmp_path, "i.png", b"\x89PNG\r\n\x1a\nAdelanto")
    assert extract_text(png, "image/png") == ""
    assert extract_text(png, "application/octet-stream") == ""


def test_extract_text_of_missing_file_is_empty(tmp_path: Path) -> None:
    assert extract_text(tmp_path / "gone.pdf", "application/pdf") == ""
    assert extract_text(tmp_path / "gone.txt", "text/plain") == ""
