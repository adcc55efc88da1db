"""Internal task dates in the daily digest (mail received by a real SMTP server) and in the calendar feeds
(parsed with icalendar), always marked internal and apart from the statutory deadlines (issue 19)."""

from __future__ import annotations

import re
from datetime import date

from icalendar import Calendar

from foia.tasks.service import TaskInput, add_task
from tests.conftest import csrf_token
from tests.reminders.conftest import at, send_request, smtp, sweep  # noqa: F401  (smtp: the aiosmtpd fixture)


def _body(msg, kind: str) -> str:
    return msg.get_body(preferencelist=(kind,)).get_content()


def test_digest_lists_my_task_dates_marked_internal(world, session, smtp):  # noqa: F811
    req, clerk = world["requests"][("staff", "private")], world["users"]["staff"]
    clerk.reminder_mode = "digest"
    session.commit()
    send_request(session, req, clerk, date(2026, 6, 1))  # determination due Tue 2026-06-30
    # 5 working days before the determination: Tue 06-23; someone else's task is not in this digest
    add_task(session, actor=clerk, now=at(date(2026, 6, 2)), req=req,
             data=TaskInput(title="Chase ICE by phone", assignee_id=clerk.id, mode="relative", days="5",
                            unit="working", direction="before", clock="response"))
    add_task(session, actor=clerk, now=at(date(2026, 6, 2)), req=req,
             data=TaskInput(title="Admin's own task", assignee_id=world["users"]["admin"].id, due="2026-06-22"))
    session.commit()

    # Mon 06-22: the statutory deadline is 6 working days off (not in a five-day digest), the task 1 working day
    assert sweep(session, smtp, at(date(2026, 6, 22), 8)) == 1
    first = smtp.inbox.messages[0]
    assert first["To"] == clerk.email
    assert first["Subject"] == "FOIA Tracker digest for Mon Jun 22, 2026: 1 internal task date"
    text = _body(first, "plain")
    assert "INTERNAL date" in text and "not statutory deadlines" in text
    assert "Internal date: Tue Jun 23, 2026 — due in 1 working day (5 working days before Determination due)" in text
    assert "Determination due:" not in text and "Admin's own task" not in text
    html = _body(first, "html")
    assert "<strong>Internal date: Tue Jun 23, 2026</strong>" in html and "not statutory deadlines" in html

    # Tue 06-23: both, apart: the statutory line with its citation, the task marked internal
    assert sweep(session, smtp, at(date(2026, 6, 23), 7)) == 1
    second = smtp.inbox.messages[1]
    assert second["Subject"] == "FOIA Tracker digest for Tue Jun 23, 2026: 1 deadline, 1 internal task date"
    text = _body(second, "plain")
    statutory, internal = text.split("Your tasks with an INTERNAL date")
    assert "Determination due: Tue Jun 30, 2026 — due in 5 working days (5 U.S.C. § 552(a)(6)(A)(i))" in statutory
    assert "Chase ICE by phone" not in statutory and "Internal" not in statutory
    assert "Chase ICE by phone" in internal and "Internal date: Tue Jun 23, 2026 — due today" in internal
    assert f"http://foia.test/requests/{req.ref}#task-" in internal


def _feed(client, scope: str) -> Calendar:
    token = csrf_token(client, "/settings")
    assert client.post("/settings/calendar-token", data={"csrf_token": token}).status_code == 302
    body = client.get("/settings").get_data(as_text=True)
    urls = dict(re.findall(r'id="feed-(mine|org)" type="text" readonly value="([^"]+)"', body))
    resp = client.get(urls[scope].replace("http://127.0.0.1:5000", ""))
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    return Calendar.from_ical(resp.data)


def test_feeds_carry_task_dates_as_internal_events(login_as, world, session):
    users, reqs = world["users"], world["requests"]
    staff = users["staff"]
    req = reqs[("staff", "private")]
    send_request(session, req, staff, date(2026, 6, 1))
    mine = add_task(session, actor=staff, now=at(date(2026, 6, 2)), req=req,
                    data=TaskInput(title="Review the 400 pages", assignee_id=staff.id, mode="relative", days="10",
                                   unit="working", direction="before", clock="response"))
    add_task(session, actor=staff, now=at(date(2026, 6, 2)), req=req,
             data=TaskInput(title="Admin's task", assignee_id=users["admin"].id, due="2026-06-12"))
    public = reqs[("staff", "public")]  # readable by the newsroom; its tasks are the city's
    send_request(session, public, staff, date(2026, 6, 1))
    add_task(session, actor=staff, now=at(date(2026, 6, 2)), req=public,
             data=TaskInput(title="City-only work", assignee_id=staff.id, due="2026-06-11"))
    done = add_task(session, actor=staff, now=at(date(2026, 6, 2)), req=req,
                    data=TaskInput(title="Finished", assignee_id=staff.id, due="2026-06-10"))
    done.done_at = at(date(2026, 6, 3))
    session.commit()

    client = login_as("staff")
    events = list(_feed(client, "mine").walk("VEVENT"))
    by_summary = {str(e["SUMMARY"]): e for e in events}
    assert set(by_summary) == {f"{req.ref}: Determination due", f"{public.ref}: Determination due",
                               f"Internal: {req.ref}: Review the 400 pages", f"Internal: {public.ref}: City-only work"}
    task_event = by_summary[f"Internal: {req.ref}: Review the 400 pages"]
    assert task_event.decoded("DTSTART") == date(2026, 6, 15)  # 10 working days before Tue 06-30 (Juneteenth skipped)
    assert "not a statutory deadline" in str(task_event["DESCRIPTION"])
    assert str(task_event["UID"]) == f"{req.ref}-task-{mine.id}@foia-tracker"
    statutory = by_summary[f"{req.ref}: Determination due"]  # unchanged: no "internal" anywhere
    assert statutory.decoded("DTSTART") == date(2026, 6, 30)
    assert "internal" not in str(statutory["DESCRIPTION"]).lower()
    # the organization feed has every open task of the city's requests, still marked internal
    org = [str(e["SUMMARY"]) for e in _feed(client, "org").walk("VEVENT")]
    assert f"Internal: {req.ref}: Admin's task" in org and f"Internal: {req.ref}: Finished" not in org
    client.post("/logout", data={"csrf_token": csrf_token(client, "/settings")})

    # another organization's staff: the public request's statutory date, never its internal tasks
    client = login_as("news_staff")
    org = [str(e["SUMMARY"]) for e in _feed(client, "org").walk("VEVENT")]
    assert f"{public.ref}: Determination due" in org
    assert not any(s.startswith("Internal:") for s in org)
