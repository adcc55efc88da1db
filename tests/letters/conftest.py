"""Fixtures for letter tests: render each (law, kind) once per session."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pypdf
import pytest

from foia.letters.render import letter_title, render_html, render_pdf, sample_context

_CACHE: dict[tuple[str, str], Rendered] = {}


@pytest.fixture(scope="session")
def rendered() -> Callable[[str, str], Rendered]:
    """rendered(law, kind) -> Rendered for the sample context (cached for the session)."""

    def get(law: str, kind: str) -> Rendered:
        key = (law, kind)
        if key not in _CACHE:
            _CACHE[key] = render(kind, law)
        return _CACHE[key]

    return get


# ---------------------------------------------------------------- helpers (imported by the tests)

@dataclass(frozen=True)
class Rendered:
    context: dict[str, Any]
    html: str
    pdf: bytes
    text: str  # pypdf text extraction, normalised (see ``normalise``)

    @property
    def reader(self) -> pypdf.PdfReader:
        return pypdf.PdfReader(io.BytesIO(self.pdf))


def pdf_text(pdf: bytes) -> str:
    """Text of a PDF via pypdf (pure Python, no poppler needed), normalised."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return normalise("\n".join(page.extract_text() or "" for page in reader.pages))


#: Typographic ligatures a font may map a glyph run to; NFKC would expand them too,
#: but it also rewrites other characters the assertions compare (e.g. "…").
_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"})


def normalise(text: str) -> str:
    """Collapse whitespace; expand ligatures; rejoin "(a)(6)(A) (i)" where a line broke inside a citation.

    Every Unicode space (no-break, narrow no-break, thin...) counts as whitespace, as
    it did with pdftotext, and soft hyphens are dropped.
    """
    text = unicodedata.normalize("NFC", text).translate(_LIGATURES).replace("\u00ad", "")
    text = re.sub(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+", " ", text).strip()
    return re.sub(r"\) \(", ")(", text)


def render(kind: str, law: str, context: dict[str, Any] | None = None) -> Rendered:
    ctx = context if context is not None else sample_context(law, kind)
    html = render_html(kind, law, ctx)
    pdf = render_pdf(html, title=letter_title(kind, law, ctx))
    return Rendered(ctx, html, pdf, pdf_text(pdf))
