"""Who sees what, proved for every role against every visibility."""

from __future__ import annotations

import pytest

from foia.core.access import can_edit, can_view

# (viewer role, (owner, visibility)) -> may read.  Owners: "staff" (City), "reporter" (Ledger newsroom).
EXPECTED = {
    "admin": {("staff", "private"), ("staff", "organization"), ("staff", "public"),
              ("reporter", "private"), ("reporter", "organization"), ("reporter", "public")},
    # City staff: all of the City's requests, plus anything public.
    "staff": {("staff", "private"), ("staff", "organization"), ("staff", "public"), ("reporter", "public")},
    # Newsroom staff: all of the newsroom's requests, plus public ones.
    "news_staff": {("reporter", "private"), ("reporter", "organization"), ("reporter", "public"), ("staff", "public")},
    # The reporter: their own, whatever the visibility.
    "reporter": {("reporter", "private"), ("reporter", "organization"), ("reporter", "public"), ("staff", "public")},
    # A colleague in the same newsroom: what the organization shares, not the private one.
    "colleague": {("reporter", "organization"), ("reporter", "public"), ("staff", "public")},
    # Someone from another organization: public only.
    "outsider": {("reporter", "public"), ("staff", "public")},
}
ALL_KEYS = [(o, v) for o in ("staff", "reporter") for v in ("private", "organization", "public")]


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_request_pages_follow_the_access_rules(login_as, world, role):
    client = login_as(role)
    for key in ALL_KEYS:
        ref = world["requests"][key].ref
        resp = client.get(f"/requests/{ref}")
        expected = 200 if key in EXPECTED[role] else 404  # hidden looks exactly like missing
        assert resp.status_code == expected, (role, key, resp.status_code)
        if expected == 200:
            assert world["requests"][key].title in resp.get_data(as_text=True)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_request_list_follows_the_access_rules(login_as, world, role):
    client = login_as(role)
    body = client.get("/requests").get_data(as_text=True)
    for key in ALL_KEYS:
        title = world["requests"][key].title
        assert (title in body) == (key in EXPECTED[role]), (role, key)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_access_functions_match_the_table(world, role):
    user = world["users"][role]
    for key in ALL_KEYS:
        assert can_view(user, world["requests"][key]) == (key in EXPECTED[role]), (role, key)


def test_only_owner_org_staff_or_admin_may_edit(world):
    users, reqs = world["users"], world["requests"]
    reporters_public = reqs[("reporter", "public")]
    assert can_edit(users["reporter"], reporters_public)
    assert can_edit(users["news_staff"], reporters_public)
    assert can_edit(users["admin"], reporters_public)
    assert not can_edit(users["colleague"], reporters_public)
    assert not can_edit(users["staff"], reporters_public)  # can read (public) but not change
    assert not can_edit(users["outsider"], reporters_public)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_agency_pages_are_open_to_every_signed_in_role(login_as, role):
    client = login_as(role)
    assert client.get("/agencies").status_code == 200
    assert client.get("/agencies/dhs-ice").status_code == 200
    assert client.get("/requests/new").status_code == 200


def test_can_assign_agrees_with_the_unmatched_mail_query(world, session) -> None:
    """The assign button's rule (can_assign, one row) and the queue's rule (unmatched_clause, in SQL)
    are one rule: for every person, the rows they may assign are exactly the rows they see."""
    from sqlalchemy import select

    from foia.core.access import can_assign, unmatched_clause
    from foia.models.communication import UnmatchedMail
    from tests.conftest import NOW

    users, orgs = world["users"], world["orgs"]
    rows = []
    for i, (org, importer) in enumerate([(orgs["city"], users["staff"]), (orgs["news"], users["reporter"]),
                                         (orgs["news"], users["news_staff"]), (orgs["other"], users["outsider"]),
                                         (None, users["admin"]), (orgs["city"], None)]):
        row = UnmatchedMail(organization_id=org.id if org else None, message_id=f"<m{i}@x>", raw_sha256="0" * 64,
                            size=1, imported_by_id=importer.id if importer else None, created_at=NOW)
        session.add(row)
        rows.append(row)
    session.flush()
    seen_by = {}
    for name, user in users.items():
        listed = set(session.scalars(select(UnmatchedMail.id).where(unmatched_clause(user))))
        assert listed == {r.id for r in rows if can_assign(user, r)}, name
        seen_by[name] = listed
    assert seen_by["admin"] == {r.id for r in rows}
    assert seen_by["staff"] == {rows[0].id, rows[5].id}  # the city's mail
    assert seen_by["reporter"] == {rows[1].id}  # only what they imported themselves
    assert seen_by["outsider"] == {rows[3].id}
