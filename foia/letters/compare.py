"""Comparing letter versions: the visible text of a letter and a word-level diff."""

from __future__ import annotations

import difflib
import re

from markupsafe import Markup, escape

from foia.core.text import html_to_text


def letter_text(html: str) -> str:
    """The visible text of a letter, one non-empty line per block, for comparing versions."""
    lines = (" ".join(line.split()) for line in html_to_text(html).splitlines())
    return "\n".join(line for line in lines if line)


_TOKEN = re.compile(r"\s+|[^\s]+")


def diff_markup(old: str, new: str) -> Markup:
    """Word-level difference of two texts as escaped HTML with <del>/<ins>."""
    a, b = _TOKEN.findall(old or ""), _TOKEN.findall(new or "")
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(str(escape("".join(a[i1:i2]))))
            continue
        if i2 > i1:
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return Markup("".join(out))
