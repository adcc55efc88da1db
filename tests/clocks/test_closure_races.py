"""An extension committed while a closure's recompute is running (issue 17, review F5).

Forced interleaving with real threads and sessions: the closure's recompute is paused after it has read the
ledger (inside the deadline engine); the extension is logged and committed meanwhile (before the fix) or waits
for the closure (after it). Either way the cached clocks must end as the ledger and the closures say, and the
reminders must follow them. Before the fix, on PostgreSQL, the recompute wrote its older result over the
extension's clock and every reminder for the true date was then skipped."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

import foia.clocks.service as clock_service
from foia.clocks.closures import add_closure, add_closure_queued
from foia.clocks.service import compute_for
from foia.communications.service import log_communication
from foia.extensions import db
from foia.models import Agency, Job, Reminder, Request, RequestClock, User
from foia.reminders.planner import replan_stale
from tests.conftest import NOW, csrf_token

PAUSE = 1.5  # how long the paused recompute waits for the extension to commit (it cannot, after the fix)


def _send(session, req, user, day: date) -> None:
    from foia.requests.service import log_event

    log_event(session, actor=user, now=NOW, req=req, kind="sent", occurred_on=day,
              occurred_at=datetime(day.year, day.month, day.day, 17, 0, tzinfo=UTC))


def _consistent(session, rid: int) -> tuple[dict, dict]:
    session.expire_all()
    req = session.get_one(Request, rid)
    fresh = {c.kind: c.due for c in compute_for(session, req)}
    cached = dict(session.execute(select(RequestClock.kind, RequestClock.due).where(RequestClock.request_id == rid)).all())
    assert req.response_due == fresh.get("response")
    return cached, fresh


def _race(monkeypatch, *, closure, extension) -> list[BaseException]:
    """Run `closure()` in one thread, paused inside its first engine call, and `extension()` in another once the
    pause begins. Returns the errors either raised."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    computing, extended = threading.Event(), threading.Event()
    real = clock_service.compute_clocks
    errors: list[BaseException] = []

    def paused(*args, **kwargs):
        if threading.current_thread().name == "closure" and not computing.is_set():
            computing.set()
            extended.wait(PAUSE)  # before the fix the extension commits here; after it, it waits for us
        return real(*args, **kwargs)

    monkeypatch.setattr(clock_service, "compute_clocks", paused)

    def run(fn, after=None):
        def target():
            try:
                if after is not None:
                    assert after.wait(10), "the closure's recompute never started"
                with app.app_context(), Session(db.engine) as s:
                    fn(s)
                    s.commit()
            except BaseException as exc:  # reported to the test
                errors.append(exc)
            finally:
                if after is not None:
                    extended.set()
        return target

    threads = [threading.Thread(target=run(closure), name="closure"),
               threading.Thread(target=run(extension, after=computing), name="extension")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def _extend(rid: int, user_id: int):
    def fn(s: Session) -> None:
        log_communication(s, actor=s.get_one(User, user_id), now=NOW, req=s.get_one(Request, rid), direction="incoming",
                          kind="extension_notice", occurred_on=date(2025, 6, 25), subject="We need 14 more days")
    return fn


def _close(on: date, admin_id: int):
    def fn(s: Session) -> None:
        add_closure(s, actor=s.get_one(User, admin_id), now=NOW, on=on, name="Court offices closed",
                    calendar_id="ca-court")
    return fn


def _reminders_follow(session, rid: int, fresh: dict) -> None:
    replan_stale(session, now=NOW)
    session.commit()
    pending = session.execute(select(Reminder.clock_kind, Reminder.due).where(
        Reminder.request_id == rid, Reminder.status == "pending")).all()
    assert all(due == fresh[kind] for kind, due in pending if kind in fresh), (pending, fresh)


def test_extension_during_a_closure_recompute_is_kept(world, session, monkeypatch):
    """The closure (on the request's due date) selects the request; the extension commits while it computes."""
    users = world["users"]
    req = world["requests"][("reporter", "private")]  # LASD, CPRA: 10 calendar days, closures roll the last day
    _send(session, req, users["reporter"], date(2025, 6, 20))
    session.commit()
    assert req.response_due == date(2025, 6, 30)
    errors = _race(monkeypatch, closure=_close(date(2025, 6, 30), users["admin"].id),
                   extension=_extend(req.id, users["reporter"].id))
    assert not errors, errors
    cached, fresh = _consistent(session, req.id)
    assert fresh["response"] > date(2025, 7, 1)  # the extension counts
    assert cached == fresh
    _reminders_follow(session, req.id, fresh)


def test_extension_that_makes_a_request_affected_during_a_closure_recompute(world, session, monkeypatch):
    """The closure is on the date the extension moves the deadline to, so the recompute does not select the
    request (its cached date is earlier); the extension must still count the closure."""
    users = world["users"]
    req = world["requests"][("reporter", "private")]
    other = world["requests"][("reporter", "public")]  # another LASD request whose due date is the closed day
    _send(session, req, users["reporter"], date(2025, 6, 20))
    _send(session, other, users["reporter"], date(2025, 7, 4))
    session.commit()
    with Session(db.engine) as probe:  # where the extension alone puts the deadline
        log_communication(probe, actor=probe.get_one(User, users["reporter"].id), now=NOW,
                          req=probe.get_one(Request, req.id), direction="incoming", kind="extension_notice",
                          occurred_on=date(2025, 6, 25), subject="probe")
        extended_due = probe.get_one(Request, req.id).response_due
        probe.rollback()
    assert extended_due is not None and other.response_due == extended_due
    errors = _race(monkeypatch, closure=_close(extended_due, users["admin"].id),
                   extension=_extend(req.id, users["reporter"].id))
    assert not errors, errors
    cached, fresh = _consistent(session, req.id)
    assert fresh["response"] > extended_due  # rolled past the closed day
    assert cached == fresh
    _reminders_follow(session, req.id, fresh)
    assert _consistent(session, other.id)[0]["response"] > extended_due


def test_admin_closure_is_a_scheduler_job_and_lands_right(world, session, login_as):
    """The admin page queues the recompute; the web request moves no cached date; the scheduler's job does."""
    from foia.scheduler import recompute_clocks

    users = world["users"]
    req = world["requests"][("reporter", "private")]
    _send(session, req, users["reporter"], date(2025, 6, 20))
    session.commit()
    client = login_as("admin")
    token = csrf_token(client, "/admin/calendars")
    resp = client.post("/admin/closures", data={"csrf_token": token, "on": "2025-06-30", "name": "Court closed",
                                                 "calendar": "ca-court"})
    assert resp.status_code == 302
    session.expire_all()
    job = session.scalar(select(Job).where(Job.kind == "recompute_clocks"))
    assert job is not None and job.status == "queued"
    assert session.get_one(Request, req.id).response_due == date(2025, 6, 30)  # not recomputed in the request
    assert recompute_clocks(current_app._get_current_object()) == 1  # type: ignore[attr-defined]
    session.expire_all()
    assert session.get_one(Job, job.id).status == "done"
    cached, fresh = _consistent(session, req.id)
    assert cached == fresh and fresh["response"] == date(2025, 7, 1)
    assert recompute_clocks(current_app._get_current_object()) == 0  # type: ignore[attr-defined]


def test_a_failing_recompute_job_is_retried_and_says_why(world, session, monkeypatch):
    from foia.scheduler import recompute_clocks

    lasd = session.scalar(select(Agency).where(Agency.slug == "lasd"))
    add_closure_queued(session, actor=world["users"]["admin"], now=NOW, on=date(2025, 6, 30), name="Flood",
                       agency=lasd)
    session.commit()

    def broken(*_a, **_k):
        raise RuntimeError("engine exploded")

    import foia.clocks.jobs as jobs

    monkeypatch.setattr(jobs, "recompute_open", broken)
    assert recompute_clocks(current_app._get_current_object()) == 0  # type: ignore[attr-defined]
    session.expire_all()
    job = session.scalar(select(Job).where(Job.kind == "recompute_clocks"))
    assert job.status == "queued" and job.attempts == 1 and "engine exploded" in job.last_error
