"""Reproducible bytes (dates, IDs, tagged tables) and the content-addressed PdfCache."""

from __future__ import annotations

import gc
import hashlib
import io
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pydyf
import pypdf
import pytest

import foia.letters.render.cache as cache_module
from foia.letters.render import (
    PdfCache,
    letter_title,
    render_html,
    render_pdf,
    sample_context,
)
from foia.letters.render.pdf import stable_structure_ids


def _letter(law: str = "nj-opra", kind: str = "follow-up") -> tuple[str, str]:
    ctx = sample_context(law, kind)
    return render_html(kind, law, ctx), letter_title(kind, law, ctx)


def test_dates_come_from_the_letter_date_or_created() -> None:
    html, title = _letter()
    info: Any = pypdf.PdfReader(io.BytesIO(render_pdf(html, title=title))).metadata
    assert info is not None
    assert info["/CreationDate"] == "D:20250804" and info["/ModDate"] == "D:20250804"

    stamped = render_pdf(html, title=title, created=date(2025, 8, 5))
    info = pypdf.PdfReader(io.BytesIO(stamped)).metadata
    assert info is not None and info["/CreationDate"] == "D:20250805"

    moment = datetime(2025, 8, 5, 14, 30, 5, 123, tzinfo=UTC)
    info = pypdf.PdfReader(io.BytesIO(render_pdf(html, title=title, created=moment))).metadata
    assert info is not None and info["/CreationDate"] == "D:20250805143005+00'00"
    assert render_pdf(html, title=title, created=moment) == render_pdf(
        html, title=title, created=moment
    )


def test_title_and_language_are_taken_from_arguments() -> None:
    html, _ = _letter()
    pdf = render_pdf(html, title="Letter to the Custodian", lang="en-US")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    trailer: Any = reader.trailer
    assert reader.metadata is not None and reader.metadata.title == "Letter to the Custodian"
    assert trailer["/Root"]["/Lang"] == "en-US"
    assert len(trailer["/ID"]) == 2
    # A different title is a different document (and a different /ID).
    assert pdf != render_pdf(html, title="Another title", lang="en-US")


def test_tagged_tables_are_reproducible() -> None:
    """WeasyPrint gives <th> its own IDs (id(box) in 69); render_pdf renumbers them."""
    html = TABLE_HTML
    first = render_pdf(html, title="t")
    assert all(render_pdf(html, title="t") == first for _ in range(3))
    header_ids, headers_refs = _table_ids(first)
    assert header_ids == ["TH1", "TH2", "TH3"]
    assert set(headers_refs) == set(header_ids)


TABLE_HTML = """<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>
    <table><tr><th>Date</th><th>Event</th></tr><tr><td>June 20</td><td>Sent</td></tr>
    <tr><th scope="row">Due</th><td>July 21</td></tr></table></body></html>"""


def _table_ids(pdf: bytes) -> tuple[list[str], list[str]]:
    """(/ID of each TH, every /Headers entry) in structure-tree order."""
    header_ids: list[str] = []
    headers_refs: list[str] = []

    def walk(node: object) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, pypdf.generic.ArrayObject):
            for item in node:
                walk(item)
        elif isinstance(node, pypdf.generic.DictionaryObject):
            if node.get("/S") == "/TH":
                header_ids.append(str(node["/ID"]))
            attributes = node.get("/A")
            if isinstance(attributes, pypdf.generic.DictionaryObject) and "/Headers" in attributes:
                headers: Any = attributes["/Headers"]
                headers_refs.extend(str(h) for h in headers)
            if "/K" in node:
                walk(node["/K"])

    trailer: Any = pypdf.PdfReader(io.BytesIO(pdf)).trailer
    walk(trailer["/Root"]["/StructTreeRoot"])
    return header_ids, headers_refs


def _churn_memory(rounds: int = 4) -> list[object]:
    """Allocate and free many objects of mixed sizes so later objects land at other addresses.

    Returns a share of them, to be kept alive while the caller renders again: the heap
    then has a different layout (and freed addresses to reuse) than at the first render.
    """
    survivors: list[object] = []
    for round_ in range(rounds):
        batch: list[object] = []
        for i in range(50_000):
            kind = i % 4
            if kind == 0:
                batch.append({"i": i, "r": round_})
            elif kind == 1:
                batch.append([i] * (i % 17))
            elif kind == 2:
                batch.append(f"{i}-{round_}" * (i % 5))
            else:
                batch.append(type("Box", (), {"n": i}) if i % 997 == 0 else object())
        survivors.extend(batch[round_::7])
        del batch
        gc.collect()
    return survivors


