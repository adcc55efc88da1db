"""Sending a letter by email from its page: confirmation, CSRF, who may send, errors, the no-email path."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from foia.models import Delivery, Event, LetterVersion
from tests.conftest import csrf_token
from tests.mail.conftest import CollectingHandler, free_port
from tests.mailroom.conftest import final_letter, parsed


def test_send_by_email_with_confirmation(login_as, world, session, app, smtp_app):
    handler = smtp_app()
    req = world["requests"][("staff", "private")]
    version = final_letter(session, app, req, world["users"]["staff"])
    client = login_as("staff")
    page_url = f"/requests/{req.ref}/letters/{version.id}"
    page = client.get(page_url).get_data(as_text=True)
    assert "Send by email" in page and f'action="{page_url}/send"' in page

    confirm = client.get(f"{page_url}/send")
    body = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "ice-foia@ice.dhs.gov" in body and "response clock starts" in body
    assert handler.messages == []  # looking at the confirmation sends nothing

    assert client.post(f"{page_url}/send").status_code == 400  # no CSRF token
    assert handler.messages == [] and session.scalar(select(func.count(Delivery.id))) == 0

    resp = client.post(f"{page_url}/send", data={"csrf_token": csrf_token(client, f"{page_url}/send")})
    assert resp.status_code == 302 and resp.headers["Location"].startswith(f"/requests/{req.ref}")
    assert len(handler.messages) == 1 and handler.messages[0].rcpt_tos == ["ice-foia@ice.dhs.gov"]
    assert parsed(handler.messages[0].data)["Reply-To"].startswith(f"records+{req.ref}.")
    session.expire_all()
    assert session.scalar(select(func.count(Event.id)).where(Event.request_id == req.id, Event.kind == "sent")) == 1

    shown = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    section = shown[shown.index('id="deliveries-heading"'):]
    assert "ice-foia@ice.dhs.gov" in section and "Accepted" in section
    assert "250 2.0.0 Ok: queued as 4F3A2B" in section and "4F3A2B" in section
    # sent: no more "Send by email", and a second POST sends nothing
    assert "Send by email" not in client.get(page_url).get_data(as_text=True)
    client.post(f"{page_url}/send", data={"csrf_token": csrf_token(client, page_url)})
    assert len(handler.messages) == 1


@pytest.mark.parametrize(("role", "vis", "status"), [
    ("reporter", "private", 404),  # cannot see it: looks like it does not exist
    ("outsider", "public", 403),  # can read it, may not change it
    ("news_staff", "organization", 404),  # another organization's staff
])
def test_only_editors_may_send(login_as, world, session, app, smtp_app, role, vis, status):
    handler = smtp_app()
    req = world["requests"][("staff", vis)]
    version = final_letter(session, app, req, world["users"]["staff"])
    client = login_as(role)
    url = f"/requests/{req.ref}/letters/{version.id}/send"
    assert client.get(url).status_code == status
    token = csrf_token(client, "/settings") if client.get("/settings").status_code == 200 else ""
    assert client.post(url, data={"csrf_token": token}).status_code == status
    assert handler.messages == [] and session.scalar(select(func.count(Delivery.id))) == 0


def test_server_down_shows_the_error_and_offers_a_retry(login_as, world, session, app, smtp_app, monkeypatch):
    req = world["requests"][("staff", "private")]
    version = final_letter(session, app, req, world["users"]["staff"])
    port = free_port()
    monkeypatch.setitem(app.config, "FOIA_SMTP_URL", f"smtp://127.0.0.1:{port}")
    client = login_as("staff")
    url = f"/requests/{req.ref}/letters/{version.id}/send"
    resp = client.post(url, data={"csrf_token": csrf_token(client, url)})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 502
    assert "The letter was not sent" in body and f"127.0.0.1:{port}" in body
    session.expire_all()
    assert session.scalar(select(Delivery.status)) == "failed"
    assert session.scalar(select(func.count(Event.id)).where(Event.kind == "sent", Event.request_id == req.id)) == 0
    page = client.get(f"/requests/{req.ref}/letters/{version.id}").get_data(as_text=True)
    assert "Try sending again" in page and "The last attempt to email it failed" in page

    handler = smtp_app(CollectingHandler(), port=port)  # the server is back
    resp = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert resp.status_code == 302 and len(handler.messages) == 1
    assert parsed(handler.messages[0].data)["Message-ID"] == session.scalar(select(Delivery.message_id))


def test_agency_without_email_offers_portal_mail_and_fax(login_as, world, session, app, smtp_app):
    handler = smtp_app()
    req = world["requests"][("reporter", "private")]  # LASD: a portal, no email
    req.agency.fax = "(213) 555-0100"
    session.commit()
    version = final_letter(session, app, req, world["users"]["reporter"])
    client = login_as("reporter")
    page_url = f"/requests/{req.ref}/letters/{version.id}"
    page = client.get(page_url).get_data(as_text=True)
    assert "has no email address" in page and "Send by email" not in page
    assert 'href="https://lasd.org/transparency/"' in page and "211 West Temple Street" in page
    assert "by fax to (213) 555-0100" in page
    options = re.findall(r'<option[^>]*value="([^"]+)"', page[page.index('name="method"'):])
    assert options[:3] == ["portal", "mail", "fax"] and "email" not in options
    assert re.search(r'<option selected value="portal"|<option value="portal" selected', page)

    send_url = f"{page_url}/send"
    assert "has no email address" in client.get(send_url).get_data(as_text=True)
    resp = client.post(send_url, data={"csrf_token": csrf_token(client, page_url)})
    assert resp.status_code == 400 and "portal" in resp.get_data(as_text=True)
    assert handler.messages == [] and session.scalar(select(func.count(Delivery.id))) == 0

    resp = client.post(f"{page_url}/sent", data={"method": "fax", "sent_on": "2026-01-15",
                                                 "csrf_token": csrf_token(client, page_url)})
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(LetterVersion, version.id).sent_method == "fax"
    event = session.scalar(select(Event).where(Event.request_id == req.id, Event.kind == "sent"))
    assert event.data["method"] == "fax" and "by fax" in event.notes
