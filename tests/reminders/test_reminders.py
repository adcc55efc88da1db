from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import func, select

from foia.deadlines import calendar_for
from foia.extensions import db
from foia.mail import OutboxMailer, list_outbox
from foia.models import Reminder, RequestClock, Watcher
from foia.reminders.dispatch import DispatchSettings, dispatch_due
from foia.reminders.planner import plan
from tests.conftest import NOW
from tests.reminders.conftest import at, send_request, sweep, working_days_between


def _ice(world):
    return world["requests"][("staff", "private")], world["users"]["staff"]


def test_frozen_clock_walk_from_filing_to_overdue(world, session, smtp):
    """Sweep at 9:00 every day from filing to three weeks past due: each reminder goes out once,
    on exactly the day the rules and the deadline engine say."""
    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    due = session.scalar(select(RequestClock.due).where(RequestClock.request_id == req.id, RequestClock.kind == "response"))
    # 20 working days after Mon 2026-06-01; Juneteenth (Fri 06-19) skipped -> Tue 2026-06-30.
    assert due == date(2026, 6, 30)
    cal = calendar_for("us-federal")
    sent_on: list[tuple[date, str]] = []
    day = date(2026, 6, 1)
    while day <= due + timedelta(days=22):
        before = len(smtp.inbox.messages)
        sweep(session, smtp, at(day))
        for msg in smtp.inbox.messages[before:]:
            sent_on.append((day, msg["Subject"]))
        day += timedelta(days=1)
    days = [d for d, _ in sent_on]
    assert len(days) == len(set(days)) == 7, sent_on
    first_overdue = cal.next_working_day(due + timedelta(days=1))
    assert days[0] == date(2026, 6, 23) and working_days_between(cal, days[0], due) == 5
    assert days[1] == date(2026, 6, 29) and working_days_between(cal, days[1], due) == 1
    assert days[2] == due
    assert days[3] == first_overdue == date(2026, 7, 1)
    assert days[4:] == [first_overdue + timedelta(days=7 * n) for n in (1, 2, 3)]
    subjects = [s for _, s in sent_on]
    assert all(s.startswith(f"[{req.ref}] Determination due: Tue Jun 30, 2026") for s in subjects)
    assert "due in 5 working days" in subjects[0] and "due in 1 working day)" in subjects[1]
    assert "due today" in subjects[2] and "overdue by 1 working day)" in subjects[3]
    overdue_msg = smtp.inbox.messages[3]
    text = overdue_msg.get_body(preferencelist=("plain",)).get_content()
    html = overdue_msg.get_body(preferencelist=("html",)).get_content()
    assert f"http://foia.test/requests/{req.ref}/letters/new?kind=follow-up" in text
    assert "Draft a follow-up letter" in html and "5 U.S.C. § 552(a)(6)(A)(i)" in text
    assert overdue_msg["To"] == clerk.email


def test_second_sweep_sends_nothing(world, session, smtp):
    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    assert sweep(session, smtp, at(date(2026, 6, 23))) == 1
    assert sweep(session, smtp, at(date(2026, 6, 23), 10)) == 0
    assert len(smtp.inbox.messages) == 1


def test_only_the_latest_past_reminder_is_sent_when_planned_late(world, session, smtp):
    """A request logged long after it was sent (or a scheduler that was down): the reminders whose
    days are past collapse into the latest one, sent once at the next sweep."""
    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))  # due Tue 2026-06-30
    session.execute(Reminder.__table__.delete())
    plan(session, req, now=at(date(2026, 7, 2), 12))  # after before_5, before_1, on_date and overdue_1
    session.commit()
    pending = session.scalars(select(Reminder).where(Reminder.status == "pending").order_by(Reminder.send_at)).all()
    assert [(r.rule, r.seq) for r in pending] == [("overdue_1", 0), ("overdue_weekly", 1)]
    assert sweep(session, smtp, at(date(2026, 7, 2), 13)) == 1
    assert "overdue by 2 working days" in smtp.inbox.messages[0]["Subject"]


