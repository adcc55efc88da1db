"""`flask foia search`: full-text search from the command line."""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import with_appcontext

from foia.core.cli import as_admin
from foia.extensions import db


@click.command("search")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--limit", type=int, default=20, show_default=True, help="At most this many matches.")
@with_appcontext
def search_command(query: str, as_json: bool, limit: int) -> None:
    """Full-text search over requests, communications and documents (every word must match)."""
    from foia.search.service import MARK_END, MARK_START, query_terms, search

    hits = search(db.session(), as_admin(), query, limit=limit)
    out: list[dict[str, Any]] = [{"ref": h.ref, "request_title": h.request_title, "source_type": h.source_type,
            "document": h.filename, "document_id": h.document_id, "communication_id": h.communication_id,
            "snippet": h.snippet.replace(MARK_START, "[").replace(MARK_END, "]"), "rank": h.rank} for h in hits]
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    if not query_terms(query):
        click.echo("Nothing to search for: give one or more words.")
        return
    if not out:
        click.echo("No matches.")
        return
    for h in out:
        where = f"document {h['document']}" if h["document"] else h["source_type"]
        click.echo(f"{h['ref']:<14} {where}\n    {' '.join(h['snippet'].split())}")
