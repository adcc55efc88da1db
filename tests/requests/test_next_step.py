"""What the request page leads with, per state, and which letters it offers: requests built through the real
services (letters drafted, finalized and recorded as sent; communications logged), then handed to the pure
functions in foia.requests.next_step exactly as the request page does."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from foia.clocks.service import clock_rows, compute_for, request_calendar
from foia.communications.service import TO_CLASSIFY, communications_for, log_communication
from foia.deadlines import load_law
from foia.letters.service import finalize, mark_sent, new_draft, versions_for
from foia.mailroom.outbound import deliveries_for
from foia.models import Delivery
from foia.requests.next_step import (
    allowed_letter_kinds,
    appeal_window,
    clock_phrase,
    next_step,
    send_consequence,
)
from foia.requests.queries import request_events
from tests.conftest import NOW

TODAY = date(2026, 1, 15)  # NOW's date (a Thursday)


def _parts(session, req, today=TODAY):
    session.expire_all()
    events = request_events(session, req)
    rows = clock_rows(compute_for(session, req, events), today, request_calendar(session, req))
    return dict(rows=rows, letters=versions_for(session, req), deliveries=deliveries_for(session, req),
                communications=communications_for(session, req), events=events)


def step_for(session, req, *, today=TODAY, can_email=False):
    return next_step(req, today=today, can_email=can_email, **_parts(session, req, today))


def letters_for(session, req, today=TODAY):
    p = _parts(session, req, today)
    return allowed_letter_kinds(req, p["letters"], p["rows"])


@pytest.fixture
def ice(world):
    return world["requests"][("staff", "private")], world["users"]["staff"]


def _final(session, tmp_path, req, user, kind="request"):
    v = new_draft(session, actor=user, now=NOW, req=req, kind=kind, custom={})
    finalize(session, actor=user, now=NOW, version=v, cache_dir=tmp_path)
    session.commit()
    return v


def _sent(session, tmp_path, req, user, on: date):
    v = _final(session, tmp_path, req, user)
    mark_sent(session, actor=user, now=NOW, version=v, method="portal", sent_on=on)
    session.commit()
    return v


def _log(session, req, user, kind, on, **kw):
    kw.setdefault("direction", "incoming")
    c = log_communication(session, actor=user, now=NOW, req=req, kind=kind, occurred_on=on, **kw)
    session.commit()
    return c


def test_draft_without_a_letter_asks_to_write_it(session, ice):
    req, _ = ice
    step = step_for(session, req)
    assert step.key == "write_letter" and step.action.label == "Write the request letter"
    assert (step.action.endpoint, dict(step.action.params)) == ("letters.new", {"ref": req.ref, "kind": "request"})
    allowed = letters_for(session, req)
    assert allowed["request"] == "" and allowed["follow-up"] and allowed["appeal"]  # only the request letter


def test_a_draft_letter_is_to_be_finished(session, ice):
    req, user = ice
    v = new_draft(session, actor=user, now=NOW, req=req, kind="request", custom={})
    session.commit()
    step = step_for(session, req)
    assert step.key == "finish_letter" and step.action.label == "Finish and finalize the letter"
    assert dict(step.action.params) == {"ref": req.ref, "version_id": v.id}


def test_a_final_letter_is_to_be_sent_by_email_or_recorded(session, ice, tmp_path):
    req, user = ice
    v = _final(session, tmp_path, req, user)
    emailed = step_for(session, req, can_email=True)
    assert emailed.key == "send" and emailed.action.label == "Send it"
    assert dict(emailed.action.params) == {"ref": req.ref, "version_id": v.id}
    recorded = step_for(session, req, can_email=False)
    assert recorded.key == "record_sent" and recorded.action.label == "Record how you sent it"
    assert recorded.action.anchor == "sent-heading"


def test_sent_request_waits_for_the_answer_with_the_due_date_and_working_days_left(session, ice, tmp_path):
    req, user = ice
    _sent(session, tmp_path, req, user, date(2026, 1, 12))  # Mon; day 1 is Tue 01-13; MLK Day 01-19 skipped
    step = step_for(session, req)
    assert step.key == "log_answer" and step.action.label == "Log the agency's answer"
    assert step.action.endpoint == "communications.new"
    # 20 working days from Tue 01-13, skipping Jan 19 (MLK Day): Tue Feb 10. Left after Thu 01-15: Jan 16,
    # 20-23, 26-30, Feb 2-6, 9-10 = 17 working days.
    assert step.text == "Response due Tuesday, Feb 10, 2026 (17 working days left)."
    allowed = letters_for(session, req)
    assert allowed["request"] and allowed["follow-up"] == "" and allowed["appeal"]


def test_overdue_response_offers_a_follow_up(session, ice, tmp_path):
    req, user = ice
    _sent(session, tmp_path, req, user, date(2025, 11, 3))
    step = step_for(session, req)
    assert step.key == "overdue" and step.tone == "error"
    assert step.heading.startswith("Overdue by ") and step.heading.endswith("working days")
    assert step.action.label == "Draft a follow-up" and step.action.params["kind"] == "follow-up"
    rows = _parts(session, req)["rows"]
    left = next(r["left"] for r in rows if r["clock"].kind == "response")
    assert step.heading == f"Overdue by {-left} working days"


def test_partial_denial_offers_the_appeal_and_an_interim_release_does_not_hide_it(session, ice, tmp_path):
    req, user = ice
    _sent(session, tmp_path, req, user, date(2025, 12, 1))
    _log(session, req, user, "partial_denial", date(2026, 1, 5), exemptions=["(b)(6)"])
    step = step_for(session, req)
    window = appeal_window(_parts(session, req)["rows"])
    assert window is not None
    due = window["clock"].due
    assert step.key == "appeal" and step.action.label == "Draft the appeal"
    assert step.text.startswith("U.S. Immigration and Customs Enforcement partially denied this on Jan 5, 2026: "
                                f"you can appeal until {due.strftime('%b')} {due.day}, {due.year}")
    assert letters_for(session, req)["appeal"] == ""

    _log(session, req, user, "interim_release", date(2026, 1, 12))
    session.expire_all()
    assert req.status == "partially_released"
    after = step_for(session, req)
    assert after.key == "appeal" and appeal_window(_parts(session, req)["rows"])["clock"].due == due


def test_appealing_waits_for_the_decision(session, ice, tmp_path):
    req, user = ice
    _sent(session, tmp_path, req, user, date(2025, 12, 1))
    _log(session, req, user, "full_denial", date(2026, 1, 2))
    _log(session, req, user, "appeal_filed", date(2026, 1, 8), direction="outgoing")
    step = step_for(session, req)
    assert step.key == "appeal_waiting" and step.action.label == "Log the decision"
    assert step.action.params["kind"] == "appeal_decision" and step.text.startswith("Appeal decision due ")


def test_released_request_offers_only_the_evidence_bundle(session, ice, tmp_path):
    req, user = ice
    _sent(session, tmp_path, req, user, date(2025, 12, 1))
    _log(session, req, user, "final_release", date(2026, 1, 10))
    step = step_for(session, req)
    assert step.key == "done" and step.action.endpoint == "mailroom.export" and step.secondary == ()
    allowed = letters_for(session, req)
    assert all(allowed.values())  # no letter makes sense on a closed request


def test_a_reply_to_classify_comes_first(session, ice, tmp_path):
    req, user = ice
    _sent(session, tmp_path, req, user, date(2026, 1, 5))
    c = _log(session, req, None, "note", date(2026, 1, 14), review_status=TO_CLASSIFY, suggested_kind="acknowledgment")
    step = step_for(session, req)
    assert step.key == "classify" and step.action.anchor == f"communication-{c.id}"


def test_a_bounced_email_asks_to_send_again_until_it_is_sent_another_way(session, ice, tmp_path):
    from foia.requests.service import log_event

    req, user = ice
    v = _final(session, tmp_path, req, user)
    ev = log_event(session, actor=user, now=NOW, req=req, kind="sent", occurred_on=date(2026, 1, 12))
    session.add(Delivery(request_id=req.id, organization_id=req.organization_id, kind="request",
                         letter_version_id=v.id, message_id="<x@lacity.example>", to_addr="foia@ice.example",
                         from_addr="clerk@lacity.example", status="bounced", bounce_reason="550 User unknown",
                         sent_at=NOW, event_id=ev.id, sent_by_id=user.id, created_at=NOW, updated_at=NOW,
                         subject="x"))
    session.commit()
    step = step_for(session, req)
    assert step.key == "delivery_failed" and "550 User unknown" in step.text
    assert dict(step.action.params) == {"ref": req.ref, "version_id": v.id}
    log_event(session, actor=user, now=NOW, req=req, kind="sent", occurred_on=date(2026, 1, 13))
    session.commit()
    assert step_for(session, req).key != "delivery_failed"


def test_clock_phrase_and_consequences_come_from_the_law():
    federal = load_law("us-foia").for_agency("dhs-ice")
    assert clock_phrase(federal) == ("the 20-working-day response clock under the Freedom of Information Act "
                                     "(5 U.S.C. § 552(a)(6)(A)(i))")
    text = send_consequence(federal, "request")
    assert "starts the 20-working-day response clock under the Freedom of Information Act" in text
    cpra = load_law("ca-cpra")
    rule = cpra.clocks["response"]
    assert clock_phrase(cpra).startswith(f"the {rule.length}-calendar-day response clock under the {cpra.name}")
    assert "No deadline moves" in send_consequence(federal, "follow-up")
    assert "appeal-decision clock" in send_consequence(federal, "appeal", email_to="appeals@ice.example")


def test_today_moves_the_count(session, ice, tmp_path):
    req, user = ice
    _sent(session, tmp_path, req, user, date(2026, 1, 12))
    later = step_for(session, req, today=TODAY + timedelta(days=1))
    assert "(16 working days left)" in later.text


def test_the_list_shows_the_open_appeal_window_beside_a_later_status(session, ice, tmp_path, client, login_as):
    """Review Minor 11: after a partial denial, an interim release changed the status to "Partially released" and the
    list no longer showed that the appeal window was still open."""
    req, user = ice
    _sent(session, tmp_path, req, user, date(2025, 12, 1))
    _log(session, req, user, "partial_denial", date(2026, 1, 5), exemptions=["(b)(6)"])
    _log(session, req, user, "interim_release", date(2026, 1, 12))
    due = appeal_window(_parts(session, req)["rows"])["clock"].due
    login_as("staff")
    page = client.get("/requests").get_data(as_text=True)
    row = page[page.index(f'/requests/{req.ref}"'):]
    row = row[:row.index("</tr>")]
    assert "Partially released" in row
    assert f"Appeal open until <time datetime=\"{due.isoformat()}\">" in row
    others = page.replace(row, "")
    assert "Appeal open until" not in others  # only where a window is open