def test_requests_planned_before_anything_is_past_send_nothing_early(world, session, smtp):
    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    assert sweep(session, smtp, at(date(2026, 6, 22))) == 0  # six working days before: nothing yet


def test_watchers_get_reminders_and_opt_outs_are_respected(world, session, smtp):
    req, clerk = _ice(world)
    admin = world["users"]["admin"]
    session.add(Watcher(request_id=req.id, user_id=admin.id, created_at=NOW))
    clerk.reminders_off = ["upcoming"]
    session.commit()
    send_request(session, req, clerk, date(2026, 6, 1))
    sweep(session, smtp, at(date(2026, 6, 23)))  # before_5
    assert [m["To"] for m in smtp.inbox.messages] == [admin.email]
    # No sweep on 06-29 (scheduler down): on the date each person gets only the latest reminder.
    sweep(session, smtp, at(date(2026, 6, 30)))
    assert sorted(m["To"] for m in smtp.inbox.messages[1:]) == sorted([admin.email, clerk.email])
    assert all("due today" in m["Subject"] for m in smtp.inbox.messages[1:])
    superseded = session.scalar(select(Reminder).where(Reminder.user_id == admin.id, Reminder.rule == "before_1"))
    assert superseded.status == "skipped" and "Superseded" in superseded.last_error


def test_digest_users_get_one_digest_at_seven(world, session, smtp):
    req, clerk = _ice(world)
    clerk.reminder_mode = "digest"
    session.commit()
    send_request(session, req, clerk, date(2026, 6, 1))
    assert session.scalar(select(func.count(Reminder.id)).where(Reminder.request_id == req.id)) == 0
    assert sweep(session, smtp, at(date(2026, 6, 22), 6)) == 0  # before 7:00
    # 06-22 is 6 working days before 06-30: nothing within five, so no digest that day
    assert sweep(session, smtp, at(date(2026, 6, 22), 8)) == 0
    skipped = session.scalar(select(Reminder).where(Reminder.rule == "digest"))
    assert skipped.status == "skipped" and "Nothing due" in skipped.last_error
    assert sweep(session, smtp, at(date(2026, 6, 23), 7)) == 1
    assert sweep(session, smtp, at(date(2026, 6, 23), 9)) == 0  # one a day
    digest = smtp.inbox.messages[0]
    assert digest["Subject"] == "FOIA Tracker digest for Tue Jun 23, 2026: 1 deadline"
    assert req.ref in digest.get_body(preferencelist=("plain",)).get_content()


def test_smtp_outage_keeps_rows_pending_and_delivers_once_back(world, session, smtp):
    """While the relay is down each sweep's probe fails: rows stay pending, show the error and get no backoff,
    so the first sweep after the relay comes back sends them (issue 17, F7)."""
    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    smtp.stop()
    now = at(date(2026, 6, 23))
    assert sweep(session, smtp, now) == 0
    row = session.scalar(select(Reminder).where(Reminder.rule == "before_5"))
    assert row.status == "pending" and row.attempts == 1 and f"127.0.0.1:{smtp.port}" in row.last_error
    assert row.next_attempt_at is None
    assert sweep(session, smtp, now + timedelta(minutes=2)) == 0  # still down
    session.refresh(row)
    assert row.attempts == 2 and row.next_attempt_at is None
    smtp.start()
    assert sweep(session, smtp, now + timedelta(minutes=3)) == 1
    session.refresh(row)
    assert row.status == "sent" and row.last_error == ""
    assert sweep(session, smtp, now + timedelta(minutes=20)) == 0
    assert len(smtp.inbox.messages) == 1


def _many_due(world, session, n_requests: int, day: date) -> int:
    from foia.requests.service import RequestInput, create_request

    clerk = world["users"]["staff"]
    for i in range(n_requests):
        req = create_request(session, actor=clerk, now=NOW, data=RequestInput(
            title=f"bulk {i}", records_sought="Records about the thing in question.", agency_slug="dhs-ice"))
        send_request(session, req, clerk, day)
    return session.scalar(select(func.count(Reminder.id)).where(Reminder.status == "pending",
                                                                 Reminder.send_at <= at(date(2026, 6, 23))))