def test_letter_bytes_do_not_depend_on_memory_layout() -> None:
    """Identical bytes for the same letter however the heap looks: no ID derives from id()."""
    html, title = _letter("us-foia", "appeal")
    first_letter = render_pdf(html, title=title)
    first_table = render_pdf(TABLE_HTML, title="t")
    kept = _churn_memory()
    assert render_pdf(TABLE_HTML, title="t") == first_table
    assert render_pdf(html, title=title) == first_letter
    del kept
    gc.collect()
    _churn_memory(rounds=2)  # and again with the freed space reused
    assert render_pdf(html, title=title) == first_letter
    assert render_pdf(TABLE_HTML, title="t") == first_table
    assert _table_ids(first_table)[0] == ["TH1", "TH2", "TH3"]


def test_structure_ids_never_keep_the_renderers_own_ids() -> None:
    """Colliding IDs (a reused memory address) and dangling /Headers are not written as they came."""
    pdf = pydyf.PDF()
    th = [pydyf.Dictionary({"Type": "/StructElem", "S": "/TH", "ID": pydyf.String(address)})
          for address in ("140230001", "140230002", "140230002")]  # the last two share an address
    td = pydyf.Dictionary({"Type": "/StructElem", "S": "/TD", "A": pydyf.Dictionary({
        "O": "/Table", "Headers": pydyf.Array([pydyf.String(a) for a in ("140230001", "140230002", "999")])})})
    lone = pydyf.Dictionary({"Type": "/StructElem", "S": "/TD", "A": pydyf.Dictionary({
        "O": "/Table", "Headers": pydyf.Array([pydyf.String("999")])})})
    for obj in (*th, td, lone):
        pdf.add_object(obj)
    stable_structure_ids(None, pdf)
    assert [element["ID"].data for element in th] == [b"(TH1)", b"(TH2)", b"(TH3)"]
    assert [header.data for header in td["A"]["Headers"]] == [b"(TH1)"]
    assert "Headers" not in lone["A"]


def test_same_bytes_in_a_fresh_process() -> None:
    html, title = _letter("us-foia", "request")
    here = hashlib.sha256(render_pdf(html, title=title)).hexdigest()
    code = (
        "import hashlib;"
        "from foia.letters.render import *;"
        "c=sample_context('us-foia','request');"
        "h=render_html('request','us-foia',c);"
        "print(hashlib.sha256(render_pdf(h,title=letter_title('request','us-foia',c))).hexdigest())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == here


def test_cache_miss_then_hit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    html, title = _letter()
    cache = PdfCache(tmp_path / "pdfs")
    pdf, digest, hit = cache.get_or_render(html, title=title)
    assert not hit and pdf.startswith(b"%PDF-")
    assert digest == hashlib.sha256(pdf).hexdigest()
    stored = cache.path_for(PdfCache.key(html, title=title))
    assert stored.read_bytes() == pdf
    assert [p.name for p in stored.parent.iterdir()] == [stored.name], "no temporary files left"

    def no_render(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("a hit must not render")

    monkeypatch.setattr(cache_module, "render_pdf", no_render)
    again, digest_again, hit_again = cache.get_or_render(html, title=title)
    assert hit_again and again == pdf and digest_again == digest


def test_cache_keys_cover_html_and_options(tmp_path: Path) -> None:
    html, title = _letter()
    keys = {
        PdfCache.key(html, title=title),
        PdfCache.key(html, title=title, lang="es"),
        PdfCache.key(html, title=title, created=date(2025, 8, 5)),
        PdfCache.key(html + " ", title=title),
        PdfCache.key(html, title=title + "!"),
    }
    assert len(keys) == 5
    assert PdfCache.key(html, title=title, lang="en") == PdfCache.key(html, lang="en", title=title)
    cache = PdfCache(tmp_path)
    a, _, _ = cache.get_or_render(html, title=title)
    b, _, hit = cache.get_or_render(html, title=title, created=date(2025, 8, 5))
    assert not hit and a != b


def test_cache_rerenders_a_damaged_entry(tmp_path: Path) -> None:
    html, title = _letter()
    cache = PdfCache(tmp_path)
    pdf, _, _ = cache.get_or_render(html, title=title)
    path = cache.path_for(PdfCache.key(html, title=title))
    path.write_bytes(b"")  # e.g. a disk-full leftover from some other writer
    again, _, hit = cache.get_or_render(html, title=title)
    assert not hit and again == pdf and path.read_bytes() == pdf


def test_failed_write_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    html, title = _letter()
    cache = PdfCache(tmp_path)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("foia.letters.render.cache.os.replace", broken_replace)
    with pytest.raises(OSError):
        cache.get_or_render(html, title=title)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_importing_the_app_does_not_import_weasyprint() -> None:
    """WeasyPrint is imported where a PDF is rendered, so CLI and worker start-up stay fast."""
    code = (
        "import sys, foia, foia.cli, foia.blueprints, foia.letters.service, foia.mailroom.export, foia.letters.render, foia.scheduler;"
        "from foia.letters.render.cache import assets_fingerprint; assets_fingerprint();"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'weasyprint'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
