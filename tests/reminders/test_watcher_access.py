"""M3 and I1: a watcher who loses access to a request (it was made private) no longer gets it in their
feed, their planned reminders or their digest, and watcher email addresses are shown to editors only."""

from __future__ import annotations

import email
import email.policy
from datetime import date
from pathlib import Path

from icalendar import Calendar
from sqlalchemy import select

from foia.mail import OutboxMailer
from foia.models import Reminder, User
from foia.reminders.compose import DueReminder, compose_digest
from foia.reminders.dispatch import DispatchSettings, dispatch_due
from foia.reminders.feeds import feed_rows, new_token
from foia.reminders.planner import recipients
from foia.reminders.watchers import add_watcher
from foia.requests.service import update_request
from tests.conftest import NOW, csrf_token, login
from tests.reminders.conftest import at, send_request


def _feed_refs(client, user: User) -> set[str]:
    resp = client.get(f"/feeds/mine.ics?token={user.calendar_token}")
    assert resp.status_code == 200
    return {str(e["SUMMARY"]).split(":")[0] for e in Calendar.from_ical(resp.data).walk("VEVENT")}


def _outbox_recipients(folder: str) -> list[tuple[str, str]]:
    out = []
    for path in Path(folder).glob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        out.append((str(msg["To"]), str(msg["Subject"])))
    return out


def test_former_watcher_loses_feed_reminders_and_mail(ctx, client, world, session):
    reporter, colleague = world["users"]["reporter"], world["users"]["colleague"]
    req = world["requests"][("reporter", "organization")]
    send_request(session, req, reporter, date(2026, 6, 1))
    colleague.calendar_token = new_token()
    session.commit()

    # The colleague watches the request (through the page, as the requester would add them).
    assert login(client, reporter.email).status_code == 302
    token = csrf_token(client, f"/requests/{req.ref}")
    assert client.post(f"/requests/{req.ref}/watchers", data={"csrf_token": token, "user_id": colleague.id}).status_code == 302
    assert colleague.id in {u.id for u in recipients(session, req)}
    assert session.scalars(select(Reminder).where(Reminder.user_id == colleague.id, Reminder.status == "pending")).all()
    assert req.ref in _feed_refs(client, colleague)

    # The requester makes it private: the colleague can no longer open it ...
    assert client.post(f"/requests/{req.ref}/visibility", data={"csrf_token": token, "visibility": "private"}).status_code in (302, 303)
    session.expire_all()
    assert req.visibility == "private"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/settings")})
    assert login(client, colleague.email).status_code == 302
    assert client.get(f"/requests/{req.ref}").status_code == 404
    # ... nor see it in their feed, nor is any reminder planned for them
    assert req.ref not in _feed_refs(client, colleague)
    assert feed_rows(session, colleague, "mine") == []
    assert colleague.id not in {u.id for u in recipients(session, req)}
    assert session.scalars(select(Reminder).where(Reminder.user_id == colleague.id, Reminder.status == "pending")).all() == []

    # A real sweep to the outbox mails the requester, never the former watcher.
    outbox = ctx.config["FOIA_OUTBOX_DIR"]
    first = min(r.send_at for r in session.scalars(select(Reminder).where(Reminder.user_id == reporter.id)))
    sent = dispatch_due(session, now=first, mailer=OutboxMailer(outbox), settings=DispatchSettings())
    assert sent >= 1
    mails = _outbox_recipients(outbox)
    assert mails and all(to == reporter.email for to, _subject in mails)
    assert any(req.ref in subject for _to, subject in mails)
    assert session.scalars(select(Reminder).where(Reminder.user_id == colleague.id, Reminder.status == "sent")).all() == []


def test_digest_leaves_out_requests_the_person_cannot_see(world, session):
    reporter, colleague = world["users"]["reporter"], world["users"]["colleague"]
    req = world["requests"][("reporter", "organization")]
    send_request(session, req, reporter, date(2026, 6, 1))
    add_watcher(session, actor=reporter, now=NOW, req=req, user=colleague)
    session.commit()
    row = DueReminder(id=0, request_id=None, user_id=colleague.id, clock_kind="digest", due=date(2026, 6, 29),
                      rule="digest", seq=0, attempts=0, ref=None, title=None, tracking_number=None,
                      request_status=None, law=None, agency_slug=None, agency_name=None, clock_due=None,
                      clock_status=None, clock_label=None, user_email=colleague.email, user_name=colleague.name,
                      user_timezone=None)
    content, _ = compose_digest(session, row, now=at(date(2026, 6, 29)), base_url="http://foia.test")
    assert content is not None and req.ref in content.text
    update_request(session, actor=reporter, now=NOW, req=req, visibility="private")
    session.commit()
    content, why = compose_digest(session, row, now=at(date(2026, 6, 29)), base_url="http://foia.test")
    assert content is None and "Nothing due" in why


def test_watcher_emails_are_shown_to_editors_only(client, world, session):
    reporter, colleague = world["users"]["reporter"], world["users"]["colleague"]
    req = world["requests"][("reporter", "public")]
    add_watcher(session, actor=reporter, now=NOW, req=req, user=colleague)
    session.commit()
    assert login(client, reporter.email).status_code == 302
    assert f"Colleague ({colleague.email})" in client.get(f"/requests/{req.ref}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/settings")})
    assert login(client, world["users"]["outsider"].email).status_code == 302
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert "Colleague" in page and colleague.email not in page
