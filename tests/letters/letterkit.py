"""Helpers for letter tests: render a letter and read the PDF back."""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import dataclass
from typing import Any

import pypdf

from foia.letters import letter_title, render_html, render_pdf, sample_context


@dataclass(frozen=True)
class Rendered:
    context: dict[str, Any]
    html: str
    pdf: bytes
    text: str  # pdftotext output, whitespace (incl. no-break spaces) collapsed

    @property
    def reader(self) -> pypdf.PdfReader:
        return pypdf.PdfReader(io.BytesIO(self.pdf))


def pdf_text(pdf: bytes) -> str:
    """Text of a PDF via poppler's pdftotext, with all whitespace runs collapsed."""
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return normalise(result.stdout.decode("utf-8"))


def normalise(text: str) -> str:
    """Collapse whitespace; rejoin "(a)(6)(A) (i)" where a line broke inside a citation."""
    text = re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()
    return re.sub(r"\) \(", ")(", text)


def render(kind: str, law: str, context: dict[str, Any] | None = None) -> Rendered:
    ctx = context if context is not None else sample_context(law, kind)
    html = render_html(kind, law, ctx)
    pdf = render_pdf(html, title=letter_title(kind, law, ctx))
    return Rendered(ctx, html, pdf, pdf_text(pdf))
