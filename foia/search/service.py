"""Full-text search over search_entries (request text, communications, document text).

One function, two engines: SQLite FTS5 (table ``search_fts``, external content over ``search_entries``,
bm25 ranking, ``snippet``) and PostgreSQL (``websearch_to_tsquery`` against the stored ``tsv`` column and
its GIN index, ``ts_rank``, ``ts_headline``). The FTS5 table comes from migration 0009, the stored tsvector
from 0011, the entries' visibility columns from 0021.

Bounded ranking: a search ranks only the ``RANK_WINDOW`` newest matching entries the person may see (by
entry id, newest first), never every match, so a common word costs about what a rare one does however
large the corpus. SQLite reads the FTS5 index in descending rowid order and stops at the window.
PostgreSQL looks in the newest ``FIRST_SPAN`` entries first (a backward walk of the primary key, testing
each entry: a common word fills the window there), then in a span as wide as the matches seen so far say
the window needs (``SPAN_GROWTH`` times wider when none were seen): walked again while it is at most
``WALK_LIMIT`` entries, else through bitmaps only (the GIN index, the span's id range and the visibility
indexes), until the window is full or the span covers every entry. Each step is bounded by its span or
by the word's matches in it.

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

from sqlalchemy import bindparam, column, exists, func, literal_column, select, table, text, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnClause

from foia.core.access import search_visible_clause, visible_clause
from foia.core.text import index_text
from foia.models import Request, User
from foia.models.communication import SearchEntry

__all__ = ["MARK_END", "MARK_START", "MAX_TERMS", "RANK_WINDOW", "SearchHit", "index_request", "query_terms", "search",
           "sync_request_visibility"]

MARK_START, MARK_END = "\ue000", "\ue001"
MAX_TERMS = 12
SNIPPET_TOKENS = 12
#: How many of the newest matching entries a person may see are ranked (README: Documents and search).
RANK_WINDOW = 500
#: PostgreSQL: the newest entries looked at first, and how many times wider each further look is.
FIRST_SPAN = 2_000
SPAN_GROWTH = 32
#: PostgreSQL: spans up to this many entries are walked (each entry tested); wider ones use the GIN index.
#: Reading a posting list costs about a sixth of testing an entry, per item, but a common word's list is a
#: third of the table (1M entries: 0.3 s per word), so the walk wins until the words are rare.
WALK_LIMIT = 30_000
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
    """Entries matching every word of ``query`` among the requests ``user`` may see, best first: the
    best ``limit`` of the ``RANK_WINDOW`` newest such entries."""
    terms = query_terms(query)
    if not terms or limit < 1:
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return _search_sqlite(session, user, terms, limit)
    if dialect == "postgresql":
        return _search_postgres(session, user, terms, limit)
    raise NotImplementedError(f"full-text search is not available on {dialect}")


def _best(ranked: list[tuple[int, float]], limit: int) -> list[tuple[int, float]]:
    """The ``limit`` best of the window's (entry id, rank), higher rank first, newer first on a tie."""
    return sorted(ranked, key=lambda r: (-r[1], -r[0]))[:limit]


def _hits(session: Session, user: User, best: list[tuple[int, float]], snippet_columns: tuple, *,
          select_from: Any = None, where: tuple = ()) -> list[SearchHit]:
    """The hits for the chosen entries, in rank order, with their request's reference and title and the
    snippets (body, title), in one query. The request's own visibility rule is applied again on these few
    rows (a second lock on the same door)."""
    stmt = select(SearchEntry.id, SearchEntry.source_type, SearchEntry.source_id, SearchEntry.title,
                  Request.ref, Request.title.label("request_title"), *snippet_columns)
    if select_from is not None:
        stmt = stmt.select_from(select_from)
    rows = {r[0]: r for r in session.execute(
        stmt.join(Request, Request.id == SearchEntry.request_id)
        .where(SearchEntry.id.in_([entry_id for entry_id, _ in best]), visible_clause(user), *where)).all()}
    return [SearchHit(ref=r.ref, request_title=r.request_title, source_type=r.source_type, source_id=r.source_id,
                      title=r.title, snippet=_prefer_marked(r[6], r[7]), rank=rank)
            for entry_id, rank in best if (r := rows.get(entry_id)) is not None]


def _search_sqlite(session: Session, user: User, terms: list[str], limit: int) -> list[SearchHit]:
    fts = table("search_fts", column("rowid"))
    q = _fts5_query(terms)
    # bm25 is "lower is better"; the file name or subject (title) weighs twice the body.
    score = func.bm25(literal_column("search_fts"), 2.0, 1.0)
    # The FTS5 table drives, in descending rowid order (FTS5 consumes that ORDER BY), and each match is
    # checked against its entry's visibility columns by primary key; bm25 only for the rows kept.
    visible = exists().where(SearchEntry.id == fts.c.rowid, search_visible_clause(user))
    window = session.execute(
        select(fts.c.rowid, (-score).label("rank")).select_from(fts)
        .where(text("search_fts MATCH :q").bindparams(q=q), visible)
        .order_by(fts.c.rowid.desc()).limit(RANK_WINDOW)).all()
    best = _best([(int(r[0]), float(r[1])) for r in window], limit)
    if not best:
        return []

    # Snippets only for the rows shown: computing them inside the ranked query would build one per match.
    def snip(col: int):
        return func.snippet(literal_column("search_fts"), col, MARK_START, MARK_END, "…", SNIPPET_TOKENS)

    return _hits(session, user, best, (snip(1), snip(0)),
                 select_from=fts.join(SearchEntry, SearchEntry.id == fts.c.rowid),
                 where=(text("search_fts MATCH :q").bindparams(q=q),  # rowid IN: FTS5 looks up each row
                        fts.c.rowid.in_([entry_id for entry_id, _ in best])))


