"""Search rows carry their request's visibility (migration 0021) and search ranks only the newest matches:
the copies stay in step with the request in the same transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

import io

from sqlalchemy import select

from foia.communications.service import log_communication
from foia.core.paths import blob_root
from foia.documents.service import add_document
from foia.models import Request, SearchEntry
from foia.requests.service import update_request
from foia.search import service as search_service
from foia.search.service import search
from tests.conftest import NOW, extract_queued


def attach(session, app, req, text: str, name: str):
    doc = add_document(session, actor=None, now=NOW, req=req, stream=io.BytesIO(text.encode()), filename=name,
                       storage_root=blob_root(app.config), max_bytes=10**6)
    session.commit()
    extract_queued(app, session)
    return doc


def entries_of(session, req):
    return list(session.scalars(select(SearchEntry).where(SearchEntry.request_id == req.id)
                                .execution_options(populate_existing=True)))


def assert_in_step(session, req):
    rows = entries_of(session, req)
    assert rows
    for e in rows:
        assert (e.organization_id, e.requester_id, e.visibility) == (req.organization_id, req.requester_id,
                                                                     req.visibility), e.source_type


def test_every_entry_carries_its_requests_visibility(session, world, app):
    req = world["requests"][("reporter", "organization")]
    log_communication(session, actor=world["users"]["reporter"], now=NOW, req=req, direction="outgoing",
                      kind="note", occurred_on=NOW.date(), subject="Call with the records officer",
                      body="Talked about the Quillmarsh files.")
    session.commit()
    attach(session, app, req, "The Quillmarsh release.", "release.txt")
    assert {e.source_type for e in entries_of(session, req)} == {"request", "communication", "document"}
    for r in world["requests"].values():
        assert_in_step(session, r)


def test_a_private_request_is_never_found_by_another_organization_before_or_after_a_change(session, world, app):
    req = world["requests"][("reporter", "private")]
    reporter, colleague, outsider = (world["users"][k] for k in ("reporter", "colleague", "outsider"))
    log_communication(session, actor=reporter, now=NOW, req=req, direction="incoming", kind="note",
                      occurred_on=NOW.date(), subject="Vexmoorland memo", body="About the Vexmoorland contract.")
    session.commit()
    attach(session, app, req, "Vexmoorland invoices, 2024.", "invoices.txt")

    def found(user):
        return {(h.ref, h.source_type) for h in search(session, user, "vexmoorland")}

    everything = {(req.ref, "communication"), (req.ref, "document")}
    assert found(reporter) == everything
    assert found(outsider) == set() and found(colleague) == set()

    update_request(session, actor=reporter, now=NOW, req=req, visibility="organization")
    assert_in_step(session, req)  # in the same transaction, before the commit
    session.commit()
    assert found(colleague) == everything and found(outsider) == set()

    update_request(session, actor=reporter, now=NOW, req=req, visibility="public")
    session.commit()
    assert found(outsider) == everything

    update_request(session, actor=reporter, now=NOW, req=req, visibility="private")
    session.commit()
    assert_in_step(session, req)
    assert found(outsider) == set() and found(colleague) == set() and found(reporter) == everything

    # A change rolled back leaves the copies as they were: they move in the request's transaction.
    update_request(session, actor=reporter, now=NOW, req=req, visibility="public")
    session.rollback()
    assert session.get(Request, req.id).visibility == "private"
    assert_in_step(session, req)
    assert found(outsider) == set()


def test_the_page_never_shows_a_private_requests_text_to_another_organization(login_as, session, world, app):
    req = world["requests"][("reporter", "private")]
    attach(session, app, req, "Thornquist budget annex.", "annex.txt")
    client = login_as("outsider")
    body = client.get("/search", query_string={"q": "thornquist"}).get_data(as_text=True)
    assert "annex.txt" not in body and req.ref not in body
    update_request(session, actor=world["users"]["reporter"], now=NOW, req=req, visibility="public")
    session.commit()
    body = client.get("/search", query_string={"q": "thornquist"}).get_data(as_text=True)
    assert "annex.txt" in body and req.ref in body


def test_a_deleted_drafts_text_is_no_longer_found(session, world):
    from foia.requests.corrections import delete_draft

    staff = world["users"]["staff"]
    req = world["requests"][("staff", "public")]
    update_request(session, actor=staff, now=NOW, req=req, title="Glimmerdune survey")
    session.commit()
    assert [h.ref for h in search(session, staff, "glimmerdune")] == [req.ref]
    delete_draft(session, actor=staff, now=NOW, req=req)
    session.commit()
    assert search(session, staff, "glimmerdune") == [] and entries_of(session, req) == []


def test_only_the_newest_matches_are_ranked(session, world, app, monkeypatch):
    staff = world["users"]["staff"]
    req = world["requests"][("staff", "private")]
    attach(session, app, req, "Brindlecombe " * 30, "oldest-densest.txt")
    attach(session, app, req, "Brindlecombe once, and then many other words about other things here.", "middle.txt")
    attach(session, app, req, "Brindlecombe once more, among many other words about other matters.", "newest.txt")
    assert search(session, staff, "brindlecombe")[0].filename == "oldest-densest.txt"
    monkeypatch.setattr(search_service, "RANK_WINDOW", 2)
    assert {h.filename for h in search(session, staff, "brindlecombe")} == {"middle.txt", "newest.txt"}
    # Hidden entries do not take places in the window: the outsider's window is filled with what they see.
    assert search(session, world["users"]["outsider"], "brindlecombe") == []


def test_widening_spans_find_what_one_pass_finds(session, world, app, monkeypatch):
    """PostgreSQL looks in ever wider spans of the newest entries; with tiny spans the result is the same."""
    staff, outsider = world["users"]["staff"], world["users"]["outsider"]
    for i, key in enumerate([("staff", "private"), ("reporter", "public"), ("staff", "public")]):
        attach(session, app, world["requests"][key], f"Saltmarrow report number {i}.", f"s{i}.txt")
        for j in range(3):
            attach(session, app, world["requests"][key], f"Unrelated filler {i} {j}.", f"f{i}{j}.txt")
    expected = {(h.ref, h.filename) for h in search(session, staff, "saltmarrow")}
    assert len(expected) == 3
    expected_outsider = {(h.ref, h.filename) for h in search(session, outsider, "saltmarrow")}
    assert expected_outsider == {(world["requests"][k].ref, f) for k, f in
                                 [(("reporter", "public"), "s1.txt"), (("staff", "public"), "s2.txt")]}
    monkeypatch.setattr(search_service, "FIRST_SPAN", 1)
    monkeypatch.setattr(search_service, "SPAN_GROWTH", 2)
    assert {(h.ref, h.filename) for h in search(session, staff, "saltmarrow")} == expected
    assert {(h.ref, h.filename) for h in search(session, outsider, "saltmarrow")} == expected_outsider
    monkeypatch.setattr(search_service, "RANK_WINDOW", 1)
    assert [h.filename for h in search(session, staff, "saltmarrow")] == ["s2.txt"]


def test_the_migration_fills_the_copies(session, world, app):
    """0021's backfill: down to 0020 (the columns go) and up again (they are filled from the requests)."""
    from flask_migrate import downgrade, upgrade

    from foia.models import User

    req = world["requests"][("reporter", "organization")]
    attach(session, app, req, "Pellucidar minutes.", "minutes.txt")
    ids = {"req": req.id, "colleague": world["users"]["colleague"].id, "outsider": world["users"]["outsider"].id}
    session.close()
    downgrade(revision="0020_jobs")
    upgrade()
    for r in session.scalars(select(Request)):
        assert_in_step(session, r)
    colleague, outsider = session.get(User, ids["colleague"]), session.get(User, ids["outsider"])
    assert [h.filename for h in search(session, colleague, "pellucidar")] == ["minutes.txt"]
    assert search(session, outsider, "pellucidar") == []
    # The full-text index still follows the text after the update trigger was replaced (SQLite).
    req = session.get(Request, ids["req"])
    update_request(session, actor=None, now=NOW, req=req, title="Quenderby hearing")
    session.commit()
    assert [h.ref for h in search(session, colleague, "quenderby")] == [req.ref]
