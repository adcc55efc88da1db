"""Internal notes with @mentions (issue 19): mention rows, one email each through a real SMTP server (aiosmtpd)
with a link to the note, never to anyone outside the request's organization, and notes hidden from everyone
outside it (public requests, admins of other organizations, the History page)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from foia.accounts.service import create_user
from foia.core.clock import utcnow
from foia.mail import SMTPMailer
from foia.models import AuditLog, InternalNote, NoteMention
from foia.requests.mentions import MentionSettings, handles_in, send_mention_mail
from tests.conftest import NOW, PASSWORD, csrf_token, login
from tests.reminders.conftest import SMTPServer

SETTINGS = MentionSettings(base_url="https://foia.example.org", sender="FOIA Tracker <tracker@foia.example.org>")


@pytest.fixture
def smtp():
    server = SMTPServer().start()
    yield server
    server.stop()


def _add_note(client, req, body, token=None):
    token = token or csrf_token(client, f"/requests/{req.ref}")
    return client.post(f"/requests/{req.ref}/notes", data={"csrf_token": token, "body": body})


def _send(session, smtp, minutes=0):
    result = send_mention_mail(session, now=utcnow() + timedelta(minutes=minutes), mailer=SMTPMailer.from_url(smtp.url),
                               settings=SETTINGS)
    session.expire_all()
    return result


def test_handles_are_read_from_the_text_but_email_addresses_are_not_mentions():
    text = "Ask @colleague and @Editor. Write to foia@agency.gov; cc @sam@desk.example, again @COLLEAGUE."
    assert handles_in(text) == ["colleague", "Editor", "sam@desk.example"]


def test_each_mentioned_colleague_gets_one_email_with_a_link(world, login_as, session, smtp):
    req = world["requests"][("reporter", "organization")]
    client = login_as("reporter")
    resp = _add_note(client, req, "@colleague can you call the sheriff's office? @editor FYI. Thanks @reporter")
    assert resp.status_code == 303
    note = session.scalar(select(InternalNote))
    rows = list(session.scalars(select(NoteMention).order_by(NoteMention.id)))
    # The author's own handle mails nobody; the two colleagues get a row each, queued (nothing sent in the request).
    assert [(r.user.email, r.status) for r in rows] == [("colleague@newsroom.example", "pending"),
                                                        ("editor@newsroom.example", "pending")]
    assert smtp.inbox.messages == []
    audit = session.scalar(select(AuditLog).where(AuditLog.action == "note:add"))
    assert audit.after["mentions"] == ["colleague@newsroom.example", "editor@newsroom.example"]
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert "Mentioned (emailed a link): Colleague, Editor" in page
    assert "first part of their email address" in page  # the form says how to mention
    assert f'/requests/{req.ref}/notes/{note.id}/remove' in page  # the author may remove it

    result = _send(session, smtp)
    assert (result.sent, result.failed, result.dropped) == (2, 0, 0)
    smtp.inbox.wait_for(2)
    by_to = {m["To"]: m for m in smtp.inbox.messages}
    assert set(by_to) == {"colleague@newsroom.example", "editor@newsroom.example"}
    for msg in by_to.values():
        body = msg.get_body(("plain",)).get_content()
        assert f"https://foia.example.org/requests/{req.ref}#note-{note.id}" in body
        assert "can you call the sheriff's office?" in body and "Reporter mentioned you" in body
        assert msg["Subject"] == f"Reporter mentioned you on {req.ref}: {req.title}"
    assert {r.status for r in session.scalars(select(NoteMention))} == {"sent"}
    assert f'id="note-{note.id}"' in page  # the link's anchor exists on the page

    # Once: later passes send nothing more.
    assert _send(session, smtp, minutes=30).sent == 0
    assert len(smtp.inbox.messages) == 2


def test_nobody_outside_the_organization_is_mentioned_or_emailed(world, login_as, session, smtp):
    req = world["requests"][("reporter", "public")]  # public: other organizations see the request itself
    client = login_as("reporter")
    for text, why in (("@outsider please look", "@outsider is not a colleague at Los Angeles Ledger"),
                      ("@outsider@other.example please look", "is not a colleague"),
                      ("@clerk see this", "@clerk is not a colleague"),  # staff of another organization
                      ("@nobody see this", "@nobody is not a colleague")):
        resp = _add_note(client, req, text)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 400 and why in html
        assert f">{text}</textarea>" in html  # the text is kept for correcting
    assert session.scalar(select(func.count(InternalNote.id))) == 0
    assert session.scalar(select(func.count(NoteMention.id))) == 0
    # A colleague who cannot see the request (a reporter's private request) is refused as well.
    resp = _add_note(client, world["requests"][("reporter", "private")], "@colleague look")
    assert resp.status_code == 400 and "@colleague (Colleague) cannot see this request" in resp.get_data(as_text=True)
    assert _send(session, smtp).sent == 0 and smtp.inbox.messages == []


def test_two_colleagues_with_the_same_handle_need_the_whole_address(world, login_as, session, smtp):
    news = world["orgs"]["news"]
    create_user(session, email="sam@newsroom.example", name="Sam A", role="reporter", organization=news,
                password=PASSWORD, now=NOW)
    create_user(session, email="sam@desk.example", name="Sam B", role="staff", organization=news,
                password=PASSWORD, now=NOW)
    session.commit()
    req = world["requests"][("reporter", "organization")]
    client = login_as("reporter")
    resp = _add_note(client, req, "@sam please")
    assert resp.status_code == 400 and "@sam could be 2 colleagues; write the whole email address" in \
        resp.get_data(as_text=True)
    assert _add_note(client, req, "@sam@desk.example please").status_code == 303
    assert [r.user.email for r in session.scalars(select(NoteMention))] == ["sam@desk.example"]
    _send(session, smtp)
    smtp.inbox.wait_for(1)
    assert [m["To"] for m in smtp.inbox.messages] == ["sam@desk.example"]


def test_no_email_when_the_colleague_can_no_longer_read_the_note(world, login_as, session, smtp):
    req = world["requests"][("reporter", "organization")]
    client = login_as("reporter")
    _add_note(client, req, "@colleague first")
    _add_note(client, req, "@editor second")
    first, _second = session.scalars(select(InternalNote).order_by(InternalNote.id)).all()
    token = csrf_token(client, f"/requests/{req.ref}")
    assert client.post(f"/requests/{req.ref}/notes/{first.id}/remove", data={"csrf_token": token}).status_code == 303
    world["users"]["news_staff"].organization_id = world["orgs"]["other"].id  # the editor moved away
    session.commit()
    result = _send(session, smtp)
    assert (result.sent, result.dropped) == (0, 2)
    assert smtp.inbox.messages == []
    assert {r.status for r in session.scalars(select(NoteMention))} == {"dropped"}


def test_a_refused_mail_is_retried_later_with_the_same_message_id(world, login_as, session, smtp):
    from tests.reminders.conftest import free_port

    req = world["requests"][("reporter", "organization")]
    _add_note(login_as("reporter"), req, "@colleague ping")
    dead = SMTPMailer.from_url(f"smtp://127.0.0.1:{free_port()}", timeout=0.5, connect_timeout=0.5)
    result = send_mention_mail(session, now=utcnow(), mailer=dead, settings=SETTINGS)
    session.expire_all()
    row = session.scalar(select(NoteMention))
    assert result.retrying == 1 and row.status == "pending" and row.attempts == 1 and row.last_error
    assert _send(session, smtp, minutes=1).sent == 0  # not due yet
    assert _send(session, smtp, minutes=6).sent == 1
    smtp.inbox.wait_for(1)
    row = session.scalar(select(NoteMention))
    assert row.status == "sent" and smtp.inbox.messages[0]["Message-ID"] == row.message_id


def test_notes_are_hidden_outside_the_organization_even_from_admins(world, login_as, session, client):
    req = world["requests"][("reporter", "public")]
    reporter = login_as("reporter")
    assert _add_note(reporter, req, "Source says the logs exist. @colleague").status_code == 303
    note = session.scalar(select(InternalNote))
    history = reporter.get(f"/requests/{req.ref}/history").get_data(as_text=True)
    assert "Added an internal note" in history
    reporter.post("/logout", data={"csrf_token": csrf_token(reporter, "/requests")})

    for who in ("admin", "staff", "outsider"):  # an administrator of another organization too
        login(client, world["users"][who].email)
        page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
        assert "Source says" not in page and "Notes (" not in page and "Mentioned" not in page
        history = client.get(f"/requests/{req.ref}/history").get_data(as_text=True)
        assert client.get(f"/requests/{req.ref}/history").status_code == 200
        assert "internal note" not in history and "Source says" not in history
        assert _add_note(client, req, "@colleague hello", token=csrf_token(client, "/requests")).status_code == 404
        assert client.post(f"/requests/{req.ref}/notes/{note.id}/remove",
                           data={"csrf_token": csrf_token(client, "/requests")}).status_code == 404
        client.post("/logout", data={"csrf_token": csrf_token(client, "/requests")})
    assert session.scalar(select(func.count(InternalNote.id))) == 1
    assert session.scalar(select(func.count(NoteMention.id))) == 1


def test_a_note_without_its_csrf_token_is_refused(world, login_as, session):
    req = world["requests"][("reporter", "organization")]
    client = login_as("reporter")
    resp = client.post(f"/requests/{req.ref}/notes", data={"body": "@colleague hello"})
    assert resp.status_code == 400
    assert session.scalar(select(func.count(InternalNote.id))) == 0
    assert session.scalar(select(func.count(NoteMention.id))) == 0


def test_the_evidence_bundle_history_leaves_notes_out(world, login_as, session):
    from foia.requests.history import history_for

    req = world["requests"][("reporter", "organization")]
    _add_note(login_as("reporter"), req, "internal only")
    assert any(r.entity == "internal_notes" for r in history_for(session, req, internal=True))
    assert not any(r.entity == "internal_notes" for r in history_for(session, req))
    assert re.search("internal only", str([r.what for r in history_for(session, req, internal=True)])) is None


def test_the_scheduler_job_sends_the_queued_mentions(world, login_as, session, smtp, app, monkeypatch):
    from foia.scheduler import send_mentions

    req = world["requests"][("reporter", "organization")]
    _add_note(login_as("reporter"), req, "@editor the scheduler mails this")
    monkeypatch.setitem(app.config, "FOIA_SMTP_URL", smtp.url)
    result = send_mentions(app)
    assert result is not None and result.sent == 1
    smtp.inbox.wait_for(1)
    msg = smtp.inbox.messages[0]
    assert msg["To"] == "editor@newsroom.example"
    link = f"{app.config['FOIA_BASE_URL'].rstrip('/')}/requests/{req.ref}#note-"
    assert link in msg.get_body(("plain",)).get_content()
    session.expire_all()
    assert session.scalar(select(NoteMention.status)) == "sent"
