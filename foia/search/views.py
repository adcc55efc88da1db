"""Search page and the filter that turns snippet markers into <mark> after escaping."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from foia.extensions import db
from foia.search.service import MARK_END, MARK_START, query_terms, search

bp = Blueprint("search", __name__)

MAX_QUERY_CHARS = 500
SEARCH_LIMIT = 50   # the best matches shown; the page says so when there may be more (no pages: ranked results)


def highlight(snippet: str | None) -> Markup:
    """Escape the snippet, then mark the matched terms; markers always pair up."""
    out: list[str] = []
    open_mark = False
    for piece in _split_markers(snippet or ""):
        if piece == MARK_START:
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif piece == MARK_END:
            if open_mark:
                out.append("</mark>")
                open_mark = False
        else:
            out.append(str(escape(piece)))
    if open_mark:
        out.append("</mark>")
    return Markup("".join(out))


def _split_markers(text: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for i, ch in enumerate(text):
        if ch in (MARK_START, MARK_END):
            if i > start:
                pieces.append(text[start:i])
            pieces.append(ch)
            start = i + 1
    if start < len(text):
        pieces.append(text[start:])
    return pieces


@bp.app_template_filter("highlight")
def highlight_filter(snippet: str | None) -> Markup:
    return highlight(snippet)


@bp.route("/search")
@login_required
def index():
    q = (request.args.get("q") or "").strip()[:MAX_QUERY_CHARS]
    terms = query_terms(q)
    hits = search(db.session(), current_user, q, limit=SEARCH_LIMIT) if terms else []
    groups: list[dict] = []  # one per request, in the order of its best hit
    by_ref: dict[str, dict] = {}
    for hit in hits:
        group = by_ref.get(hit.ref)
        if group is None:
            group = by_ref[hit.ref] = {"ref": hit.ref, "title": hit.request_title, "hits": []}
            groups.append(group)
        group["hits"].append(hit)
    return render_template("search/index.html", q=q, terms=terms, hits=hits, groups=groups, limit=SEARCH_LIMIT)
