"""Text helpers shared by every feature: HTML to text, and text as stored for search."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Private-use characters the search module uses to mark highlighted terms; stripped from indexed
# text so a document cannot forge a highlight.
HIGHLIGHT_MARKERS = ("\ue000", "\ue001")


def index_text(text: str | None) -> str:
    """Text as stored for search: no NUL (PostgreSQL refuses it) and no highlight markers."""
    text = text or ""
    for ch in ("\x00", *HIGHLIGHT_MARKERS):
        text = text.replace(ch, "")
    return text


# ---------------------------------------------------------------- HTML -> text

_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "tr", "ul",
}
# Tags that start a new line but do not end a paragraph (no blank line after them).
_LINE_TAGS = {"br", "dd", "dt", "li", "tr"}
_SKIP_TAGS = {"head", "script", "style", "template", "title", "noscript"}


class _TextRenderer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0
        self.href: str | None = None
        self.link_text: list[str] = []
        self.size = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth += 1
        elif tag == "pre":
            self.pre_depth += 1
        if tag in _BLOCK_TAGS:
            self.chunks.append("\n")
        if tag == "li":
            self.chunks.append("- ")
        elif tag in ("td", "th"):
            self.chunks.append(" ")
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
        elif tag == "a" and self.href:
            shown = "".join(self.link_text).strip()
            if self.href.startswith(("http:", "https:", "mailto:")) and self.href.removeprefix("mailto:") != shown:
                self.chunks.append(f" ({self.href})")
            self.href = None
        if tag in _BLOCK_TAGS and tag not in _LINE_TAGS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if not self.pre_depth:
            data = re.sub(r"\s+", " ", data)
        if self.href is not None:
            self.link_text.append(data)
        self.chunks.append(data)
        self.size += len(data)


def html_to_text(html: str, *, max_chars: int | None = None) -> str:
    """A readable plain-text rendering of HTML: tags dropped, entities unescaped, blocks on their own lines.

    The one HTML-to-text function: mail bodies, search text and letter comparisons all use it.
    <head>, scripts and styles are skipped; a link whose text is not its address gets the address
    in parentheses. With `max_chars`, parsing stops once that much text is collected (a huge
    document is not parsed whole) and the result is cut to that length.
    """
    renderer = _TextRenderer()
    step = 1 << 16
    try:
        for start in range(0, len(html), step):
            renderer.feed(html[start : start + step])
            if max_chars is not None and renderer.size >= max_chars:
                break
        else:
            renderer.close()
    except Exception:
        pass
    lines = [line.strip() for line in "".join(renderer.chunks).replace("\xa0", " ").splitlines()]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text if max_chars is None else text[:max_chars]


#: What a spreadsheet takes as the start of a formula (OWASP "CSV injection"): such text is exported with a
#: leading single quote, so it shows as typed and never runs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet would run as a formula, made plain text with a leading single quote."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
