"""The deadline engine wired to the database: cached clocks, recompute on calendar change, pages, CLI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import select

from foia.clocks.closures import add_closure
from foia.clocks.service import recompute_open
from foia.models import Agency, AuditLog, CalendarClosure, RequestClock
from foia.requests.service import log_event, update_request
from tests.conftest import NOW, csrf_token


def _send(session, req, user, day: date):
    log_event(session, actor=user, now=NOW, req=req, kind="sent", occurred_on=day,
              occurred_at=datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC))


def test_sending_starts_the_clock_and_caches_it(world, session):
    staff = world["users"]["staff"]
    req = world["requests"][("staff", "private")]  # to ICE, federal FOIA
    _send(session, req, staff, date(2025, 6, 20))  # Fri; 15:00 UTC = 11:00 Eastern, within hours
    session.commit()
    # 20 working days after Fri 2025-06-20, skipping July 4 (Independence Day): Mon 2025-07-21.
    assert req.response_due == date(2025, 7, 21)
    assert req.next_due == date(2025, 7, 21)
    rows = {r.kind: r for r in session.scalars(select(RequestClock).where(RequestClock.request_id == req.id))}
    assert rows["response"].due == date(2025, 7, 21) and rows["response"].status == "open"


def test_cpra_request_rolls_past_court_holidays(world, session):
    reporter = world["users"]["reporter"]
    req = world["requests"][("reporter", "private")]  # to LASD, CPRA
    # Received Mon 2026-02-02; 10 calendar days -> Thu 2026-02-12, Lincoln's Birthday (a CCP §135
    # court holiday) -> rolls to Fri 2026-02-13.
    _send(session, req, reporter, date(2026, 2, 2))
    session.commit()
    assert req.response_due == date(2026, 2, 13)


def test_request_page_shows_clock_days_left_and_explanation(login_as, world, session):
    staff = world["users"]["staff"]
    req = world["requests"][("staff", "private")]
    _send(session, req, staff, date(2025, 6, 20))
    session.commit()
    body = login_as("staff").get(f"/requests/{req.ref}").get_data(as_text=True)
    assert "Monday, July 21, 2025" in body
    assert "5 U.S.C. § 552(a)(6)(A)(i)" in body
    assert "Independence Day" in body  # the skipped holiday is named in the explanation
    assert "overdue" in body  # 2025 is long past


def _closure_via_admin_page(client, **form):
    """The admin page records the closure and queues the recompute; the scheduler runs it (issue 17)."""
    token = csrf_token(client, "/admin/calendars")
    resp = client.post("/admin/closures", data={"csrf_token": token, **form})
    _run_recompute_jobs(client.application)
    return resp


def _run_recompute_jobs(app):
    from foia.scheduler import recompute_clocks

    recompute_clocks(app)


def test_closure_recomputes_open_requests_audits_them_and_leaves_closed_ones(login_as, world, session):
    """A closure extends a clock only where its law says so: a California court-calendar closure rolls
    a CPRA last day (Code Civ. Proc. § 12b); a federal one changes no federal clock (5 U.S.C.
    § 552(a)(6)(A) excepts only Saturdays, Sundays and legal public holidays)."""
    users, reqs = world["users"], world["requests"]
    open_cpra = reqs[("reporter", "private")]
    closed_cpra = reqs[("reporter", "organization")]
    ice = reqs[("staff", "private")]
    for req, user in ((open_cpra, users["reporter"]), (closed_cpra, users["reporter"]), (ice, users["staff"])):
        _send(session, req, user, date(2025, 6, 20))
    update_request(session, actor=users["reporter"], now=NOW, req=closed_cpra, status="released")
    session.commit()
    # Fri 2025-06-20 + 10 calendar days = Mon 2025-06-30, a court day.
    assert open_cpra.response_due == closed_cpra.response_due == date(2025, 6, 30)
    ice_before = ice.response_due
    closed_clock_before = session.scalar(select(RequestClock.due).where(
        RequestClock.request_id == closed_cpra.id, RequestClock.kind == "response"))

    client = login_as("admin")
    # A federal executive-order closure moves no federal clock.
    resp = _closure_via_admin_page(client, on="2025-07-03", name="Federal offices closed by executive order",
                                   calendar="us-federal")
    assert resp.status_code == 302
    session.expire_all()
    assert ice.response_due == ice_before == date(2025, 7, 21)
    body = client.get(f"/requests/{ice.ref}").get_data(as_text=True)
    assert "not counted for this clock" in body

    resp = _closure_via_admin_page(client, on="2025-06-30", name="Court offices closed", calendar="ca-court")
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "recomputing" in page and "2025-06-30" in page

    session.expire_all()
    assert open_cpra.response_due == date(2025, 7, 1)  # the last day is rolled past the closed day
    assert closed_cpra.response_due == date(2025, 6, 30)  # closed requests are left as they were
    assert session.scalar(select(RequestClock.due).where(
        RequestClock.request_id == closed_cpra.id, RequestClock.kind == "response")) == closed_clock_before
    assert ice.response_due == ice_before  # another calendar
    audits = session.scalars(select(AuditLog).where(AuditLog.action == "recompute")).all()
    assert [(a.entity_id, a.before["response"], a.after["response"]) for a in audits] == [
        (str(open_cpra.id), "2025-06-30", "2025-07-01")]
    assert "closure added: 2025-06-30" in audits[0].after["reason"]
    body = client.get(f"/requests/{open_cpra.ref}").get_data(as_text=True)
    assert "Court offices closed" in body

    # Removing it moves the date back, audited too.
    closure = session.scalar(select(CalendarClosure).where(CalendarClosure.calendar_id == "ca-court"))
    token = csrf_token(client, "/admin/calendars")
    resp = client.post(f"/admin/closures/{closure.id}/delete", data={"csrf_token": token})
    assert resp.status_code == 302
    session.expire_all()
    assert open_cpra.response_due == date(2025, 7, 1)  # not in the web request: the scheduler's job
    _run_recompute_jobs(client.application)
    session.expire_all()
    assert open_cpra.response_due == date(2025, 6, 30)
    assert session.scalar(select(AuditLog).where(AuditLog.action == "recompute").order_by(AuditLog.id.desc())).after["response"] == "2025-06-30"


def test_agency_closure_moves_only_that_agencys_requests(world, session):
    users, reqs = world["users"], world["requests"]
    cpra_req = reqs[("reporter", "private")]
    _send(session, cpra_req, users["reporter"], date(2025, 6, 20))
    ice_req = reqs[("staff", "private")]
    _send(session, ice_req, users["staff"], date(2025, 6, 20))
    session.commit()
    ice = session.scalar(select(Agency).where(Agency.slug == "dhs-ice"))
    _closure, moved = add_closure(session, actor=users["admin"], now=NOW, on=date(2025, 7, 3), name="ICE office flooded",
                                  agency=ice)
    assert moved == []  # a federal clock is not extended by an office closure
    other = session.scalar(select(Agency).where(Agency.slug != "lasd", Agency.slug != "dhs-ice"))
    _closure, moved = add_closure(session, actor=users["admin"], now=NOW, on=date(2025, 6, 30), name="Flooded",
                                  agency=other)
    assert moved == []
    lasd = session.scalar(select(Agency).where(Agency.slug == "lasd"))
    _closure, moved = add_closure(session, actor=users["admin"], now=NOW, on=date(2025, 6, 30), name="LASD office flooded",
                                  agency=lasd)
    assert [(m.ref, m.kind, m.before, m.after) for m in moved] == [
        (cpra_req.ref, "response", date(2025, 6, 30), date(2025, 7, 1))]


def test_recompute_is_a_no_op_when_nothing_changed(world, session):
    _send(session, world["requests"][("staff", "private")], world["users"]["staff"], date(2025, 6, 20))
    session.commit()
    assert recompute_open(session, now=NOW, actor=None, reason="test") == []


def test_calendar_page_is_admin_only(login_as):
    for role in ("staff", "reporter"):
        client = login_as(role)
        assert client.get("/admin/calendars").status_code == 403
        token = csrf_token(client, "/requests")
        assert client.post("/admin/closures", data={"csrf_token": token, "on": "2025-07-03", "name": "x",
                                                    "calendar": "us-federal"}).status_code == 403
        client.post("/logout", data={"csrf_token": token})


def test_calendar_page_lists_observed_holidays(login_as):
    body = login_as("admin").get("/admin/calendars?calendar=us-federal&year=2027").get_data(as_text=True)
    assert "2027-12-31" in body  # New Year's Day 2028 falls on a Saturday: observed Friday Dec 31, 2027
    assert "2027-07-05" in body  # July 4, 2027 is a Sunday: observed Monday July 5


def test_closure_form_rejects_bad_input_and_saves_nothing(login_as, session):
    client = login_as("admin")
    for form, message in (
        ({"on": "", "name": "Storm", "calendar": "us-federal"}, "Enter the date of the closure"),
        ({"on": "2025-07-03", "name": "", "calendar": "us-federal"}, "Say why the office is closed"),
        ({"on": "2025-07-03", "name": "Storm", "calendar": "mars"}, "Choose a calendar from the list"),
        ({"on": "2025-07-03", "name": "Storm", "calendar": "", "agency": "nope"}, "Choose an agency from the list"),
    ):
        resp = _closure_via_admin_page(client, **form)
        assert resp.status_code == 400 and message in resp.get_data(as_text=True), form
    assert session.scalar(select(CalendarClosure.id)) is None
    assert _closure_via_admin_page(client, on="2025-07-03", name="Storm", calendar="us-federal").status_code == 302
    dupe = _closure_via_admin_page(client, on="2025-07-03", name="Storm again", calendar="us-federal")
    assert dupe.status_code == 400 and "already a closure" in dupe.get_data(as_text=True)


def test_cli_show_and_requests_report_deadlines(cli, world, session):
    req = world["requests"][("staff", "private")]
    _send(session, req, world["users"]["staff"], date(2025, 6, 20))
    session.commit()
    data = json.loads(cli.invoke(args=["foia", "show", req.ref, "--json"]).output)
    response = next(d for d in data["deadlines"] if d["kind"] == "response")
    assert response["date"] == "2025-07-21"
    assert any("Independence Day" in line for line in response["explanation"])
    listed = {r["ref"]: r for r in json.loads(cli.invoke(args=["foia", "requests", "--json"]).output)}
    assert listed[req.ref]["response_due"] == "2025-07-21"
    assert listed[world["requests"][("reporter", "private")].ref]["response_due"] is None  # not sent yet


def test_cli_deadline_command_is_registered(cli):
    result = cli.invoke(args=["foia", "deadline", "--law", "ca-cpra", "--received", "2026-02-02", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["response_due"] == "2026-02-13"


def test_cli_recompute(cli, world, session):
    result = cli.invoke(args=["foia", "recompute"])
    assert result.exit_code == 0 and "0 clock date(s) moved" in result.output


def _pending_dues(session, req):
    from foia.models import Reminder

    return set(session.scalars(select(Reminder.due).where(Reminder.request_id == req.id, Reminder.status == "pending")))


def test_a_small_calendar_change_replans_reminders_at_once(world, session):
    req = world["requests"][("reporter", "private")]  # CPRA: closures roll its last day (CCP § 12b)
    _send(session, req, world["users"]["reporter"], date(2025, 6, 20))
    session.commit()
    assert _pending_dues(session, req) == {date(2025, 6, 30)}
    from foia.reminders.planner import replan_moved

    _closure, moved = add_closure(session, actor=world["users"]["admin"], now=NOW, on=date(2025, 6, 30), name="Closed",
                                  calendar_id="ca-court")
    assert req.reminders_stale  # flagged by the recompute: the sweep would re-plan it if no caller did
    assert replan_moved(session, moved, now=NOW) == 1  # what the admin page and the CLI do next
    session.commit()
    session.expire_all()
    assert _pending_dues(session, req) == {date(2025, 7, 1)} and not req.reminders_stale


def test_a_large_calendar_change_leaves_reminders_to_the_sweep(world, session, tmp_path):
    from foia.mail import OutboxMailer
    from foia.models import CalendarClosure
    from foia.reminders.dispatch import DispatchSettings, dispatch_due
    from foia.reminders.planner import replan_moved

    req = world["requests"][("reporter", "private")]  # CPRA: closures roll its last day (CCP § 12b)
    _send(session, req, world["users"]["reporter"], date(2025, 6, 20))
    session.add(CalendarClosure(calendar_id="ca-court", closed_on=date(2025, 6, 30), name="Closed", created_at=NOW))
    moved = recompute_open(session, now=NOW, actor=None, reason="test", calendar_id="ca-court")
    assert replan_moved(session, moved, now=NOW, at_once=0) == 0  # too many to do now: left to the sweep
    session.commit()
    session.expire_all()
    assert req.reminders_stale and _pending_dues(session, req) == {date(2025, 6, 30)}
    dispatch_due(session, now=NOW, mailer=OutboxMailer(tmp_path), settings=DispatchSettings())
    session.expire_all()
    assert not req.reminders_stale and _pending_dues(session, req) == {date(2025, 7, 1)}


def test_every_engine_event_kind_is_a_ledger_kind_of_the_same_name():
    """ledger_for passes ledger rows to the engine under their own kind: the names must agree."""
    from foia.deadlines import ENGINE_EVENT_KINDS
    from foia.models import EVENT_KINDS

    assert set(ENGINE_EVENT_KINDS) <= set(EVENT_KINDS)
    assert "sent" in EVENT_KINDS and "sent" not in ENGINE_EVENT_KINDS  # read as receipt only when none is logged
