"""The request page (next step first, sections, aside), letters refused when they make no sense, and internal
notes: who may see, add and remove them, and that they never become correspondence or ledger events."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from foia.models import AuditLog, Communication, Event
from foia.models.communication import InternalNote
from tests.conftest import NOW, csrf_token


def _page(client, req) -> str:
    resp = client.get(f"/requests/{req.ref}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_draft_page_leads_with_writing_the_letter_and_offers_only_the_request_letter(world, login_as):
    req = world["requests"][("staff", "private")]
    html = _page(login_as("staff"), req)
    box = html[html.index('data-next-step="write_letter"'):]
    assert f'href="/requests/{req.ref}/letters/new?kind=request"' in box[:1500] and "Write the request letter" in box
    assert html.index("next-step") < html.index('id="deadlines"')  # the next step comes before the sections
    assert '<span class="usa-tag request-status request-status-draft">Draft</span>' in html
    assert "Draft a request letter" in html and "Draft a follow-up" not in html and "Draft an appeal" not in html
    nav = html[html.index('aria-label="Sections of this request"'):]
    nav = nav[:nav.index("</nav>")]
    assert re.search(r"Deadlines \(\d+\)", nav) and "Correspondence (0)" in nav and "Notes (0)" in nav
    aside = html[html.index("<aside"):html.index("</aside>")]
    assert "Download the evidence bundle" in aside and "Change who can see it" in aside
    assert 'style="' not in html  # CSP: no inline styles


def test_letters_that_make_no_sense_are_refused(world, login_as, session):
    req = world["requests"][("staff", "private")]
    client = login_as("staff")
    for kind in ("follow-up", "appeal"):
        resp = client.get(f"/requests/{req.ref}/letters/new?kind={kind}")
        assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/requests/{req.ref}#letters")
        token = csrf_token(client, f"/requests/{req.ref}")
        resp = client.post(f"/requests/{req.ref}/letters/new?kind={kind}", data={"csrf_token": token})
        assert resp.status_code == 303
    assert "No appeal now: An appeal is possible only after an adverse determination" in _page(client, req)
    assert client.get(f"/requests/{req.ref}/letters/new?kind=request").status_code == 200
    from foia.models import LetterVersion
    assert session.scalar(select(func.count(LetterVersion.id))) == 0


def test_after_sending_the_request_letter_is_refused_and_a_follow_up_offered(world, login_as, session):
    from foia.requests.service import log_event

    req, staff = world["requests"][("staff", "private")], world["users"]["staff"]
    from foia.core.clock import local_today, utcnow

    log_event(session, actor=staff, now=NOW, req=req, kind="sent", occurred_on=local_today(utcnow()))
    req.sent_at, req.status = NOW, "submitted"
    session.commit()
    client = login_as("staff")
    assert client.get(f"/requests/{req.ref}/letters/new?kind=request").status_code == 303
    assert client.get(f"/requests/{req.ref}/letters/new?kind=follow-up").status_code == 200
    html = _page(client, req)
    assert 'data-next-step="log_answer"' in html and re.search(r"Response due \w+day, \w+ \d+, \d{4} \(\d+ working days left\)", html)
    assert "Draft a follow-up" in html and "Draft a request letter" not in html


def _add_note(client, req, body):
    token = csrf_token(client, f"/requests/{req.ref}")
    return client.post(f"/requests/{req.ref}/notes", data={"csrf_token": token, "body": body})


def test_internal_notes_are_private_to_the_organization_and_never_correspondence(world, login_as, session, client):
    req = world["requests"][("staff", "public")]  # public: everyone signed in sees the request, not its notes
    staff = login_as("staff")
    events_before = session.scalar(select(func.count(Event.id)))
    resp = _add_note(staff, req, "Called the FOIA officer; she expects the search to finish in March.")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("#notes")
    note = session.scalar(select(InternalNote))
    assert note.request_id == req.id and note.author_id == world["users"]["staff"].id
    assert session.scalar(select(func.count(Communication.id))) == 0  # not correspondence
    assert session.scalar(select(func.count(Event.id))) == events_before  # not in the ledger
    assert session.scalar(select(AuditLog.action).where(AuditLog.entity_type == "internal_notes")) == "note:add"
    html = _page(staff, req)
    assert "Notes (1)" in html and "she expects the search to finish in March" in html
    assert "never sent to the agency" in html
    comms = html[html.index('id="communications"'):html.index('id="notes"')]
    assert "she expects" not in comms and "From the agency" not in comms

    # Another organization: sees the public request but not its notes, and cannot add one (404, not 403).
    staff.post("/logout", data={"csrf_token": csrf_token(staff, "/requests")})
    from tests.conftest import login
    for role in ("reporter", "news_staff"):
        login(client, world["users"][role].email)
        other = _page(client, req)
        assert "she expects" not in other and "Internal notes" not in other and "Notes (" not in other
        assert _add_note(client, req, "x").status_code == 404
        assert client.post(f"/requests/{req.ref}/notes/{note.id}/remove",
                           data={"csrf_token": csrf_token(client, "/requests")}).status_code == 404
        client.post("/logout", data={"csrf_token": csrf_token(client, "/requests")})
    # A private request of another organization is a 404 altogether.
    login(client, world["users"]["outsider"].email)
    assert _add_note(client, world["requests"][("staff", "private")], "x").status_code == 404
    assert session.scalar(select(func.count(InternalNote.id))) == 1


def test_colleague_reads_notes_but_only_editors_write_and_remove(world, login_as, session, client):
    from tests.conftest import login

    req = world["requests"][("reporter", "organization")]
    reporter = login_as("reporter")
    _add_note(reporter, req, "Source says the logs exist.")
    resp = _add_note(reporter, req, "   ")  # empty: refused with a message beside the box, the page again
    assert resp.status_code == 400 and "Write the note" in resp.get_data(as_text=True)
    resp = _add_note(reporter, req, "x" * 5001)
    assert resp.status_code == 400 and "Keep the note under 5,000 characters" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count(InternalNote.id))) == 1
    note = session.scalar(select(InternalNote))
    reporter.post("/logout", data={"csrf_token": csrf_token(reporter, "/requests")})

    login(client, world["users"]["colleague"].email)  # same newsroom, may read the request, not change it
    html = _page(client, req)
    assert "Source says the logs exist." in html and f'action="/requests/{req.ref}/notes"' not in html
    assert _add_note(client, req, "me too").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/requests")})

    login(client, world["users"]["news_staff"].email)  # an editor of the request removes it
    token = csrf_token(client, f"/requests/{req.ref}")
    resp = client.post(f"/requests/{req.ref}/notes/{note.id}/remove", data={"csrf_token": token})
    assert resp.status_code == 303
    session.expire_all()
    assert note.removed_at is not None and note.removed_by_id == world["users"]["news_staff"].id
    html = _page(client, req)
    assert "Source says the logs exist." not in html and "Notes (0)" in html
    actions = session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "internal_notes")).all()
    assert sorted(actions) == ["note:add", "note:remove"]
