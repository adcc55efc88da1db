"""Tasks with internal dates (issue 19): relative dates counted on the request's own working-day calendar and
following their clock, complete / reopen / delete with audit rows, and who may assign what."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from foia.clocks.closures import add_closure
from foia.core.errors import ValidationError
from foia.deadlines import calendar_for
from foia.deadlines.relative import relative_date
from foia.models import Agency, AuditLog, RequestClock, Task
from foia.requests.service import log_event
from foia.tasks.service import (
    TaskInput,
    add_task,
    complete_task,
    delete_task,
    panel_rows,
    reopen_task,
    tasks_for,
)
from tests.conftest import NOW
from tests.reminders.conftest import at, send_request


def _ice(world):
    return world["requests"][("staff", "private")], world["users"]["staff"]


def _relative(user, days, unit="working", direction="before", clock="response", title="Chase ICE by phone"):
    return TaskInput(title=title, assignee_id=user.id, mode="relative", days=str(days), unit=unit,
                     direction=direction, clock=clock)


def test_relative_dates_count_federal_working_days_by_hand(world, session):
    """Sent Mon 2026-06-01: the determination is due Tue 2026-06-30 (20 working days, Juneteenth skipped).
    Counted by hand on the federal calendar:
    - 10 working days before: 29, 26, 25, 24, 23, 22, 18, 17, 16, 15 June (Fri 19 June is Juneteenth) -> Mon 06-15;
    - 10 calendar days before: Sat 06-20;
    - 3 working days after: 1, 2, 6 July (Fri 3 July is Independence Day observed) -> Mon 07-06."""
    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    assert session.scalar(select(RequestClock.due).where(RequestClock.request_id == req.id,
                                                         RequestClock.kind == "response")) == date(2026, 6, 30)
    now = at(date(2026, 6, 2))
    working = add_task(session, actor=clerk, now=now, req=req, data=_relative(clerk, 10))
    calendar = add_task(session, actor=clerk, now=now, req=req, data=_relative(clerk, 10, unit="calendar"))
    after = add_task(session, actor=clerk, now=now, req=req, data=_relative(clerk, 3, direction="after"))
    by_hand = add_task(session, actor=clerk, now=now, req=req,
                       data=TaskInput(title="Review the 400 pages", assignee_id=clerk.id, due="2026-06-10"))
    session.commit()
    assert (working.due, calendar.due, after.due, by_hand.due) == (
        date(2026, 6, 15), date(2026, 6, 20), date(2026, 7, 6), date(2026, 6, 10))
    # the same counting as the pure function on the federal calendar (no second working-day counter)
    assert relative_date(calendar_for("us-federal"), date(2026, 6, 30), 10, "working", "before") == date(2026, 6, 15)
    rows = {r.task.id: r for r in panel_rows(session, req, tasks_for(session, req))}
    assert rows[working.id].relative == "10 working days before Determination due"
    assert rows[by_hand.id].relative == ""


def test_relative_date_follows_the_clock_and_says_when_it_closes(world, session):
    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    task = add_task(session, actor=clerk, now=at(date(2026, 6, 2)), req=req, data=_relative(clerk, 5))
    fixed = add_task(session, actor=clerk, now=at(date(2026, 6, 2)), req=req,
                     data=TaskInput(title="Call the FOIA officer", assignee_id=clerk.id, due="2026-06-12"))
    done = add_task(session, actor=clerk, now=at(date(2026, 6, 2)), req=req, data=_relative(clerk, 1, title="Done"))
    complete_task(session, actor=clerk, now=at(date(2026, 6, 3)), req=req, task=done)
    session.commit()
    assert task.due == date(2026, 6, 23)  # 5 working days before Tue 06-30
    assert done.due == date(2026, 6, 29)
    # The agency takes the 10-working-day extension: due Wed 07-15 (July 3 observed holiday skipped).
    log_event(session, actor=clerk, now=at(date(2026, 6, 5)), req=req, kind="extension", occurred_on=date(2026, 6, 5))
    session.commit()
    session.expire_all()
    assert session.scalar(select(RequestClock.due).where(RequestClock.request_id == req.id,
                                                         RequestClock.kind == "response")) == date(2026, 7, 15)
    # 5 working days before Wed 07-15: 14, 13, 10, 9, 8 July -> Wed 07-08
    assert session.get(Task, task.id).due == date(2026, 7, 8)
    assert session.get(Task, fixed.id).due == date(2026, 6, 12)  # a date set by hand never moves
    assert session.get(Task, done.id).due == date(2026, 6, 29)  # a done task keeps its date...
    reopen_task(session, actor=clerk, now=at(date(2026, 6, 6)), req=req, task=session.get(Task, done.id))
    assert session.get(Task, done.id).due == date(2026, 7, 14)  # ...until reopened: then it follows again
    # The agency decides: the response clock is met, and the panel says the internal date no longer follows it.
    log_event(session, actor=clerk, now=at(date(2026, 7, 1)), req=req, kind="determination", occurred_on=date(2026, 7, 1))
    session.commit()
    rows = {r.task.id: r for r in panel_rows(session, req, tasks_for(session, req))}
    assert "Determination due is closed (met)" in rows[task.id].anchor_note
    assert rows[fixed.id].anchor_note == ""


def test_tasks_follow_a_calendar_recompute(world, session):
    """A closure at LASD moves the California response date (its law counts closures); the bulk recompute moves the
    tasks set relative to it, on the same calendar (1 working day after: the day after the new date)."""
    req, reporter = world["requests"][("reporter", "private")], world["users"]["reporter"]
    log_event(session, actor=reporter, now=NOW, req=req, kind="sent", occurred_on=date(2025, 6, 20),
              occurred_at=at(date(2025, 6, 20), 8))
    task = add_task(session, actor=reporter, now=NOW, req=req, data=_relative(reporter, 1, direction="after"))
    session.commit()
    assert req.response_due == date(2025, 6, 30) and task.due == date(2025, 7, 1)
    lasd = session.scalar(select(Agency).where(Agency.slug == "lasd"))
    _closure, moved = add_closure(session, actor=world["users"]["admin"], now=NOW, on=date(2025, 6, 30),
                                  name="LASD office flooded", agency=lasd)
    session.commit()
    assert [(m.before, m.after) for m in moved] == [(date(2025, 6, 30), date(2025, 7, 1))]
    assert session.get(Task, task.id).due == date(2025, 7, 2)


def test_a_relative_task_before_the_clock_starts_waits_for_its_date(world, session):
    req, clerk = _ice(world)  # a draft: no clock yet
    task = add_task(session, actor=clerk, now=NOW, req=req, data=_relative(clerk, 5))
    session.commit()
    assert task.due is None
    assert "has no date yet" in panel_rows(session, req, [task])[0].anchor_note
    send_request(session, req, clerk, date(2026, 6, 1))
    assert session.get(Task, task.id).due == date(2026, 6, 23)


def test_complete_reopen_delete_write_audit_rows(world, session):
    req, clerk = _ice(world)
    task = add_task(session, actor=clerk, now=NOW, req=req,
                    data=TaskInput(title="  Review   the 400 pages ", assignee_id=clerk.id, due="2026-02-01"))
    assert task.title == "Review the 400 pages"
    complete_task(session, actor=clerk, now=NOW, req=req, task=task)
    assert task.done_at == NOW and task.done_by_id == clerk.id
    with pytest.raises(ValidationError, match="already done"):
        complete_task(session, actor=clerk, now=NOW, req=req, task=task)
    reopen_task(session, actor=clerk, now=NOW, req=req, task=task)
    assert task.done_at is None and task.done_by_id is None
    task_id = task.id
    delete_task(session, actor=clerk, now=NOW, req=req, task=task)
    session.commit()
    assert session.get(Task, task_id) is None
    trail = session.execute(select(AuditLog.action, AuditLog.request_id, AuditLog.before, AuditLog.after)
                            .where(AuditLog.entity_type == "tasks").order_by(AuditLog.id)).all()
    assert [a for a, *_ in trail] == ["task:add", "task:done", "task:reopen", "task:delete"]
    assert all(rid == req.id for _, rid, *_ in trail)  # filed under the request's history
    assert trail[-1].before["title"] == "Review the 400 pages" and trail[-1].before["internal_date"] == "2026-02-01"
    assert trail[1].after["done_by"] == clerk.name and trail[0].after["assignee"] == clerk.name


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"title": ""}, "title", "Say what needs doing"),
    ({"title": "x" * 201}, "title", "under 200 characters"),
    ({"assignee": "outsider"}, "assignee", "only be assigned to people in City of Los Angeles"),
    ({"assignee": None}, "assignee", "Choose who does it"),
    ({"due": "31/12/2026"}, "due", "YYYY-MM-DD"),
    ({"mode": "relative", "days": "-3"}, "days", "whole number of days from 0 to 365"),
    ({"mode": "relative", "days": "5", "clock": "nonsense"}, "clock", "statutory deadlines"),
    ({"mode": "relative", "days": "5", "unit": "fortnights"}, "unit", "working days or calendar days"),
    ({"mode": "sometime"}, "mode", "Choose a date"),
])
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(world, session, data, field, message):
    req, clerk = _ice(world)
    people = world["users"]
    who = data.get("assignee", "staff")
    task_input = TaskInput(title=data.get("title", "Chase ICE"), assignee_id=people[who].id if who else None,
                           mode=data.get("mode", "date"), due=data.get("due", "2026-02-01"), days=data.get("days", ""),
                           unit=data.get("unit", "working"), clock=data.get("clock", "response"))
    with pytest.raises(ValidationError) as exc:
        add_task(session, actor=clerk, now=NOW, req=req, data=task_input)
    assert message in exc.value.errors[field]
    session.rollback()
    assert session.scalar(select(func.count(Task.id))) == 0
    assert session.scalar(select(func.count(AuditLog.id)).where(AuditLog.entity_type == "tasks")) == 0


def test_only_editors_of_the_request_change_tasks(world, session):
    """A colleague who can read the organization's request but not edit it cannot add tasks; an assignee who cannot
    see a private request is refused."""
    users, reqs = world["users"], world["requests"]
    shared = reqs[("reporter", "organization")]
    with pytest.raises(ValidationError, match="Only people who can edit"):
        add_task(session, actor=users["colleague"], now=NOW, req=shared,
                 data=TaskInput(title="Mine now", assignee_id=users["colleague"].id, due="2026-02-01"))
    with pytest.raises(ValidationError, match="Only people who can edit"):  # public, but another organization's
        add_task(session, actor=users["staff"], now=NOW, req=reqs[("reporter", "public")],
                 data=TaskInput(title="Meddle", assignee_id=users["reporter"].id, due="2026-02-01"))
    with pytest.raises(ValidationError) as exc:
        add_task(session, actor=users["reporter"], now=NOW, req=reqs[("reporter", "private")],
                 data=TaskInput(title="Help me", assignee_id=users["colleague"].id, due="2026-02-01"))
    assert "Colleague cannot see this request" in exc.value.errors["assignee"]
    task = add_task(session, actor=users["reporter"], now=NOW, req=shared,
                    data=TaskInput(title="Help me", assignee_id=users["colleague"].id, due="2026-02-01"))
    assert task.assignee_id == users["colleague"].id


def test_a_paused_clock_leaves_the_task_on_its_last_date_and_says_so(world, session):
    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    task = add_task(session, actor=clerk, now=at(date(2026, 6, 2)), req=req, data=_relative(clerk, 5))
    session.commit()
    log_event(session, actor=clerk, now=at(date(2026, 6, 8)), req=req, kind="toll_start", occurred_on=date(2026, 6, 8))
    session.commit()
    clock = session.scalar(select(RequestClock).where(RequestClock.request_id == req.id, RequestClock.kind == "response"))
    assert (clock.status, clock.due) == ("paused", None)
    assert session.get(Task, task.id).due == date(2026, 6, 23)
    note = panel_rows(session, req, [session.get(Task, task.id)])[0].anchor_note
    assert note == ("Determination due has no date now (the clock is paused): this internal date was computed "
                    "from its last date.")
