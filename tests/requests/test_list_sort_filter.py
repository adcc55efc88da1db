"""The requests list: sort by any column, filter by text, status, agency and scope (never wider than what
the person may see), counts and numbered pages with Previous."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from foia.requests.queries import MAX_ROWS, ListQuery, browse_requests
from foia.requests.service import RequestInput, create_request
from tests.conftest import NOW


def _refs(body: str) -> list[str]:
    return re.findall(r'<td><a href="/requests/(FT-\d{4}-\d+)">', body)


@pytest.fixture
def listed(world, session):
    """Six world requests plus a few with distinct titles, tracking numbers and dates."""
    clerk = world["users"]["staff"]
    extra = []
    for i, (title, tracking, due) in enumerate([("Zebra crossings", "2026-ZZ-9", date(2026, 3, 1)),
                                                ("apple orchards", "", date(2026, 2, 1)),
                                                ("Mango imports", "2026-AA-1", None)]):
        req = create_request(session, actor=clerk, now=NOW, data=RequestInput(
            title=title, records_sought="Records about the thing in question.", agency_slug="dhs-ice"))
        req.tracking_number, req.next_due = tracking, due
        req.updated_at = NOW + timedelta(days=i)
        extra.append(req)
    session.commit()
    return extra


def test_sort_by_title_both_ways_with_aria_sort(login_as, listed):
    client = login_as("staff")
    body = client.get("/requests?sort=title&dir=asc").get_data(as_text=True)
    titles = [r.title for r in listed]
    order = [t for t in re.findall(r"<td[^>]*>([^<]+)</td>", body) if t in titles]
    assert order == ["apple orchards", "Mango imports", "Zebra crossings"]  # case-insensitive
    assert 'aria-sort="ascending"' in body and body.count("aria-sort=") == 1
    assert 'href="/requests?sort=title&amp;dir=desc"' in body  # the header link turns the order round
    body = client.get("/requests?sort=title&dir=desc").get_data(as_text=True)
    assert [t for t in re.findall(r"<td[^>]*>([^<]+)</td>", body) if t in titles] == list(reversed(order))
    assert 'aria-sort="descending"' in body


@pytest.mark.parametrize("sort", ["ref", "title", "agency", "status", "due", "tracking", "updated"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_every_column_sorts_and_pages_cover_every_row_once(world, session, listed, sort, direction):
    admin = world["users"]["admin"]
    seen = []
    for page in (1, 2, 3, 4, 5):
        result = browse_requests(session, admin, ListQuery(sort=sort, desc=direction == "desc", page=page), per_page=2)
        seen.extend(r.id for r in result.rows)
    assert len(seen) == len(set(seen)) == 9 and result.total == 9 and result.pages == 5


def test_sort_by_deadline_and_tracking_number_puts_empty_last(world, session, listed):
    admin = world["users"]["admin"]
    rows = browse_requests(session, admin, ListQuery(sort="due", desc=True)).rows
    dues = [r.next_due for r in rows]
    assert dues[:2] == [date(2026, 3, 1), date(2026, 2, 1)] and all(d is None for d in dues[2:])
    rows = browse_requests(session, admin, ListQuery(sort="tracking")).rows
    assert [r.tracking_number for r in rows][:2] == ["2026-AA-1", "2026-ZZ-9"]
    rows = browse_requests(session, admin, ListQuery(sort="tracking", desc=True)).rows
    assert [r.tracking_number for r in rows][:2] == ["2026-ZZ-9", "2026-AA-1"]
    rows = browse_requests(session, admin, ListQuery(sort="updated", desc=True)).rows
    assert rows[0].title == "Mango imports"


def test_text_filter_matches_title_reference_and_tracking_number_case_insensitively(login_as, listed):
    client = login_as("staff")
    assert _refs(client.get("/requests?q=APPLE").get_data(as_text=True)) == [listed[1].ref]
    assert _refs(client.get("/requests?q=2026-zz").get_data(as_text=True)) == [listed[0].ref]
    assert _refs(client.get(f"/requests?q={listed[2].ref.lower()}").get_data(as_text=True)) == [listed[2].ref]
    body = client.get("/requests?q=%25").get_data(as_text=True)  # a wildcard typed is a character
    assert "No requests match" in body


def test_filter_by_status_and_agency_keeps_the_sort(login_as, world, session, listed):
    listed[0].status = "submitted"
    session.commit()
    client = login_as("staff")
    body = client.get("/requests?status=submitted&sort=title&dir=desc").get_data(as_text=True)
    assert _refs(body) == [listed[0].ref]
    assert 'name="sort" value="title"' in body  # filtering again keeps the order
    body = client.get("/requests?agency=lasd").get_data(as_text=True)
    # staff of the city see the newsroom's public LASD request only
    assert _refs(body) == [world["requests"][("reporter", "public")].ref]


def test_scopes_narrow_and_never_widen(login_as, world, session):
    reporter, colleague = world["users"]["reporter"], world["users"]["colleague"]
    create_request(session, actor=colleague, now=NOW, data=RequestInput(
        title="colleague private", records_sought="Records about the thing in question.", agency_slug="lasd",
        visibility="private"))
    session.commit()
    everything = {r.title for r in browse_requests(session, reporter, ListQuery(scope="all"), per_page=100).rows}
    mine = {r.title for r in browse_requests(session, reporter, ListQuery(scope="mine"), per_page=100).rows}
    org = {r.title for r in browse_requests(session, reporter, ListQuery(scope="org"), per_page=100).rows}
    assert mine == {"reporter private request", "reporter organization request", "reporter public request"}
    assert org == mine  # the colleague's private request is not the reporter's to see
    # Everything I can see: the city's public request, never its private or organization-only ones
    assert everything == mine | {"staff public request"}
    assert "colleague private" not in everything | org
    outsider = world["users"]["outsider"]
    for scope in ("all", "org", "mine"):
        seen = {r.title for r in browse_requests(session, outsider, ListQuery(scope=scope), per_page=100).rows}
        assert not {"staff private request", "staff organization request", "reporter private request",
                    "reporter organization request", "colleague private"} & seen


def test_everything_i_can_see_in_the_page_hides_other_orgs_private_requests(login_as, world):
    body = login_as("reporter").get("/requests?scope=all").get_data(as_text=True)
    assert world["requests"][("staff", "private")].ref not in body
    assert world["requests"][("staff", "organization")].ref not in body
    assert world["requests"][("staff", "public")].ref in body


def test_counts_and_numbered_pages_with_previous(login_as, world, session, ctx):
    admin = world["users"]["admin"]
    for i in range(7):
        create_request(session, actor=admin, now=NOW, data=RequestInput(
            title=f"bulk {i}", records_sought="Records about the thing in question.", agency_slug="dhs-ice"))
    session.commit()
    ctx.config["PAGE_SIZE"] = 5
    try:
        client = login_as("admin")
        body = client.get("/requests").get_data(as_text=True)
        assert "Showing 1–5 of 13 requests" in body
        assert 'class="usa-pagination"' in body and 'aria-current="page"' in body
        assert "Previous" not in body and 'rel="next"' in body
        body = client.get("/requests?page=2&sort=title").get_data(as_text=True)
        assert "Showing 6–10 of 13 requests" in body and 'rel="prev"' in body
        assert 'href="/requests?page=1&amp;sort=title&amp;dir=asc"' in body
        assert 'href="/requests?page=3&amp;sort=title&amp;dir=asc"' in body
        body = client.get("/requests?page=3").get_data(as_text=True)
        assert "Showing 11–13 of 13 requests" in body and 'rel="next"' not in body
        # a page past the end shows the last page; nonsense is page 1
        assert "Showing 11–13 of 13" in client.get("/requests?page=99").get_data(as_text=True)
        assert "Showing 1–5 of 13" in client.get("/requests?page=abc").get_data(as_text=True)
    finally:
        ctx.config["PAGE_SIZE"] = 50


def test_default_order_next_link_uses_the_keyset_cursor(login_as, world, session, ctx):
    admin = world["users"]["admin"]
    for i in range(6):
        req = create_request(session, actor=admin, now=NOW, data=RequestInput(
            title=f"dated {i}", records_sought="Records about the thing in question.", agency_slug="dhs-ice"))
        req.next_due = date(2026, 2, 1 + i)
    session.commit()
    ctx.config["PAGE_SIZE"] = 4
    try:
        client = login_as("admin")
        first = client.get("/requests").get_data(as_text=True)
        nxt = re.search(r'href="(/requests\?page=2&amp;after=[^"]+)"', first)
        assert nxt, "the Next link carries the keyset cursor"
        second = client.get(nxt.group(1).replace("&amp;", "&")).get_data(as_text=True)
        by_offset = client.get("/requests?page=2").get_data(as_text=True)
        assert _refs(second) == _refs(by_offset) and not set(_refs(second)) & set(_refs(first))
    finally:
        ctx.config["PAGE_SIZE"] = 50


def test_total_is_counted_up_to_a_bound(world, session, monkeypatch):
    import foia.requests.queries as q

    monkeypatch.setattr(q, "MAX_ROWS", 4)
    result = q.browse_requests(session, world["users"]["admin"], ListQuery(sort="title", page=50), per_page=2)
    assert result.total == 5 and result.total_capped and result.pages == 2 and result.page == 2
    assert MAX_ROWS == 10_000


def test_tracking_number_and_law_name_columns(login_as, listed):
    body = login_as("staff").get("/requests").get_data(as_text=True)
    assert "2026-ZZ-9" in body and "Agency tracking number" in body
    assert "Freedom of Information Act" in body and "<td>us-foia</td>" not in body
    assert 'class="usa-tag status-tag status-draft"' in body




def test_unindexed_sorts_of_huge_lists_fall_back_to_the_deadline_order(login_as, world, session, monkeypatch):
    import foia.requests.queries as q

    monkeypatch.setattr(q, "MAX_ROWS", 3)
    monkeypatch.setattr(q, "UNINDEXED_SORTS", frozenset({"title"}))  # none is unindexed since 0021: the guard stays
    admin = world["users"]["admin"]
    result = q.browse_requests(session, admin, ListQuery(sort="title"))
    assert result.sort_refused
    assert not q.browse_requests(session, admin, ListQuery(sort="status")).sort_refused  # walks an index
    body = login_as("admin").get("/requests?sort=title").get_data(as_text=True)
    assert "Sorting by title works on lists of up to" in body
    assert 'aria-sort="ascending"' in body.split("Next deadline")[0].rsplit("<th", 1)[-1]
