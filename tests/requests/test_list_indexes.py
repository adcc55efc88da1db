"""The requests list's sorts by title, agency tracking number and last update are served by indexes (migration
0021), so they are no longer refused on long lists; the text filter keeps its meaning and, on PostgreSQL, has
pg_trgm indexes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import inspect, text

import foia.requests.queries as q
from foia.requests.queries import ListQuery, browse_requests
from foia.requests.service import RequestInput, create_request
from tests.conftest import NOW


@pytest.fixture
def listed(world, session):
    clerk = world["users"]["staff"]
    rows = []
    for i, (title, tracking) in enumerate([("Zebra crossings", "2026-ZZ-9"), ("apple orchards", ""),
                                           ("Mango imports", "2026-AA-1"), ("banana_split 100%", "")]):
        req = create_request(session, actor=clerk, now=NOW, data=RequestInput(
            title=title, records_sought="Records about the thing in question.", agency_slug="dhs-ice"))
        req.tracking_number, req.next_due = tracking, date(2026, 3, 1) + timedelta(days=i)
        req.updated_at = NOW + timedelta(days=10 - i)
        rows.append(req)
    session.commit()
    return rows


@pytest.mark.parametrize("sort", ["title", "tracking", "updated"])
@pytest.mark.parametrize("desc", [False, True])
def test_long_lists_sort_by_title_tracking_and_update_in_full(world, session, listed, monkeypatch, sort, desc):
    monkeypatch.setattr(q, "MAX_ROWS", 3)  # far more rows than MAX_ROWS: still sorted as asked
    admin = world["users"]["admin"]
    page = browse_requests(session, admin, ListQuery(sort=sort, desc=desc), per_page=100)
    assert not page.sort_refused
    reqs = page.rows
    if sort == "title":
        keys = [r.title.lower() for r in reqs]
        assert keys == sorted(keys, reverse=desc)
    elif sort == "updated":
        keys = [r.updated_at for r in reqs]
        assert keys == sorted(keys, reverse=desc)
    else:
        numbered = [r.tracking_number for r in reqs if r.tracking_number]
        assert numbered == sorted(numbered, reverse=desc) == (["2026-ZZ-9", "2026-AA-1"] if desc else ["2026-AA-1", "2026-ZZ-9"])
        assert all(not r.tracking_number for r in reqs[len(numbered):])  # unnumbered last either way


def test_text_filter_keeps_its_meaning(world, session, listed):
    staff, outsider = world["users"]["staff"], world["users"]["outsider"]

    def refs(user, text_):
        return [r.ref for r in browse_requests(session, user, ListQuery(q=text_)).rows]

    assert refs(staff, "ORCHARD") == [listed[1].ref]            # title, any case, inside a word
    assert refs(staff, "zz-9") == [listed[0].ref]               # agency tracking number
    assert refs(staff, listed[2].ref.lower()) == [listed[2].ref]  # reference
    assert refs(staff, "_split 100%") == [listed[3].ref]        # _ and % are characters, not wildcards
    assert refs(staff, "ra_cr") == [] and refs(staff, "a%s") == []  # would match "Zebra crossings" as wildcards
    assert refs(staff, "zqxj-nothing") == []
    assert refs(outsider, "orchard") == []                      # visibility first: a private request stays hidden


def test_postgresql_has_trigram_indexes_for_the_text_filter(session):
    if session.get_bind().dialect.name != "postgresql":
        assert "ix_requests_title_lower" in {i["name"] for i in inspect(session.get_bind()).get_indexes("requests")} | {
            r[0] for r in session.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))}
        return
    names = set(session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'requests'")))
    assert {"ix_requests_title_trgm", "ix_requests_ref_trgm", "ix_requests_tracking_trgm",
            "ix_requests_title_lower", "ix_requests_tracking", "ix_requests_tracking_desc",
            "ix_requests_updated"} <= names


def test_text_filter_reads_the_trigram_index_and_follows_every_change(world, session, listed):
    """SQLite (0031): a filter of three characters or more is answered by the FTS5 trigram table `requests_text`,
    kept in step with the requests by triggers (a new title, a tracking number added later, a deleted draft); shorter
    text and text with quotes keep their meaning. PostgreSQL: the same meanings through ILIKE and pg_trgm."""
    from foia.requests.service import update_request

    staff = world["users"]["staff"]

    def refs(text_):
        return [r.ref for r in browse_requests(session, staff, ListQuery(q=text_)).rows]

    if session.get_bind().dialect.name == "sqlite":
        plan = " ".join(str(r[-1]) for r in session.execute(text(
            "EXPLAIN QUERY PLAN SELECT rowid FROM requests_text WHERE requests_text MATCH '\"orchard\"'")))
        assert "VIRTUAL TABLE INDEX" in plan
        sql = str(q.contains_text(session, "orchard").compile(session.get_bind()))
        assert "requests_text MATCH" in sql
        assert "requests_text MATCH" not in str(q.contains_text(session, "or").compile(session.get_bind()))
        n_indexed = session.scalar(text("SELECT count(*) FROM requests_text WHERE requests_text MATCH '\"Zebra\"'"))
        assert n_indexed == 1
    mango = listed[2]
    update_request(session, actor=staff, now=NOW, req=mango, title="Papaya shipments")
    mango.tracking_number = "ICE-2026-0042"
    session.commit()
    assert refs("mango") == [] and refs("PAPAYA ship") == [mango.ref]
    assert refs("0042") == [mango.ref] and refs("aa-1") == []
    assert refs("zz") == [listed[0].ref]                        # shorter than a trigram: still found, by a scan
    assert refs('say "hi"') == [] and refs('"') == []             # quotes are text, not query syntax
    session.delete(listed[3])
    session.commit()
    assert refs("banana") == []
