"""The clause library (issue 19): pages to list, add, edit, archive and restore an organization's clauses, who may
manage them, law limits, insertion into letter drafts without JavaScript (read back from the real PDF), usage
counts, escaping, and other organizations kept out."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from foia.models import AuditLog, Clause, LetterVersion
from foia.requests.service import RequestInput, create_request
from tests.conftest import NOW, csrf_token, login
from tests.letters.test_letters_app import PAYLOAD, pdf_text

FEE_WAIVER = ("Disclosure is in the public interest: the records will be analysed and published by our newsroom, "
              "at no charge to readers, and we have no commercial interest in them.")


def _post(client, url, data, page="/clauses"):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)})


def _add(client, title, body, laws=()):
    return _post(client, "/clauses/new", {"title": title, "body": body, "laws": list(laws)}, "/clauses/new")


def _clause(session, title):
    session.expire_all()
    return session.scalar(select(Clause).where(Clause.title == title))


def test_staff_manage_the_library_and_colleagues_only_read_it(world, login_as, session, client):
    staff = login_as("news_staff")
    assert staff.get("/clauses").status_code == 200
    resp = _add(staff, "Fee waiver: news media", FEE_WAIVER, ["us-foia", "ca-cpra"])
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/clauses")
    clause = _clause(session, "Fee waiver: news media")
    assert clause.organization_id == world["orgs"]["news"].id and clause.laws == ["ca-cpra", "us-foia"]
    assert clause.usage_count == 0
    page = staff.get("/clauses").get_data(as_text=True)
    assert "Fee waiver: news media" in page and "0 times" in page and "Add a clause" in page

    # Validation: nothing half-written, messages beside the fields.
    for data, message in ((("", FEE_WAIVER, []), "Give the clause a short title"),
                          (("T", "   ", []), "Write the paragraph"),
                          (("T", "x" * 5001, []), "Keep the paragraph under 5,000 characters"),
                          (("T", "text", ["xx-nope"]), "Unknown law: xx-nope")):
        resp = _add(staff, *data)
        assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    assert session.scalar(select(func.count(Clause.id))) == 1

    resp = _post(staff, f"/clauses/{clause.id}/edit", {"title": "Fee waiver (news media)", "body": FEE_WAIVER + " Thanks.",
                                                       "laws": []}, f"/clauses/{clause.id}/edit")
    assert resp.status_code == 303
    clause = _clause(session, "Fee waiver (news media)")
    assert clause.laws == [] and clause.body.endswith("Thanks.")
    actions = session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "clauses")
                              .order_by(AuditLog.id)).all()
    assert actions == ["create", "update"]
    staff.post("/logout", data={"csrf_token": csrf_token(staff, "/clauses")})

    # A reporter of the same newsroom reads the library but cannot change it.
    login(client, world["users"]["reporter"].email)
    page = client.get("/clauses").get_data(as_text=True)
    assert "Fee waiver (news media)" in page and "Add a clause" not in page and "/edit" not in page
    assert client.get("/clauses/new").status_code == 403
    assert _post(client, f"/clauses/{clause.id}/archive", {}).status_code == 403
    assert _post(client, f"/clauses/{clause.id}/edit", {"title": "Mine", "body": "x"}).status_code == 403
    assert _clause(session, "Fee waiver (news media)").archived_at is None


def test_other_organizations_never_see_or_use_a_clause(world, login_as, session, client):
    staff = login_as("news_staff")
    _add(staff, "Newsroom custodians", "Please search the mailboxes of the sheriff and the undersheriff.")
    clause = _clause(session, "Newsroom custodians")
    staff.post("/logout", data={"csrf_token": csrf_token(staff, "/clauses")})

    for who in ("staff", "admin"):  # staff and even the administrator of another organization
        login(client, world["users"][who].email)
        assert "Newsroom custodians" not in client.get("/clauses").get_data(as_text=True)
        assert client.get(f"/clauses/{clause.id}/edit").status_code == 404
        assert _post(client, f"/clauses/{clause.id}/archive", {}).status_code == 404
        assert _post(client, f"/clauses/{clause.id}/edit", {"title": "Taken", "body": "x"}).status_code == 404
        # Nor insert it into their own letter: refused, nothing saved, nothing counted.
        req = world["requests"][("staff", "public")]
        base = f"/requests/{req.ref}/letters"
        assert "Newsroom custodians" not in client.get(f"{base}/new?kind=request").get_data(as_text=True)
        resp = _post(client, f"{base}/new?kind=request", {"insert_clause": "1", "clause_id": clause.id,
                                                          "clause_into": "intro"}, f"{base}/new?kind=request")
        assert resp.status_code == 400 and "not available for this letter" in resp.get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/clauses")})
    assert _clause(session, "Newsroom custodians").usage_count == 0
    assert session.scalar(select(func.count(LetterVersion.id))) == 0


def test_a_clause_limited_to_a_law_is_offered_only_for_that_law(world, login_as, session):
    staff_user = world["users"]["staff"]
    federal = world["requests"][("staff", "private")]  # ICE: federal FOIA
    state = create_request(session, actor=staff_user, now=NOW, data=RequestInput(
        title="Jail logs", records_sought="Booking logs for January.", agency_slug="lasd", visibility="private"))
    session.commit()
    assert (federal.law, state.law) == ("us-foia", "ca-cpra")
    client = login_as("staff")
    _add(client, "Federal fee category", "We are representatives of the news media, 5 U.S.C. 552(a)(4)(A)(ii)(II).",
         ["us-foia"])
    _add(client, "Any law: format", "Please provide the records in electronic form, as searchable PDFs.")
    limited, anywhere = _clause(session, "Federal fee category"), _clause(session, "Any law: format")

    fed_page = client.get(f"/requests/{federal.ref}/letters/new?kind=request").get_data(as_text=True)
    state_page = client.get(f"/requests/{state.ref}/letters/new?kind=request").get_data(as_text=True)
    assert f'<option value="{limited.id}">Federal fee category</option>' in fed_page
    assert f'<option value="{anywhere.id}">Any law: format</option>' in fed_page
    assert "Federal fee category" not in state_page and "Any law: format" in state_page
    # Posting the limited clause on the state request anyway is refused and saves nothing.
    base = f"/requests/{state.ref}/letters"
    resp = _post(client, f"{base}/new?kind=request", {"insert_clause": "1", "clause_id": limited.id,
                                                      "clause_into": "intro", "intro": "Hello."}, f"{base}/new")
    assert resp.status_code == 400 and "not available for this letter" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count(LetterVersion.id))) == 0
    assert _clause(session, "Federal fee category").usage_count == 0


def test_inserting_a_clause_saves_the_draft_counts_the_use_and_reaches_the_pdf(world, login_as, session):
    req = world["requests"][("staff", "private")]
    client = login_as("staff")
    _add(client, "Fee waiver", FEE_WAIVER, ["us-foia"])
    _add(client, "Custodians", "Please search the records of the Field Office Director and her deputies.")
    fee, custodians = _clause(session, "Fee waiver"), _clause(session, "Custodians")
    base = f"/requests/{req.ref}/letters"

    # On a new letter: the typed opening is kept and the clause goes after it; the draft is saved.
    resp = _post(client, f"{base}/new?kind=request", {"intro": "I report for the Ledger.", "closing": "",
                                                      "insert_clause": "1", "clause_id": fee.id,
                                                      "clause_into": "intro"}, f"{base}/new")
    assert resp.status_code == 302
    vid = int(re.search(r"/letters/(\d+)$", resp.headers["Location"]).group(1))
    version = session.get(LetterVersion, vid)
    assert version.custom["intro"] == f"I report for the Ledger.\n\n{FEE_WAIVER}"
    assert _clause(session, "Fee waiver").usage_count == 1

    # On the draft's page: insert a second clause into the closing paragraph.
    page = client.get(f"{base}/{vid}").get_data(as_text=True)
    assert "Insert clause</button>" in page
    resp = _post(client, f"{base}/{vid}", {"intro": version.custom["intro"], "closing": "Call me.",
                                           "insert_clause": "1", "clause_id": custodians.id,
                                           "clause_into": "closing"}, f"{base}/{vid}")
    assert resp.status_code == 302
    session.expire_all()
    version = session.get(LetterVersion, vid)
    assert version.custom["closing"] == ("Call me.\n\nPlease search the records of the Field Office Director "
                                         "and her deputies.")
    assert _clause(session, "Custodians").usage_count == 1 and _clause(session, "Fee waiver").usage_count == 1
    # A plain save counts nothing.
    _post(client, f"{base}/{vid}", dict(version.custom), f"{base}/{vid}")
    assert _clause(session, "Custodians").usage_count == 1
    assert "1 time" in client.get("/clauses").get_data(as_text=True)
    history = client.get(f"/requests/{req.ref}/history").get_data(as_text=True)
    assert "Inserted the clause \u201cFee waiver\u201d into a letter draft" in history

    assert _post(client, f"{base}/{vid}/finalize", {}, f"{base}/{vid}").status_code == 302
    text = pdf_text(client.get(f"{base}/{vid}/pdf").data)
    assert " ".join(FEE_WAIVER.split()) in text
    assert "Please search the records of the Field Office Director and her deputies." in text


def test_clause_text_stays_text_in_the_letter_and_archived_clauses_are_not_offered(world, login_as, session):
    req = world["requests"][("staff", "private")]
    client = login_as("staff")
    _add(client, "Hostile", PAYLOAD)
    clause = _clause(session, "Hostile")
    listing = client.get("/clauses").get_data(as_text=True)
    assert "<script>alert(1)" not in listing and "&lt;script&gt;" in listing
    base = f"/requests/{req.ref}/letters"
    resp = _post(client, f"{base}/new?kind=request", {"insert_clause": "1", "clause_id": clause.id,
                                                      "clause_into": "intro"}, f"{base}/new")
    vid = int(re.search(r"/letters/(\d+)$", resp.headers["Location"]).group(1))
    preview = client.get(f"{base}/{vid}/preview").get_data(as_text=True)
    assert "<script>" not in preview and "&lt;script&gt;" in preview and "{{ 7*7 }}" in preview
    assert _post(client, f"{base}/{vid}/finalize", {}, f"{base}/{vid}").status_code == 302
    text = pdf_text(client.get(f"{base}/{vid}/pdf").data)
    assert "{{ 7*7 }}" in text and "<script>alert(1)</script>" in text

    assert _post(client, f"/clauses/{clause.id}/archive", {}).status_code == 303
    assert _clause(session, "Hostile").archived_at is not None
    page = client.get(f"{base}/new?kind=request").get_data(as_text=True)
    assert f'<option value="{clause.id}">' not in page and "no clause for letters" in page
    listing = client.get("/clauses").get_data(as_text=True)
    assert "Archived (1)" in listing and "Restore" in listing
    assert _post(client, f"/clauses/{clause.id}/restore", {}).status_code == 303
    assert _clause(session, "Hostile").archived_at is None


def test_clause_forms_need_their_csrf_token(world, login_as, session):
    client = login_as("staff")
    assert client.post("/clauses/new", data={"title": "T", "body": "x"}).status_code == 400
    assert session.scalar(select(func.count(Clause.id))) == 0