def _prefer_marked(body: str | None, title: str | None) -> str:
    """The body's snippet when a term matched there, else the title's (the file name or subject)."""
    if body and MARK_START in body:
        return body
    if title and MARK_START in title:
        return title
    return body or title or ""


def _tsquery(terms: list[str]):
    return func.websearch_to_tsquery(literal_column("'english'::regconfig"), bindparam("q", " ".join(terms)))


def _newest_matches_postgres(session: Session, user: User, terms: list[str]) -> list[tuple[int, float]]:
    """(entry id, ts_rank) of the RANK_WINDOW newest visible matches, looking in ever wider spans of the
    newest entries (see the module's docstring)."""
    top = session.scalar(select(func.max(SearchEntry.id)))
    if top is None:
        return []
    span, walk = FIRST_SPAN, True
    while True:
        ranked = _window_postgres(session, user, terms, floor=top - span, walk=walk)
        if len(ranked) >= RANK_WINDOW or span >= top:
            return ranked
        # How wide a span should hold the window, from the density of matches seen so far (half again
        # for safety), at least twice as wide as this one; nothing seen: SPAN_GROWTH times wider.
        span = max(span * 2, -(-span * RANK_WINDOW * 3 // (2 * len(ranked)))) if ranked else span * SPAN_GROWTH
        walk = span <= WALK_LIMIT


def _window_postgres(session: Session, user: User, terms: list[str], *, floor: int,
                     walk: bool) -> list[tuple[int, float]]:
    """The RANK_WINDOW newest visible matches with an id above ``floor``, with their ts_rank.

    ``walk``: a narrow span, where matches are dense: walk the primary key backwards, testing each entry,
    and stop at the window. Otherwise the matches are sparse, and the planner's cost model, which counts a
    tsvector test as nearly free, would still walk (or scan) every entry of the span: this query may then
    only use bitmaps (GIN index AND the span's id range AND the visibility indexes), set for this
    statement alone."""
    tsv: ColumnClause[Any] = literal_column(PG_TSVECTOR)
    # Walking: the @@ operator's own function, which no index serves, so the planner cannot swap the walk
    # for a GIN scan (reading a common word's whole posting list: 0.3 s at a million entries).
    matches = func.ts_match_vq(tsv, _tsquery(terms)) if walk else tsv.op("@@")(_tsquery(terms))
    newest = (select(SearchEntry.id).where(matches, search_visible_clause(user))
              .order_by(SearchEntry.id.desc()).limit(RANK_WINDOW))
    if floor > 0:
        newest = newest.where(SearchEntry.id > floor)
    # ts_rank only for the window's rows (the LIMITed subquery is not flattened into the ranking).
    ids = newest.subquery("newest")
    stmt = select(SearchEntry.id, func.ts_rank(tsv, _tsquery(terms))).join(ids, ids.c.id == SearchEntry.id)
    if walk:
        rows = session.execute(stmt).all()
    else:
        before = session.execute(text(
            "SELECT current_setting('enable_indexscan'), current_setting('enable_seqscan'), "
            "set_config('enable_indexscan', 'off', true), set_config('enable_seqscan', 'off', true)")).one()
        try:
            rows = session.execute(stmt).all()
        finally:
            session.execute(text("SELECT set_config('enable_indexscan', :i, true), set_config('enable_seqscan', :s, true)"),
                            {"i": before[0], "s": before[1]})
    return [(int(entry_id), float(rank)) for entry_id, rank in rows]


def _search_postgres(session: Session, user: User, terms: list[str], limit: int) -> list[SearchHit]:
    best = _best(_newest_matches_postgres(session, user, terms), limit)
    if not best:
        return []
    options = (f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, "
               "MaxFragments=2, FragmentDelimiter=\" … \"")
    tsq = _tsquery(terms)

    def headline(col):
        return func.ts_headline(literal_column("'english'::regconfig"), func.coalesce(col, ""), tsq,
                                bindparam("opts", options))

    return _hits(session, user, best, (headline(SearchEntry.body), headline(SearchEntry.title)))


def sync_request_visibility(session: Session, req: Request) -> None:
    """Copy the request's organization, requester and visibility onto every search entry of its text, in
    the caller's transaction (call it whenever one of them changes)."""
    session.execute(update(SearchEntry).where(SearchEntry.request_id == req.id).values(
        organization_id=req.organization_id, requester_id=req.requester_id, visibility=req.visibility))


def index_request(session: Session, req: Request) -> SearchEntry:
    """Make the request's own title and description searchable (insert or refresh its entry)."""
    entry = session.scalar(select(SearchEntry).where(SearchEntry.source_type == "request",
                                                      SearchEntry.source_id == req.id))
    if entry is None:
        entry = SearchEntry.of(req, source_type="request", source_id=req.id)
        session.add(entry)
    entry.title = index_text(req.title)[:500]
    entry.body = index_text(req.records_sought)
    session.flush()
    return entry