def test_two_dispatchers_at_once_send_each_reminder_once(app, world, session, smtp):
    due_rows = _many_due(world, session, 12, date(2026, 6, 1))
    assert due_rows == 12
    smtp.inbox.delay = 0.02
    results = []

    def worker():
        with app.app_context():
            results.append(sweep(db.session, smtp, at(date(2026, 6, 23)), batch=3))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = smtp.inbox.ids()
    assert sum(results) == 12 and len(ids) == 12 and len(set(ids)) == 12
    assert session.scalar(select(func.count(Reminder.id)).where(Reminder.status == "sent")) == 12


def test_outbox_mailer_writes_eml_files_without_smtp(world, session, tmp_path):
    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    sent = dispatch_due(session, now=at(date(2026, 6, 23)), mailer=OutboxMailer(tmp_path / "outbox"),
                        settings=DispatchSettings())
    entries = list_outbox(tmp_path / "outbox")
    assert sent == 1 and len(entries) == 1 and entries[0].subject.startswith(f"[{req.ref}]")


def test_message_ids_are_deterministic_per_row(world, session, smtp):
    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    sweep(session, smtp, at(date(2026, 6, 23)))
    row = session.scalar(select(Reminder).where(Reminder.status == "sent"))
    from foia.mail import make_message_id
    from foia.reminders.dispatch import reminder_key

    assert row.message_id == make_message_id(reminder_key(row), "foia.test") == smtp.inbox.messages[0]["Message-ID"]


def test_closed_request_gets_no_more_reminders(world, session, smtp):
    from foia.requests.service import update_request

    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    update_request(session, actor=clerk, now=at(date(2026, 6, 10)), req=req, status="released")
    session.commit()
    assert session.scalar(select(func.count(Reminder.id)).where(Reminder.status == "pending")) == 0
    assert sweep(session, smtp, at(date(2026, 7, 1))) == 0


def test_extension_replaces_pending_rows(world, session, smtp):
    from foia.requests.service import log_event

    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))
    log_event(session, actor=clerk, now=at(date(2026, 6, 5)), req=req, kind="extension", occurred_on=date(2026, 6, 5))
    session.commit()
    dues = set(session.scalars(select(Reminder.due).where(Reminder.status == "pending")))
    assert dues == {date(2026, 7, 15)}  # 06-30 + 10 working days, skipping July 3 (Independence Day observed)
    counts = Counter(session.scalars(select(Reminder.rule).where(Reminder.status == "pending")))
    assert counts["before_5"] == 1 and counts["on_date"] == 1


def test_reminders_count_working_days_with_the_agencys_closures(world, session, smtp):
    """An agency closure does not move a federal deadline (5 U.S.C. § 552(a)(6)(A) excepts only
    Saturdays, Sundays and legal public holidays; issue 14), and the reminder counts days left on the
    same calendar as the request page, where the closure is then a working day too."""
    from foia.clocks.closures import add_closure
    from foia.models import Agency

    req, clerk = _ice(world)
    send_request(session, req, clerk, date(2026, 6, 1))  # due Tue 2026-06-30
    ice = session.scalar(select(Agency).where(Agency.slug == "dhs-ice"))
    add_closure(session, actor=world["users"]["admin"], now=at(date(2026, 6, 2)), on=date(2026, 6, 24),
                name="ICE FOIA office closed", agency=ice)
    session.commit()
    # Due stays Tue 06-30; five working days before it (06-24 counts): Tue 06-23.
    assert sweep(session, smtp, at(date(2026, 6, 23))) == 1
    assert smtp.inbox.messages[0]["Subject"] == f"[{req.ref}] Determination due: Tue Jun 30, 2026 (due in 5 working days)"
