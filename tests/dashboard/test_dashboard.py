"""Dashboard queries (frozen `today`), agency responsiveness (hand-counted working days) and the page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event as sa_event

from foia.core.access import stats_scope
from foia.dashboard.cache import clear_stats_cache
from foia.dashboard.queries import (
    month_calendar,
    overdue,
    parse_month,
    status_counts,
    upcoming,
)
from foia.dashboard.stats import agency_responsiveness, refresh_stats, scope_key
from foia.extensions import db
from foia.requests.service import (
    RequestInput,
    create_request,
    log_event,
    update_request,
)
from tests.conftest import NOW

# Monday 16 March 2026. Federal holidays nearby: MLK Day Mon 19 Jan, Presidents' Day Mon 16 Feb.
TODAY = date(2026, 3, 16)


@pytest.fixture(autouse=True)
def _fresh_stats_cache():
    clear_stats_cache()
    yield
    clear_stats_cache()


def _sent(session, user, title, sent_on, *, agency="dhs-ice", visibility="private", status="submitted", extra=()):
    req = create_request(session, actor=user, now=NOW, data=RequestInput(
        title=title, records_sought="All records about the thing in question.", agency_slug=agency,
        visibility=visibility))
    log_event(session, actor=user, now=NOW, req=req, kind="sent", occurred_on=sent_on)
    for kind, on in extra:
        log_event(session, actor=user, now=NOW, req=req, kind=kind, occurred_on=on)
    if status != "draft":
        update_request(session, actor=user, now=NOW, req=req, status=status)
    return req


@pytest.fixture
def deadlines(world, session):
    """Federal FOIA requests (20 working days, day 1 = the working day after receipt) sent on fixed days.
    Response due dates, counted by hand on the federal calendar:"""
    staff = world["users"]["staff"]
    reqs = {
        "a": _sent(session, staff, "A sent Jan 5", date(2026, 1, 5)),      # due Tue Feb 3
        "b": _sent(session, staff, "B sent Feb 2", date(2026, 2, 2)),      # due Tue Mar 3
        "c": _sent(session, staff, "C sent Feb 20", date(2026, 2, 20)),    # due Fri Mar 20
        "d": _sent(session, staff, "D sent Mar 2", date(2026, 3, 2), status="processing"),  # due Mon Mar 30
        "e": _sent(session, staff, "E sent Mar 3", date(2026, 3, 3)),      # due Tue Mar 31
        "f": _sent(session, staff, "F sent Feb 13", date(2026, 2, 13)),    # due Mon Mar 16 (today)
        # Another organization's private request, overdue: staff of the City must never see it.
        "hidden": _sent(session, world["users"]["outsider"], "Outsider secret", date(2026, 1, 5), agency="lasd"),
    }
    session.commit()
    return reqs


def test_response_due_dates_are_as_counted_by_hand(deadlines):
    assert {k: r.response_due for k, r in deadlines.items() if k != "hidden"} == {
        "a": date(2026, 2, 3), "b": date(2026, 3, 3), "c": date(2026, 3, 20), "d": date(2026, 3, 30),
        "e": date(2026, 3, 31), "f": date(2026, 3, 16)}


def test_overdue_oldest_first_with_working_days_late(world, session, deadlines):
    result = overdue(session, world["users"]["staff"], today=TODAY)
    assert [(r.ref, r.label, r.due, r.working_days) for r in result.rows] == [
        # Working days from Feb 3 up to Fri Mar 13, without Presidents' Day: 4+5+4+5+5+5.
        (deadlines["a"].ref, "Determination due", date(2026, 2, 3), 28),
        # Mar 3-6 and Mar 9-13.
        (deadlines["b"].ref, "Determination due", date(2026, 3, 3), 9),
    ]
    assert result.total == 2 and result.more == 0
    assert result.rows[0].agency_name == "U.S. Immigration and Customs Enforcement"
    # Limited lists say how many more there are.
    limited = overdue(session, world["users"]["staff"], today=TODAY, limit=1)
    assert [r.ref for r in limited.rows] == [deadlines["a"].ref] and limited.total == 2 and limited.more == 1


def test_totals_are_counted_up_to_a_cap(world, session, deadlines, monkeypatch):
    import foia.dashboard.queries as dashboard_module

    monkeypatch.setattr(dashboard_module, "COUNT_CAP", 1)
    result = overdue(session, world["users"]["staff"], today=TODAY, limit=1)
    assert (len(result.rows), result.total, result.capped) == (1, 1, True)
    monkeypatch.setattr(dashboard_module, "COUNT_CAP", 1000)
    assert not overdue(session, world["users"]["staff"], today=TODAY, limit=1).capped


def test_upcoming_soonest_first_within_ten_working_days(world, session, deadlines):
    result = upcoming(session, world["users"]["staff"], today=TODAY)
    assert [(r.ref, r.due, r.working_days) for r in result.rows] == [
        (deadlines["f"].ref, date(2026, 3, 16), 0),   # due today
        (deadlines["c"].ref, date(2026, 3, 20), 4),   # Mar 17, 18, 19, 20
        (deadlines["d"].ref, date(2026, 3, 30), 10),  # Mar 17-20, 23-27, 30
    ]  # E (Mar 31) is 11 working days away
    assert result.total == 3
    # A page shorter than the list: the total is counted (the maintained counts up to the nearest law's cut-off,
    # then clock by clock), still without the outsider's requests or E.
    limited = upcoming(session, world["users"]["staff"], today=TODAY, limit=1)
    assert [r.ref for r in limited.rows] == [deadlines["f"].ref] and (limited.total, limited.more) == (3, 2)
    later = upcoming(session, world["users"]["staff"], today=date(2026, 3, 17), limit=1)
    assert [r.ref for r in later.rows] == [deadlines["c"].ref] and later.total == 3  # C, D and now E (Mar 31)


def test_overdue_when_today_is_a_weekend_counts_like_the_request_page(world, session, deadlines):
    saturday = date(2026, 3, 21)  # C was due Friday 20 March: one working day (the Friday) has gone by
    rows = {r.ref: r.working_days for r in overdue(session, world["users"]["staff"], today=saturday).rows}
    assert rows[deadlines["c"].ref] == 1


def test_closed_requests_leave_the_lists(world, session, deadlines):
    update_request(session, actor=world["users"]["staff"], now=NOW, req=deadlines["a"], status="withdrawn")
    session.commit()
    assert [r.ref for r in overdue(session, world["users"]["staff"], today=TODAY).rows] == [deadlines["b"].ref]


def test_visibility_hides_other_organizations_private_requests(world, session, deadlines):
    hidden = deadlines["hidden"].ref
    staff, admin, outsider = world["users"]["staff"], world["users"]["admin"], world["users"]["outsider"]
    assert hidden not in [r.ref for r in overdue(session, staff, today=TODAY).rows]
    assert hidden in [r.ref for r in overdue(session, admin, today=TODAY).rows]
    mine = overdue(session, outsider, today=TODAY)
    assert [r.ref for r in mine.rows] == [hidden]  # and none of the City's private requests
    month = month_calendar(session, staff, month=date(2026, 2, 1), today=TODAY)
    assert hidden not in {i.ref for w in month.weeks for c in w for i in c.items}


def test_status_counts(world, session, deadlines):
    counts = {s: n for s, _label, n in status_counts(session, world["users"]["staff"])}
    # World: the Clerk's 3 drafts and the reporter's public draft; here: 5 submitted, 1 processing.
    assert counts == {"draft": 4, "submitted": 5, "processing": 1}
    labels = [label for _s, label, _n in status_counts(session, world["users"]["staff"])]
    assert labels == ["Draft", "Submitted", "Processing"]  # workflow order


def test_month_calendar_lists_deadlines_on_their_day(world, session, deadlines):
    month = month_calendar(session, world["users"]["staff"], month=date(2026, 3, 1), today=TODAY)
    cells = {c.day: c for w in month.weeks for c in w if c.day}
    assert len(cells) == 31 and month.title == "March 2026"
    assert [i.ref for i in cells[date(2026, 3, 20)].items] == [deadlines["c"].ref]
    assert [i.ref for i in cells[date(2026, 3, 3)].items] == [deadlines["b"].ref]
    assert cells[date(2026, 3, 16)].is_today and not cells[date(2026, 3, 14)].working
    assert month.total == 5  # B, F, C, D, E
    assert month.weeks[0][0].day == date(2026, 3, 1)  # a Sunday: weeks start on Sunday
    assert [c.day for c in month.weeks[-1]][:3] == [date(2026, 3, 29), date(2026, 3, 30), date(2026, 3, 31)]
    assert month.weeks[-1][3].day is None  # April days are blank cells
    assert month.prev_month == date(2026, 2, 1) and month.next_month == date(2026, 4, 1)
    twin = _sent(session, world["users"]["staff"], "C2 sent Feb 20", date(2026, 2, 20))
    session.commit()
    few = month_calendar(session, world["users"]["staff"], month=date(2026, 3, 1), today=TODAY, per_day=1)
    cell = {c.day: c for w in few.weeks for c in w if c.day}[date(2026, 3, 20)]
    assert ([i.ref for i in cell.items], cell.total, cell.more) == ([deadlines["c"].ref], 2, 1)
    assert twin.ref not in {i.ref for i in cell.items}


def test_parse_month():
    assert parse_month("2026-02", TODAY) == date(2026, 2, 1)
    for bad in (None, "", "2026-13", "26-02", "2026/02", "abcd-ef", "2026-002"):
        assert parse_month(bad, TODAY) == date(2026, 3, 1)


# ------------------------------------------------------------------------------------ statistics

def test_agency_responsiveness_median_excludes_tolled_days_and_on_time_rate(world, session):
    staff = world["users"]["staff"]
    # Working days after receipt up to and including the first response, federal calendar:
    _sent(session, staff, "R1", date(2026, 3, 2), extra=[("acknowledged", date(2026, 3, 12))])
    # Mar 3,4,5,6,9,10,11,12 = 8. No substantive response, due Mar 30 < today: late.
    _sent(session, staff, "R2", date(2026, 3, 2), extra=[
        ("toll_start", date(2026, 3, 4)), ("toll_end", date(2026, 3, 10)), ("determination", date(2026, 3, 16))])
    # Mar 3..16 = 10 working days, minus the paused Mar 5, 6, 9, 10 = 6. Determination by its due date: on time.
    _sent(session, staff, "R3", date(2026, 3, 2), extra=[("release", date(2026, 3, 5))])
    # Mar 3, 4, 5 = 3. On time (due Mar 30).
    _sent(session, staff, "R4", date(2026, 1, 5), extra=[("determination", date(2026, 2, 10))])
    # Jan 6-9 (4), 12-16 (9), 20-23 (13, MLK Day 19th), 26-30 (18), Feb 2-6 (23), Feb 9-10 (25). Due Feb 3: late.
    _sent(session, staff, "L1", date(2026, 3, 2), agency="lasd", extra=[("received", date(2026, 3, 3)),
                                                                          ("acknowledged", date(2026, 3, 6))])
    # Receipt is the logged receipt (Tue Mar 3), not the day sent: Mar 4, 5, 6 = 3.
    _sent(session, staff, "Pending", date(2026, 4, 10))  # within its period: not counted anywhere
    session.commit()
    stats = {s.slug: s for s in agency_responsiveness(session, scope=("all",), today=date(2026, 4, 15))}
    ice = stats["dhs-ice"]
    assert ice.responses == 4
    assert ice.median_days == 7.0  # median of 3, 6, 8, 25 (with the tolled days it would be 9)
    assert (ice.min_days, ice.max_days) == (3, 25)
    assert (ice.on_time, ice.judged) == (2, 4) and ice.on_time_rate == 0.5
    lasd = stats["lasd"]
    assert lasd.responses == 1 and lasd.median_days == 3.0
    assert set(stats) == {"dhs-ice", "lasd"}  # agencies without a response are not listed


def test_an_unanswered_toll_pauses_through_the_response(world, session):
    staff = world["users"]["staff"]
    _sent(session, staff, "T", date(2026, 3, 2), extra=[("toll_start", date(2026, 3, 4)), ("closed", date(2026, 3, 11))])
    session.commit()
    (ice,) = agency_responsiveness(session, scope=("all",), today=TODAY)
    assert ice.median_days == 2.0  # Mar 3, 4 count; Mar 5-11 paused


def test_statistics_scope_follows_the_organization(world, session):
    outsider = world["users"]["outsider"]
    _sent(session, outsider, "Private elsewhere", date(2026, 3, 2), agency="lasd",
          extra=[("acknowledged", date(2026, 3, 5))])
    session.commit()
    assert agency_responsiveness(session, scope=stats_scope(world["users"]["staff"]), today=TODAY) == []
    assert [s.slug for s in agency_responsiveness(session, scope=stats_scope(outsider), today=TODAY)] == []  # private
    assert [s.slug for s in agency_responsiveness(session, scope=stats_scope(world["users"]["admin"]), today=TODAY)] == ["lasd"]


# ------------------------------------------------------------------------------------ the page

def _section(body: str, heading_id: str) -> str:
    start = body.index(f'id="{heading_id}"')
    end = body.find("<section", start)
    return body[start:end if end != -1 else len(body)]


def test_dashboard_page(ctx, login_as, world, session):
    today = datetime.now(ZoneInfo(ctx.config["FOIA_TIMEZONE"])).date()
    staff = world["users"]["staff"]
    late = _sent(session, staff, "Long overdue request", today - timedelta(days=70))
    soon = _sent(session, staff, "Due soon request", today - timedelta(days=21))  # about 5 working days left
    hidden = _sent(session, world["users"]["outsider"], "Outsider secret request", today - timedelta(days=70),
                   agency="lasd")
    _sent(session, staff, "Answered", today - timedelta(days=40), extra=[("acknowledged", today - timedelta(days=30))])
    session.commit()
    refresh_stats(session, today=today, now=datetime.now(UTC))  # the scheduler's statistics refresh
    session.commit()
    client = login_as("staff")
    assert client.get("/").headers["Location"].endswith("/dashboard")
    resp = client.get("/dashboard")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert 'href="/dashboard" aria-current="page"><span>Dashboard</span></a>' in body  # in the navigation, marked current
    overdue_html = _section(body, "overdue-heading")
    upcoming_html = _section(body, "upcoming-heading")
    assert late.ref in overdue_html and "working days overdue" in overdue_html and soon.ref not in overdue_html
    assert soon.ref in upcoming_html and late.ref not in upcoming_html
    assert hidden.ref not in body and "Outsider secret" not in body
    status_html = _section(body, "status-heading")
    assert re.search(r'Submitted</a></th>\s*<td><span class="bar-value">3</span>', status_html)  # not the outsider's
    agency_html = _section(body, "agency-heading")
    assert "U.S. Immigration and Customs Enforcement" in agency_html and "How these figures are measured" in agency_html
    # The month calendar: an accessible table with the deadline on its day.
    due = soon.response_due
    month_body = client.get(f"/dashboard?month={due:%Y-%m}").get_data(as_text=True)
    cal = _section(month_body, "calendar-heading")
    assert f"<caption>Open deadlines in {due:%B %Y}" in cal
    assert cal.count('<th scope="col">') == 7
    cell = re.search(rf'<time datetime="{due.isoformat()}">{due.day}</time></span>(.*?)</td>', cal, re.S)
    assert cell and f'/requests/{soon.ref}' in cell.group(1)
    prev_month = (due.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert f"/dashboard?month={prev_month}" in cal
    assert client.get("/dashboard?month=garbage").status_code == 200


def test_dashboard_requires_login_and_uses_a_bounded_number_of_queries(client, login_as, world, session):
    assert client.get("/dashboard").headers["Location"].startswith("/login")
    login_as("admin")
    today = datetime.now(ZoneInfo("America/Los_Angeles")).date()

    def queries() -> int:
        refresh_stats(session, today=today, now=datetime.now(UTC))  # both read stored statistics
        session.commit()
        session.expire_all()  # start both measurements from the same cold identity map
        seen = []
        listener = lambda conn, cur, stmt, *a, **k: seen.append(stmt)  # noqa: E731
        sa_event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/dashboard?month={month}").status_code == 200
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", listener)
        return seen

    first = _sent(session, world["users"]["staff"], "First", today - timedelta(days=29),
                  extra=[("acknowledged", today - timedelta(days=20))])
    session.commit()
    month = f"{first.response_due:%Y-%m}"  # a month grid with deadlines: one query for its items
    few = queries()
    for i in range(6):
        _sent(session, world["users"]["staff"], f"Bulk {i}", today - timedelta(days=30 + i),
              extra=[("acknowledged", today - timedelta(days=20))])
    session.commit()
    many = queries()
    assert len(many) == len(few), "\n\n".join(many)  # no query per row


def test_agency_statistics_are_refreshed_by_their_own_scheduler_job_not_the_sweep(app, world, session):
    """Page views read the stored figures; the scheduler's statistics job (not the reminder sweep) updates them."""
    from foia.models import StatsSnapshot
    from foia.scheduler import refresh_statistics, sweep

    staff = world["users"]["staff"]
    key = scope_key(stats_scope(staff))
    app.config["FOIA_SMTP_URL"] = None
    sweep(app)
    assert session.get(StatsSnapshot, key) is None  # the reminder sweep leaves statistics alone
    result = refresh_statistics(app)
    assert result is not None and result.full >= 3
    session.expire_all()
    row = session.get(StatsSnapshot, key)
    assert row is not None and row.computed_on is not None


def test_a_bounced_letter_is_not_a_receipt_in_the_statistics(world, session):
    """Two letters emailed Mar 2 and acknowledged Mar 12; one of them bounced, so the agency never received
    it by email: only the delivered one is measured (Mar 3-12 = 8 working days)."""
    from sqlalchemy import select

    from foia.models import Delivery, Event

    staff = world["users"]["staff"]
    bounced = _sent(session, staff, "Bounced", date(2026, 3, 2), extra=[("acknowledged", date(2026, 3, 12))])
    _sent(session, staff, "Delivered", date(2026, 3, 2), extra=[("acknowledged", date(2026, 3, 12))])
    sent_event = session.scalar(select(Event).where(Event.request_id == bounced.id, Event.kind == "sent"))
    session.add(Delivery(request_id=bounced.id, organization_id=bounced.organization_id, kind="request",
                         message_id="<b@x>", to_addr="foia@ice.example", from_addr="clerk@lacity.example",
                         status="bounced", event_id=sent_event.id, created_at=NOW, updated_at=NOW))
    session.commit()
    (ice,) = agency_responsiveness(session, scope=("all",), today=date(2026, 4, 15))
    assert ice.responses == 1 and ice.median_days == 8.0
