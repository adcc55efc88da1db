"""The In litigation status and its ledger: reminders stop (and come back when the case ends), every step is
audited, validation and access."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from foia.core.errors import ValidationError
from foia.fees.litigation import LitigationInput, current_case, record_litigation_step
from foia.models import AuditLog, Reminder
from foia.reminders.planner import plan
from foia.requests.service import log_event, update_request
from tests.conftest import NOW

TODAY = date(2026, 1, 15)


def _pending(session, req) -> int:
    return session.scalar(select(func.count()).select_from(Reminder)
                          .where(Reminder.request_id == req.id, Reminder.status == "pending"))


def _lit(session, actor, req, step, on, **kw):
    return record_litigation_step(session, actor=actor, now=NOW, req=req, data=LitigationInput(step=step, on=on, **kw),
                                  today=TODAY)


def test_in_litigation_stops_reminders_and_the_end_of_the_case_restores_them(session, world):
    staff = world["users"]["staff"]
    req = world["requests"][("staff", "organization")]
    update_request(session, actor=staff, now=NOW, req=req, status="processing")
    log_event(session, actor=staff, now=NOW, req=req, kind="received", occurred_on=date(2026, 1, 12))
    assert _pending(session, req) > 0  # the response clock (Feb 2026) has reminders planned
    _lit(session, staff, req, "litigation_filed", date(2026, 1, 14), court="U.S. District Court for D.D.C.",
         case_number="1:26-cv-00042")
    assert req.status == "in_litigation"
    assert _pending(session, req) == 0
    assert plan(session, req, now=NOW) == 0  # re-planning plans nothing while in court
    _lit(session, staff, req, "court_date", date(2026, 3, 2), what="Scheduling conference")  # may be ahead
    assert current_case(session, req).data["case_number"] == "1:26-cv-00042"
    _lit(session, staff, req, "litigation_closed", date(2026, 1, 15), outcome="Settled; records to be released")
    assert req.status == "processing"
    assert current_case(session, req) is None
    assert _pending(session, req) > 0
    actions = list(session.scalars(select(AuditLog.action).where(AuditLog.request_id == req.id)))
    for action in ("litigation:litigation_filed", "litigation:court_date", "litigation:litigation_closed",
                   "event:litigation_filed"):
        assert action in actions
    status_changes = session.scalars(select(AuditLog.after).where(AuditLog.request_id == req.id,
                                                                  AuditLog.action == "update")).all()
    assert {"status": "in_litigation"} in status_changes


def test_digest_leaves_out_a_request_in_litigation(session, world):
    from foia.reminders.compose import DueReminder, compose_digest

    staff = world["users"]["staff"]
    staff.reminder_mode = "digest"
    req = world["requests"][("staff", "organization")]
    update_request(session, actor=staff, now=NOW, req=req, status="processing")
    # Received Mon 2025-12-15: the response is due Wed 2026-01-14, overdue on the digest's day.
    log_event(session, actor=staff, now=NOW, req=req, kind="received", occurred_on=date(2025, 12, 15))
    row = DueReminder(id=0, request_id=None, user_id=staff.id, clock_kind="digest", due=TODAY, rule="digest", seq=0,
                      attempts=0, ref=None, title=None, tracking_number=None, request_status=None, law=None,
                      agency_slug=None, agency_name=None, clock_due=None, clock_status=None, clock_label=None,
                      user_email=staff.email, user_name=staff.name, user_timezone=staff.timezone)
    content, _ = compose_digest(session, row, now=NOW, base_url="http://localhost")
    assert content is not None and req.ref in content.text
    _lit(session, staff, req, "litigation_filed", date(2026, 1, 14), court="Superior Court", case_number="A-1")
    content, _ = compose_digest(session, row, now=NOW, base_url="http://localhost")
    assert content is None  # the only dated request is in court


@pytest.mark.parametrize(("step", "kw", "field", "message"), [
    ("litigation_filed", {"court": "", "case_number": "1"}, "court", "Give the court"),
    ("litigation_filed", {"court": "C", "case_number": ""}, "case_number", "Give the case number"),
    ("court_date", {"what": "Hearing"}, "step", "Record the complaint first"),
    ("litigation_filed", {"court": "C", "case_number": "1", "on": date(2026, 2, 1)}, "on", "cannot be in the future"),
])
def test_litigation_validation(session, world, step, kw, field, message):
    staff = world["users"]["staff"]
    req = world["requests"][("staff", "private")]
    on = kw.pop("on", date(2026, 1, 10))
    with pytest.raises(ValidationError) as exc:
        _lit(session, staff, req, step, on, **kw)
    assert message in exc.value.errors[field]


def test_only_the_organization_records_litigation(session, world):
    req = world["requests"][("staff", "public")]
    with pytest.raises(PermissionError):
        _lit(session, world["users"]["outsider"], req, "litigation_filed", date(2026, 1, 10), court="C",
             case_number="1")
    assert req.status == "draft"
