"""The communications log: each kind's ledger event, status and clocks; the form; the CLI; access."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from foia.clocks.service import compute_for
from foia.communications.effects import EFFECTS
from foia.communications.exemptions import exemptions_for, resolve
from foia.communications.service import log_communication
from foia.core.errors import ValidationError
from foia.deadlines import law_slugs
from foia.models import (
    CLOSED_STATUSES,
    COMMUNICATION_KINDS,
    AuditLog,
    Communication,
    Event,
    Reminder,
    SearchEntry,
)
from foia.requests.service import log_event
from tests.conftest import NOW, csrf_token


def _send(session, req, user, day: date):
    log_event(session, actor=user, now=NOW, req=req, kind="sent", occurred_on=day,
              occurred_at=datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC))


def _clocks(session, req) -> dict[str, tuple[date | None, str]]:
    session.expire_all()
    return {c.kind: (c.due, c.status) for c in compute_for(session, req)}


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _log(session, req, user, **kw):
    kw.setdefault("direction", "incoming")
    return log_communication(session, actor=user, now=NOW, req=req, **kw)


def _post(client, req, **form):
    token = csrf_token(client, f"/requests/{req.ref}/communications/new")
    return client.post(f"/requests/{req.ref}/communications/new", data={"csrf_token": token, **form})


def _cli_log(cli, *args):
    return cli.invoke(args=["foia", "log", *args])


# ----------------------------------------------------------------------------- the ICE walk-through

def test_ice_request_walkthrough(world, session, login_as, cli):
    """Federal FOIA to ICE (dhs-ice). Federal working days skip weekends and 5 U.S.C. § 6103 holidays:
    2025-07-04 Independence Day, 09-01 Labor Day, 10-13 Columbus Day, 11-11 Veterans Day, 11-27 Thanksgiving."""
    staff = world["users"]["staff"]
    req = world["requests"][("staff", "private")]
    _send(session, req, staff, date(2025, 6, 20))  # Fri, 11:00 Eastern: received that day
    session.commit()
    # Day 1 is Mon 06-23. 06-23..27 = 5, 06-30..07-03 = 9, (07-04 holiday), 07-07..11 = 14, 07-14..18 = 19, 07-21 = 20.
    assert _clocks(session, req) == {"response": (date(2025, 7, 21), "open")}

    # 1. Acknowledgment (CLI) with the agency's tracking number and an estimated completion date.
    result = _cli_log(cli, req.ref, "--kind", "acknowledgment", "--date", "2025-06-24",
                      "--subject", "Acknowledgment of your FOIA request", "--tracking", "2025-ICFO-41231",
                      "--estimated", "2025-09-30", "--body", "We received your request on June 20, 2025.")
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert req.status == "acknowledged" and req.tracking_number == "2025-ICFO-41231"
    assert _clocks(session, req) == {"response": (date(2025, 7, 21), "open"),
                                     "estimated_completion": (date(2025, 9, 30), "open")}

    # 2. Extension notice (web): 10 more working days after the unextended last day, 07-21:
    # 07-22..25 = 4, 07-28..08-01 = 9, 08-04 = 10 -> Mon 2025-08-04.
    client = login_as("staff")
    resp = _post(client, req, direction="incoming", kind="extension_notice", occurred_on="2025-07-01",
                 subject="Unusual circumstances", body="We need to search field offices.", days="10")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    session.expire_all()
    assert req.status == "processing"
    assert _clocks(session, req)["response"] == (date(2025, 8, 4), "open")
    assert req.response_due == date(2025, 8, 4)

    # 3. Clarification request (service) on Tue 07-08: the clock pauses.
    _log(session, req, staff, kind="clarification_request", occurred_on=date(2025, 7, 8),
         subject="Please narrow the date range")
    session.commit()
    assert req.status == "awaiting_requester"
    assert _clocks(session, req)["response"] == (None, "paused")

    # ... and our reply (CLI) on Tue 07-15. 07-08 counts (a working day, the day the question was sent);
    # 07-09, 07-10, 07-11, 07-14, 07-15 do not: exactly 5 paused working days. Due moves from 08-04 by
    # 5 working days: 08-05, 08-06, 08-07, 08-08, 08-11 -> Mon 2025-08-11.
    result = _cli_log(cli, req.ref, "--kind", "clarification_reply", "--date", "2025-07-15",
                      "--subject", "Narrowed to January-June 2025")
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert req.status == "processing"
    assert _clocks(session, req)["response"] == (date(2025, 8, 11), "open")

    # 4. Interim release (service): status moves, clocks do not.
    before = _clocks(session, req)
    _log(session, req, staff, kind="interim_release", occurred_on=date(2025, 7, 25), subject="First interim release",
         body="Enclosed are 120 pages.")
    session.commit()
    assert req.status == "partially_released"
    assert _clocks(session, req) == before

    # 5. Partial denial (web) on Fri 08-08 citing (b)(6) and (b)(7)(C): the response clock is met and the appeal
    # window opens: 90 working days for DHS components (6 C.F.R. § 5.8(a)(1)), counted from the day after:
    # 08-11..15 = 5, 08-18..22 = 10, 08-25..29 = 15, 09-02..05 = 19 (Labor Day), 09-08..12 = 24, 09-15..19 = 29,
    # 09-22..26 = 34, 09-29..10-03 = 39, 10-06..10 = 44, 10-14..17 = 48 (Columbus Day), 10-20..24 = 53,
    # 10-27..31 = 58, 11-03..07 = 63, 11-10, 12, 13, 14 = 67 (Veterans Day), 11-17..21 = 72,
    # 11-24, 25, 26, 28 = 76 (Thanksgiving), 12-01..05 = 81, 12-08..12 = 86, 12-15..18 = 90 -> Thu 2025-12-18.
    resp = _post(client, req, direction="incoming", kind="partial_denial", occurred_on="2025-08-08",
                 subject="Final response", body="Portions withheld under (b)(6) and (b)(7)(C).",
                 exemptions=["(b)(6)", "(b)(7)(C)"])
    assert resp.status_code == 302, resp.get_data(as_text=True)
    session.expire_all()
    assert req.status == "partially_denied"
    clocks = _clocks(session, req)
    assert clocks["response"] == (date(2025, 8, 11), "met")
    assert clocks["appeal_filing"] == (date(2025, 12, 18), "open")
    det = session.scalar(select(Event).where(Event.request_id == req.id, Event.kind == "determination"))
    assert det.data["exemptions"] == ["(b)(6)", "(b)(7)(C)"]
    # The agency's estimate is met by its determination, so the next live date is the appeal deadline.
    assert clocks["estimated_completion"] == (date(2025, 9, 30), "met")
    assert req.next_due == min(d for d, status in clocks.values() if status == "open" and d) == date(2025, 12, 18)

    # 6. Appeal filed (CLI) on Mon 09-15: the appeal-decision clock runs 20 working days from the day after
    # receipt: 09-16..19 = 4, 09-22..26 = 9, 09-29..10-03 = 14, 10-06..10 = 19, (10-13 Columbus Day), 10-14 = 20.
    result = _cli_log(cli, req.ref, "--kind", "appeal_filed", "--date", "2025-09-15",
                      "--subject", "Administrative appeal")
    assert result.exit_code == 0, result.output
    assert "direction" not in result.output
    session.expire_all()
    assert req.status == "appealing"
    clocks = _clocks(session, req)
    assert clocks["appeal_filing"] == (date(2025, 12, 18), "met")
    assert clocks["appeal_decision"] == (date(2025, 10, 14), "open")
    assert clocks["response"] == (date(2025, 8, 11), "met")

    # Every communication links its ledger event, has a search entry and an audit row.
    comms = session.scalars(select(Communication).where(Communication.request_id == req.id)).all()
    assert len(comms) == 7
    for c in comms:
        event = session.get(Event, c.event_id)
        assert event is not None and event.kind == EFFECTS[c.kind].event
        assert session.scalar(select(SearchEntry).where(SearchEntry.source_type == "communication",
                                                        SearchEntry.source_id == c.id)).title == c.subject
    assert session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.entity_type == "communications", AuditLog.action == "create")) == 7
    assert next(c for c in comms if c.kind == "appeal_filed").direction == "outgoing"  # the kind's default

    # show --json lists the communications, newest first.
    data = json.loads(cli.invoke(args=["foia", "show", req.ref, "--json"]).output)
    assert data["tracking_number"] == "2025-ICFO-41231"
    assert [c["kind"] for c in data["communications"]] == [
        "appeal_filed", "partial_denial", "interim_release", "clarification_reply", "clarification_request",
        "extension_notice", "acknowledgment"]
    denial = data["communications"][1]
    assert denial == {**denial, "direction": "incoming", "date": "2025-08-08", "subject": "Final response",
                      "body": "Portions withheld under (b)(6) and (b)(7)(C).", "tracking_number": None,
                      "exemptions": ["(b)(6)", "(b)(7)(C)"]}
    ack = data["communications"][-1]
    assert ack["tracking_number"] == "2025-ICFO-41231" and ack["body"] == "We received your request on June 20, 2025."
    assert data["communications"][-2]["data"]["days"] == 10
    text = cli.invoke(args=["foia", "show", req.ref]).output
    assert "partial_denial" in text and "(b)(6), (b)(7)(C)" in text

    # The request page: the section, newest first, with the tracking number beside our reference.
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    section = page[page.index('id="communications"'):]
    assert f"Our reference <span class=\"ref\">{req.ref}</span> · Agency tracking number" in section
    assert "2025-ICFO-41231" in section
    assert section.index("Administrative appeal") < section.index("Final response") < section.index("Acknowledgment of your")
    assert "(b)(7)(C)" in section and "Law-enforcement records: personal privacy" in section
    assert "Log a communication" in section


def test_appeal_decision_outcomes_and_closing_kinds(world, session):
    staff = world["users"]["staff"]
    reqs = world["requests"]
    for vis, outcome, status in (("private", "granted", "released"), ("organization", "partly_granted", "partially_released"),
                                 ("public", "denied", "denied")):
        req = reqs[("staff", vis)]
        _send(session, req, staff, date(2025, 6, 20))
        _log(session, req, staff, kind="full_denial", occurred_on=date(2025, 7, 1), exemptions=["b7a"])
        assert req.status == "denied"
        _log(session, req, staff, kind="appeal_filed", direction="outgoing", occurred_on=date(2025, 7, 10))
        _log(session, req, staff, kind="appeal_decision", occurred_on=date(2025, 8, 1), data={"outcome": outcome})
        assert req.status == status, outcome
        assert _clocks(session, req)["appeal_decision"][1] == "met"
        event = session.scalar(select(Event).where(Event.request_id == req.id, Event.kind == "appeal_decided"))
        assert event.data["outcome"] == outcome
    assert session.scalar(select(Communication.exemptions).where(Communication.kind == "full_denial")) == ["(b)(7)(A)"]

    # Withdrawal and final release close the request: every clock stops, nothing is due.
    lasd = reqs[("reporter", "private")]
    reporter = world["users"]["reporter"]
    _send(session, lasd, reporter, date(2025, 12, 1))
    assert lasd.next_due is not None
    _log(session, lasd, reporter, kind="withdrawal", direction="outgoing", occurred_on=date(2025, 12, 2))
    assert lasd.status == "withdrawn" and lasd.is_closed and lasd.next_due is None
    assert all(status == "met" for _due, status in _clocks(session, lasd).values())
    other = reqs[("reporter", "organization")]
    _send(session, other, reporter, date(2025, 12, 1))
    _log(session, other, reporter, kind="final_release", occurred_on=date(2025, 12, 10), exemptions=["§ 7922.000"])
    assert other.status == "released" and other.next_due is None
    assert session.scalar(select(Event.kind).where(Event.id == session.scalar(
        select(Communication.event_id).where(Communication.request_id == other.id)))) == "closed"


def test_no_records_keeps_the_appeal_clock_and_reminders(world, session):
    assert "no_records" not in CLOSED_STATUSES
    staff = world["users"]["staff"]
    req = world["requests"][("staff", "private")]
    _send(session, req, staff, date(2025, 6, 20))
    _log(session, req, staff, kind="no_records", occurred_on=date(2025, 8, 8), subject="No responsive records")
    session.commit()
    assert req.status == "no_records" and not req.is_closed
    clocks = _clocks(session, req)
    assert clocks["response"] == (date(2025, 7, 21), "met")
    assert clocks["appeal_filing"] == (date(2025, 12, 18), "open")
    assert req.next_due == date(2025, 12, 18)
    rows = session.scalars(select(Reminder).where(Reminder.request_id == req.id, Reminder.clock_kind == "appeal_filing")).all()
    assert rows, "the appeal window of a no-records response is reminded"


def test_acknowledgment_never_moves_status_backwards_and_notes_keep_it(world, session):
    staff = world["users"]["staff"]
    req = world["requests"][("staff", "private")]
    _send(session, req, staff, date(2025, 6, 20))
    _log(session, req, staff, kind="extension_notice", occurred_on=date(2025, 6, 25))
    assert req.status == "processing"
    assert _clocks(session, req)["response"] == (date(2025, 8, 4), "open")  # the law's full 10 working days
    _log(session, req, staff, kind="acknowledgment", occurred_on=date(2025, 6, 26))
    assert req.status == "processing"
    for kind, data, event_kind in (("fee_estimate", {"amount": "$1,250.5"}, "fee_estimate"),
                                   ("fee_waiver_decision", {"decision": "denied"}, "fee_waiver_decided"),
                                   ("payment", {"amount": "25"}, "fee_paid"), ("note", {}, "note")):
        comm = _log(session, req, staff, kind=kind, occurred_on=date(2025, 6, 27), data=data)
        assert req.status == "processing"
        assert session.get(Event, comm.event_id).kind == event_kind  # fee steps of the ledger (foia.fees)
    assert session.scalar(select(Communication.data).where(Communication.kind == "fee_estimate")) == {"amount": "1250.50"}
    assert _clocks(session, req)["response"] == (date(2025, 8, 4), "open")


def test_agreed_date_replaces_the_response_deadline(world, session):
    staff = world["users"]["staff"]
    req = world["requests"][("staff", "private")]
    _send(session, req, staff, date(2025, 6, 20))
    _log(session, req, staff, kind="note", direction="outgoing", occurred_on=date(2025, 7, 2),
         data={"agreed_date": "2025-09-01"})
    assert _clocks(session, req)["response"] == (date(2025, 9, 1), "open")


# ----------------------------------------------------------------------------- bad input

def _ice_sent(world, session):
    req = world["requests"][("staff", "private")]
    _send(session, req, world["users"]["staff"], date(2025, 6, 20))
    session.commit()
    return req


@pytest.mark.parametrize("form, field_id, message", [
    ({"kind": "telegram"}, "comm-kind", "Choose what kind of communication this is"),
    ({"occurred_on": "2099-03-01"}, "comm-date", "The date is in the future"),
    ({"occurred_on": "07/01/2025"}, "comm-date", "Enter the date as YYYY-MM-DD"),
    ({"kind": "partial_denial", "exemptions": ["§ 7922.000"]}, "comm-exemptions",
     "is not an exemption under the Freedom of Information Act"),
    ({"kind": "clarification_reply"}, "comm-kind", "There is no open clarification request to answer"),
    ({"subject": "x" * 600}, "comm-subject", "Keep the subject under 500 characters"),
    ({"kind": "extension_notice", "days": "-5"}, "comm-days", "positive whole number of days"),
    ({"kind": "extension_notice", "days": "11"}, "comm-days", "at most 10 working days"),
    ({"kind": "appeal_decision"}, "comm-outcome", "Choose the appeal&#39;s outcome"),
    ({"direction": "sideways"}, "comm-direction-incoming", "Say whether this came from the agency"),
    ({"tracking_number": "A" * 101}, "comm-tracking", "Keep the tracking number under 100 characters"),
    ({"kind": "note", "exemptions": ["(b)(6)"]}, "comm-exemptions", "Exemptions belong to releases"),
])
def test_form_rejects_bad_input_and_saves_nothing(world, session, login_as, form, field_id, message):
    req = _ice_sent(world, session)
    events_before = _count(session, Event)
    client = login_as("staff")
    resp = _post(client, req, **{"direction": "incoming", "kind": "note", "occurred_on": "2025-07-01",
                                 "subject": "Subject", **form})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert message in body
    assert f'href="#{field_id}"' in body and f'id="{field_id}"' in body  # the summary links to the field
    assert "Nothing was saved" in body
    session.expire_all()
    assert _count(session, Communication) == 0 and _count(session, Event) == events_before
    assert _count(session, SearchEntry) == 0 or not session.scalar(
        select(SearchEntry).where(SearchEntry.source_type == "communication"))
    assert req.status == "draft" and req.tracking_number == ""


def test_form_keeps_what_was_typed_on_error(world, session, login_as):
    req = _ice_sent(world, session)
    resp = _post(login_as("staff"), req, direction="incoming", kind="partial_denial", occurred_on="2030-01-01",
                 subject="Keep <me>", exemptions=["(b)(6)"], body="Some text")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'value="Keep &lt;me&gt;"' in body and ">Some text</textarea>" in body
    assert 'value="(b)(6)" checked' in body and 'value="partial_denial" selected' in body


def test_nul_in_body_is_refused_with_a_clear_message(world, session, login_as):
    req = _ice_sent(world, session)
    resp = _post(login_as("staff"), req, direction="incoming", kind="note", occurred_on="2025-07-01",
                 body="before\x00after")
    assert resp.status_code == 400 and "NUL character" in resp.get_data(as_text=True)
    assert _count(session, Communication) == 0
    with pytest.raises(ValidationError) as exc:  # the service refuses it too (CLI, import)
        _log(session, req, world["users"]["staff"], kind="note", occurred_on=date(2025, 7, 1), body="a\x00b")
    assert "NUL character" in exc.value.errors["body"]


def test_service_validation_messages(world, session):
    staff = world["users"]["staff"]
    req = _ice_sent(world, session)
    cases = [
        (dict(kind="note", occurred_on=date(2026, 1, 17)), "occurred_on", "future"),  # NOW is 2026-01-15
        (dict(kind="note", occurred_on=date(2025, 7, 1), body="x" * 1_000_001), "body", "limit is 1,000,000"),
        (dict(kind="note", occurred_on=date(2025, 7, 1), tracking_number="ab\x07c"), "tracking_number", "cannot be printed"),
        (dict(kind="note", occurred_on=date(2025, 7, 1), subject="two\nlines"), "subject", "control character"),
        (dict(kind="acknowledgment", occurred_on=date(2025, 7, 1), data={"estimated_completion": "soon"}),
         "estimated_completion", "YYYY-MM-DD"),
        (dict(kind="acknowledgment", occurred_on=date(2025, 7, 1), data={"estimated_completion": "2025-06-01"}),
         "estimated_completion", "on or after"),
        (dict(kind="full_denial", occurred_on=date(2025, 7, 1), data={"estimated_completion": "2025-09-01"}),
         "estimated_completion", "ends the response period"),
        (dict(kind="extension_notice", occurred_on=date(2025, 7, 1), data={"days": "ten"}), "days", "positive whole number"),
        (dict(kind="note", occurred_on=date(2025, 7, 1), data={"days": 3}), "days", "belong to an extension notice"),
        (dict(kind="fee_estimate", occurred_on=date(2025, 7, 1), data={"amount": "lots"}), "amount", "in dollars"),
        (dict(kind="appeal_decision", occurred_on=date(2025, 7, 1), data={"outcome": "maybe"}), "outcome", "granted, partly granted or denied"),
    ]
    for kw, field, fragment in cases:
        with pytest.raises(ValidationError) as exc:
            _log(session, req, staff, **kw)
        assert fragment in exc.value.errors.get(field, ""), (kw, exc.value.errors)
    session.rollback()
    assert _count(session, Communication) == 0
    # Tomorrow is allowed (time zones), the day after is not.
    _log(session, req, staff, kind="note", occurred_on=date(2026, 1, 16))
    assert _count(session, Communication) == 1


def test_clarification_sequence_rules(world, session):
    staff = world["users"]["staff"]
    req = _ice_sent(world, session)
    _log(session, req, staff, kind="clarification_request", occurred_on=date(2025, 7, 8))
    with pytest.raises(ValidationError) as exc:
        _log(session, req, staff, kind="clarification_request", occurred_on=date(2025, 7, 9))
    assert "still open" in exc.value.errors["kind"]
    with pytest.raises(ValidationError) as exc:
        _log(session, req, staff, kind="clarification_reply", direction="outgoing", occurred_on=date(2025, 7, 7))
    assert "before the clarification request (2025-07-08)" in exc.value.errors["occurred_on"]
    _log(session, req, staff, kind="clarification_reply", direction="outgoing", occurred_on=date(2025, 7, 8))
    with pytest.raises(ValidationError):
        _log(session, req, staff, kind="clarification_reply", direction="outgoing", occurred_on=date(2025, 7, 9))


def test_extension_days_follow_each_law(world, session):
    reporter = world["users"]["reporter"]
    req = world["requests"][("reporter", "private")]  # LASD, CPRA: up to 14 calendar days (Gov. Code § 7922.535)
    _send(session, req, reporter, date(2025, 12, 1))
    with pytest.raises(ValidationError) as exc:
        _log(session, req, reporter, kind="extension_notice", occurred_on=date(2025, 12, 4), data={"days": 15})
    assert "at most 14 calendar days" in exc.value.errors["days"]
    with pytest.raises(ValidationError) as exc:
        _log(session, req, reporter, kind="partial_denial", occurred_on=date(2025, 12, 4), exemptions=["(b)(6)"])
    assert "California Public Records Act" in exc.value.errors["exemptions"] or "not an exemption" in exc.value.errors["exemptions"]
    comm = _log(session, req, reporter, kind="partial_denial", occurred_on=date(2025, 12, 4),
                exemptions=["7923.600", "§ 7922.000"])
    assert comm.exemptions == ["§ 7922.000", "§ 7923.600"]  # statute order, typed loosely


def test_cli_log_errors_and_usage(cli, world, session):
    req = _ice_sent(world, session)
    result = _cli_log(cli, req.ref, "--kind", "partial_denial", "--date", "2025-07-01", "--exemption", "(b)(10)")
    assert result.exit_code == 2 and "Error (exemptions)" in result.output and "(b)(10)" in result.output
    result = _cli_log(cli, "FT-2025-9999", "--kind", "note")
    assert result.exit_code == 1 and "no request" in result.output
    result = _cli_log(cli, req.ref, "--kind", "note", "--body", "a", "--body-file", "-")
    assert result.exit_code != 0 and "not both" in result.output
    assert _count(session, Communication) == 0


def test_cli_log_reads_the_body_from_a_file(cli, world, session, tmp_path):
    req = _ice_sent(world, session)
    letter = tmp_path / "letter.txt"
    letter.write_text("Dear requester,\nWe need ten more working days.\n", encoding="utf-8")
    result = _cli_log(cli, req.ref, "--kind", "extension_notice", "--date", "2025-07-01", "--days", "5",
                      "--body-file", str(letter))
    assert result.exit_code == 0, result.output
    assert "Response due: 2025-07-28" in result.output  # 07-21 + 5 working days: 07-22, 23, 24, 25, 28
    assert session.scalar(select(Communication.body)) == "Dear requester,\nWe need ten more working days.\n"


# ----------------------------------------------------------------------------- access

def test_access_per_role(world, session, client, login_as):
    staff_private = world["requests"][("staff", "private")]
    reporter_org = world["requests"][("reporter", "organization")]
    # Signed out: to the login page.
    resp = client.get(f"/requests/{staff_private.ref}/communications/new")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    # A reporter from another organization cannot see the request: 404, on GET and POST.
    c = login_as("outsider")
    assert c.get(f"/requests/{reporter_org.ref}/communications/new").status_code == 404
    token = csrf_token(c, "/requests")
    assert c.post(f"/requests/{reporter_org.ref}/communications/new",
                  data={"csrf_token": token, "kind": "note", "direction": "incoming",
                        "occurred_on": "2025-07-01"}).status_code == 404
    c.post("/logout", data={"csrf_token": token})
    # A colleague who can read the organization's request but not change it: 403, and no link on the page.
    c = login_as("colleague")
    page = c.get(f"/requests/{reporter_org.ref}").get_data(as_text=True)
    assert 'id="communications"' in page and "Log a communication" not in page
    assert c.get(f"/requests/{reporter_org.ref}/communications/new").status_code == 403
    token = csrf_token(c, "/requests")
    assert c.post(f"/requests/{reporter_org.ref}/communications/new",
                  data={"csrf_token": token, "kind": "note", "direction": "incoming",
                        "occurred_on": "2025-07-01"}).status_code == 403
    c.post("/logout", data={"csrf_token": token})
    # The requester may; without the CSRF token the POST is refused.
    c = login_as("reporter")
    assert c.get(f"/requests/{reporter_org.ref}/communications/new").status_code == 200
    resp = c.post(f"/requests/{reporter_org.ref}/communications/new",
                  data={"kind": "note", "direction": "incoming", "occurred_on": "2025-07-01"})
    assert resp.status_code == 400 and "security token" in resp.get_data(as_text=True)
    assert _count(session, Communication) == 0
    resp = _post(c, reporter_org, kind="note", direction="outgoing", occurred_on="2025-07-01", subject="Called the office")
    assert resp.status_code == 302
    assert session.scalar(select(Communication.created_by_id)) == world["users"]["reporter"].id


def test_form_page_lists_the_laws_exemptions_and_what_kinds_do(world, session, login_as):
    req = world["requests"][("reporter", "private")]  # CPRA
    body = login_as("reporter").get(f"/requests/{req.ref}/communications/new").get_data(as_text=True)
    assert '<legend class="usa-legend usa-legend--large">Exemptions cited' in body and "§ 7922.000" in body
    assert "(b)(6)" not in body
    assert "the response clock pauses" in body and '<label class="usa-label" for="comm-date">Date</label>' in body
    assert 'type="radio" name="direction" id="comm-direction-incoming"' in body


def test_long_bodies_get_an_excerpt_and_full_text(world, session, login_as):
    req = world["requests"][("reporter", "private")]
    reporter = world["users"]["reporter"]
    _log(session, req, reporter, kind="note", occurred_on=date(2026, 1, 5), subject="Phone call",
         body="word " * 200 + "<script>alert(1)</script>")
    session.commit()
    page = login_as("reporter").get(f"/requests/{req.ref}").get_data(as_text=True)
    assert "<summary>Full text" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


# ----------------------------------------------------------------------------- exemptions as data

def test_exemption_lists():
    assert {s for s in law_slugs() if exemptions_for(s)} >= {"us-foia", "ca-cpra", "ny-foil", "tx-pia", "il-foia",
                                                             "wa-pra", "fl-prl", "ma-prl", "pa-rtkl", "nj-opra"}
    federal = dict(exemptions_for("us-foia"))
    assert federal["(b)(6)"] == "(b)(6) Personal privacy"
    assert federal["(b)(7)(C)"] == "(b)(7)(C) Law-enforcement records: personal privacy"
    assert [c for c in federal if c.startswith("(b)(7)")] == [f"(b)(7)({x})" for x in "ABCDEF"]
    assert {f"(b)({n})" for n in (1, 2, 3, 4, 5, 6, 8, 9)} <= set(federal)
    assert [c for c, _ in exemptions_for("ny-foil")] == [f"§ 87(2)({x})" for x in "abcdefghij"]
    assert exemptions_for("nowhere") == []
    for law in law_slugs():
        codes = [c for c, _ in exemptions_for(law)]
        assert len(codes) == len(set(codes)), law
        for code in codes:  # every code resolves to itself, also typed loosely
            assert resolve(law, code) == code
            assert resolve(law, code.replace("§ ", "").replace("(", "").replace(")", "").upper()) == code, (law, code)
    assert resolve("us-foia", "b7c") == "(b)(7)(C)" and resolve("us-foia", "(b)(10)") is None
    assert resolve("ca-cpra", "(b)(6)") is None


def test_every_kind_has_an_effect_and_a_ledger_event():
    from foia.models import EVENT_KINDS, STATUSES

    assert set(EFFECTS) == set(COMMUNICATION_KINDS)
    for kind, effect in EFFECTS.items():
        assert effect.event in EVENT_KINDS, kind
        assert effect.status is None or effect.status in STATUSES, kind
