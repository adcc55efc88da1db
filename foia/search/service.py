"""Full-text search over search_entries (request text, communications, document text).

One function, two engines: SQLite FTS5 (table ``search_fts``, bm25 ranking, ``snippet``) and
PostgreSQL (``websearch_to_tsquery`` against the stored ``tsv`` column and its GIN index, ``ts_rank``,
``ts_headline``). The FTS5 table comes from migration 0009, the stored tsvector from 0011.

What a person types is never handed to FTS5 syntax: ``query_terms`` keeps words only (no quotes,
operators, prefixes, column filters or parentheses) and each word becomes a quoted FTS5 string,
so any input is a valid query. Visibility is part of the SQL (``visible_clause``), never a filter
applied afterwards. Snippets mark matched terms with the private-use characters ``MARK_START`` and
``MARK_END`` (stripped from indexed text, so a document cannot forge them); the page escapes the
snippet and only then turns the markers into ``<mark>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, column, func, literal_column, select, table, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnClause

from foia.core.access import visible_clause
from foia.core.text import index_text
from foia.models import Request, User
from foia.models.communication import SearchEntry

__all__ = ["MARK_END", "MARK_START", "MAX_TERMS", "SearchHit", "index_request", "query_terms", "search"]

MARK_START, MARK_END = "\ue000", "\ue001"
MAX_TERMS = 12
SNIPPET_TOKENS = 12
# PostgreSQL stores each entry's tsvector in a generated column with a GIN index (migration 0011), so
# matching and ranking read it instead of recomputing it from the text.
PG_TSVECTOR = "search_entries.tsv"

# Uppercase AND/OR/NOT/NEAR are FTS5 operators; "or" in any case is an operator to websearch_to_tsquery.
# and/or/not are stop words in English, so dropping them loses nothing.
_OPERATOR_WORDS = frozenset({"and", "or", "not"})
_COLUMN_FILTER = re.compile(r"\w+:")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class SearchHit:
    ref: str
    request_title: str
    source_type: str  # request | communication | document
    source_id: int
    title: str  # the document's file name, the communication's subject or the request's title
    snippet: str  # matched terms wrapped in MARK_START ... MARK_END
    rank: float  # higher is better

    @property
    def document_id(self) -> int | None:
        return self.source_id if self.source_type == "document" else None

    @property
    def filename(self) -> str | None:
        return self.title if self.source_type == "document" else None

    @property
    def communication_id(self) -> int | None:
        return self.source_id if self.source_type == "communication" else None


def query_terms(query: str | None) -> list[str]:
    """The words of ``query`` that are searched for: no operators, quotes, prefixes or column filters."""
    terms: list[str] = []
    for token in (query or "").split():
        token = _COLUMN_FILTER.sub(" ", token)  # "title:x" -> " x": a column filter is dropped, its word kept
        for word in _WORD.findall(token.replace("_", " ")):
            if word.lower() in _OPERATOR_WORDS or word == "NEAR":
                continue
            if word not in terms:
                terms.append(word)
    return terms[:MAX_TERMS]


def _fts5_query(terms: list[str]) -> str:
    # Each term a quoted string (quotes doubled, though \w+ cannot hold one): implicit AND between them.
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


def search(session: Session, user: User, query: str, *, limit: int = 20) -> list[SearchHit]:
    """Entries matching every word of ``query`` among the requests ``user`` may see, best first."""
    terms = query_terms(query)
    if not terms or limit < 1:
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return _search_sqlite(session, user, terms, limit)
    if dialect == "postgresql":
        return _search_postgres(session, user, terms, limit)
    raise NotImplementedError(f"full-text search is not available on {dialect}")


def _hits(rows, snippets: dict[int, str]) -> list[SearchHit]:
    return [SearchHit(ref=r.ref, request_title=r.request_title, source_type=r.source_type, source_id=r.source_id,
                      title=r.title, snippet=snippets.get(r.id, ""), rank=float(r.rank)) for r in rows]


_ENTRY_COLUMNS = (SearchEntry.id, SearchEntry.source_type, SearchEntry.source_id, SearchEntry.title,
                  Request.ref, Request.title.label("request_title"))


def _search_sqlite(session: Session, user: User, terms: list[str], limit: int) -> list[SearchHit]:
    fts = table("search_fts", column("rowid"))
    match = text("search_fts MATCH :q").bindparams(q=_fts5_query(terms))
    # bm25 is "lower is better"; the file name or subject (title) weighs twice the body.
    score = func.bm25(literal_column("search_fts"), 2.0, 1.0)
    top = (select(*_ENTRY_COLUMNS, (-score).label("rank"))
           .select_from(fts.join(SearchEntry, SearchEntry.id == fts.c.rowid)
                        .join(Request, Request.id == SearchEntry.request_id))
           .where(match, visible_clause(user))
           .order_by(score, SearchEntry.id.desc()).limit(limit))
    rows = session.execute(top).all()
    if not rows:
        return []
    # Snippets only for the rows shown: computing them inside the ranked query would build one per match.
    def snip(col: int):
        return func.snippet(literal_column("search_fts"), col, MARK_START, MARK_END, "…", SNIPPET_TOKENS)

    snippets = {rowid: _prefer_marked(body, title) for rowid, body, title in session.execute(
        select(fts.c.rowid, snip(1), snip(0)).select_from(fts)
        .where(text("search_fts MATCH :q").bindparams(q=_fts5_query(terms)),
               fts.c.rowid.in_([r.id for r in rows]))).all()}
    return _hits(rows, snippets)


def _prefer_marked(body: str | None, title: str | None) -> str:
    """The body's snippet when a term matched there, else the title's (the file name or subject)."""
    if body and MARK_START in body:
        return body
    if title and MARK_START in title:
        return title
    return body or title or ""


def _search_postgres(session: Session, user: User, terms: list[str], limit: int) -> list[SearchHit]:
    tsv: ColumnClause[Any] = literal_column(PG_TSVECTOR)
    tsq = func.websearch_to_tsquery(literal_column("'english'::regconfig"), bindparam("q", " ".join(terms)))
    rank = func.ts_rank(tsv, tsq)
    top = (select(*_ENTRY_COLUMNS, rank.label("rank")).select_from(SearchEntry)
           .join(Request, Request.id == SearchEntry.request_id)
           .where(tsv.op("@@")(tsq), visible_clause(user))
           .order_by(rank.desc(), SearchEntry.id.desc()).limit(limit))
    rows = session.execute(top).all()
    if not rows:
        return []
    options = (f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, "
               "MaxFragments=2, FragmentDelimiter=\" … \"")
    def headline(col):
        return func.ts_headline(literal_column("'english'::regconfig"), func.coalesce(col, ""), tsq,
                                bindparam("opts", options))

    snippets = {entry_id: _prefer_marked(body, title) for entry_id, body, title in session.execute(
        select(SearchEntry.id, headline(SearchEntry.body), headline(SearchEntry.title))
        .where(SearchEntry.id.in_([r.id for r in rows]))).all()}
    return _hits(rows, snippets)


def index_request(session: Session, req: Request) -> SearchEntry:
    """Make the request's own title and description searchable (insert or refresh its entry)."""
    entry = session.scalar(select(SearchEntry).where(SearchEntry.source_type == "request",
                                                      SearchEntry.source_id == req.id))
    if entry is None:
        entry = SearchEntry(request_id=req.id, source_type="request", source_id=req.id)
        session.add(entry)
    entry.title = index_text(req.title)[:500]
    entry.body = index_text(req.records_sought)
    session.flush()
    return entry
