"""Full-text search on the database under test (SQLite FTS5 or PostgreSQL tsvector): ranking, snippets
with safe highlighting, hostile queries, and visibility applied in SQL."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from foia.core.paths import blob_root
from foia.documents.service import add_document
from foia.models import SearchEntry
from foia.search.service import MARK_END, MARK_START, query_terms, search
from foia.search.views import highlight
from tests.conftest import NOW, extract_queued

HOSTILE = ['"', "AND OR NOT", "NEAR(", "*", "title:x", "'", "\\", '"unclosed', "a OR", "(((", "NEAR(a b, 2)",
           "body:Adelanto", "^start", "-minus", "a:b:c", "{title body}: x", '" OR "', "%", "_", ";--", "\ue000"]


def attach(session, app, req, text: str, name: str):
    doc = add_document(session, actor=None, now=NOW, req=req, stream=io.BytesIO(text.encode()), filename=name,
                       storage_root=blob_root(app.config), max_bytes=10**6)
    session.commit()
    extract_queued(app, session)  # the upload queues the extraction; run it, as the scheduler would
    return doc


def test_query_terms_drop_operators_quotes_and_filters():
    assert query_terms('"Adelanto" AND detention OR NOT near NEAR(x) title:memo *pre^ ()') == [
        "Adelanto", "detention", "near", "x", "memo", "pre"]
    assert query_terms("AND OR NOT") == [] and query_terms('" * ( ) : ^') == [] and query_terms(None) == []
    assert len(query_terms(" ".join(f"w{i}" for i in range(50)))) == 12


def test_search_finds_ranks_and_highlights(session, world, app):
    staff = world["users"]["staff"]
    req = world["requests"][("staff", "private")]
    attach(session, app, req, "The detainees were moved to Adelanto in March. " + "Filler words here. " * 40, "a.txt")
    attach(session, app, req, "Adelanto Adelanto Adelanto: the Adelanto facility at Adelanto.", "b.txt")
    attach(session, app, req, "Nothing relevant in this one at all.", "zebra notes.txt")
    hits = search(session, staff, "adelanto")
    assert [h.filename for h in hits] == ["b.txt", "a.txt"]  # the denser match ranks first
    assert hits[0].rank >= hits[1].rank
    assert all(h.ref == req.ref and h.request_title == req.title and h.source_type == "document" for h in hits)
    assert f"{MARK_START}Adelanto{MARK_END}" in hits[1].snippet
    both = search(session, staff, "detainees March")
    assert [h.filename for h in both] == ["a.txt"]
    assert search(session, staff, "detainees nowhere") == []
    # Stemming: "moving" finds "moved" on both engines.
    assert [h.filename for h in search(session, staff, "moving")] == ["a.txt"]
    # A file name is searchable too.
    assert [h.filename for h in search(session, staff, "zebra")] == ["zebra notes.txt"]


def test_request_text_is_indexed_on_create(session, world):
    staff = world["users"]["staff"]
    entry = session.scalar(select(SearchEntry).where(SearchEntry.source_type == "request",
                                                     SearchEntry.source_id == world["requests"][("staff", "public")].id))
    assert entry.title == "staff public request"
    hits = search(session, staff, "thing question")
    assert {h.ref for h in hits} == {world["requests"][("staff", v)].ref for v in ("private", "organization", "public")} | {
        world["requests"][("reporter", "public")].ref}
    assert all(h.source_type == "request" and h.document_id is None for h in hits)


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_error(login_as, world, session, app, query):
    req = world["requests"][("staff", "private")]
    attach(session, app, req, "Adelanto near the title of x, start minus.", "n.txt")
    client = login_as("staff")
    resp = client.get("/search", query_string={"q": query})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    search(session, world["users"]["staff"], query)  # and the function itself does not raise
    session.rollback()


def test_query_with_nothing_to_search_says_so(login_as, world):
    client = login_as("staff")
    body = client.get("/search", query_string={"q": "AND OR NOT"}).get_data(as_text=True)
    assert "has none" in body


def test_highlighting_is_escaped_and_cannot_be_forged(login_as, world, session, app):
    req = world["requests"][("staff", "private")]
    attach(session, app, req, f"Report: <script>alert(1)</script> Tom & Jerry at Adelanto {MARK_START}forged{MARK_END} <b>bold</b>",
           "x.txt")
    client = login_as("staff")
    body = client.get("/search", query_string={"q": "Adelanto"}).get_data(as_text=True)
    assert "<mark>Adelanto</mark>" in body
    assert "<script>alert(1)" not in body and "Tom &amp; Jerry" in body
    assert "<mark>forged</mark>" not in body and "<b>bold</b>" not in body
    assert str(highlight(f"a {MARK_START}<i>{MARK_END} {MARK_END}{MARK_START}b")) == "a <mark>&lt;i&gt;</mark> <mark>b</mark>"


def test_search_respects_visibility_in_sql(login_as, world, session, app):
    private = world["requests"][("reporter", "private")]
    public = world["requests"][("reporter", "public")]
    attach(session, app, private, "Secret memo about Zyzzogeton transfers.", "secret.txt")
    attach(session, app, public, "Public memo about Zyzzogeton transfers.", "public.txt")
    outsider, reporter = world["users"]["outsider"], world["users"]["reporter"]
    assert [h.filename for h in search(session, outsider, "zyzzogeton")] == ["public.txt"]
    assert {h.filename for h in search(session, reporter, "zyzzogeton")} == {"secret.txt", "public.txt"}
    # The limit applies after visibility: hidden rows cannot crowd out visible ones.
    assert [h.filename for h in search(session, outsider, "zyzzogeton", limit=1)] == ["public.txt"]
    client = login_as("outsider")
    body = client.get("/search", query_string={"q": "zyzzogeton"}).get_data(as_text=True)
    assert "public.txt" in body and "secret.txt" not in body and private.ref not in body
    assert public.ref in body


def test_header_search_box_on_every_page(login_as, world):
    client = login_as("reporter")
    for path in ("/requests", f"/requests/{world['requests'][('reporter', 'public')].ref}", "/search"):
        html = client.get(path).get_data(as_text=True)
        assert '<form role="search" action="/search"' in html
        assert '<label for="header-search-q"' in html and 'id="header-search-q" name="q"' in html


def test_editing_a_request_refreshes_its_search_entry(world, session):
    from foia.requests.service import update_request
    from foia.search.service import search
    from tests.conftest import NOW

    req = world["requests"][("staff", "private")]
    staff = world["users"]["staff"]
    assert not any(h.ref == req.ref for h in search(session, staff, "Kestrelwood"))
    update_request(session, actor=staff, now=NOW, req=req, title="Kestrelwood detention contract")
    session.commit()
    assert any(h.ref == req.ref for h in search(session, staff, "Kestrelwood"))
