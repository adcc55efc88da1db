"""The fee and litigation pages: CSRF, validation messages, access, and what the request page shows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from foia.extensions import db
from foia.models import Event
from foia.requests.service import log_event, update_request
from tests.conftest import NOW, csrf_token


def _sent(session, world, key=("staff", "organization"), ceiling=None):
    staff = world["users"]["staff"]
    req = world["requests"][key]
    update_request(session, actor=staff, now=NOW, req=req, status="submitted", fee_ceiling=ceiling)
    log_event(session, actor=staff, now=NOW, req=req, kind="received", occurred_on=date(2026, 3, 2))
    session.commit()
    return req


def test_record_a_fee_estimate_over_the_ceiling(session, world, login_as):
    req = _sent(session, world, ceiling=Decimal("100.00"))
    client = login_as("staff")
    page = client.get(f"/requests/{req.ref}/fees")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "5 U.S.C. § 552(a)(4)(A)" in html and "<legend class=\"usa-legend\">What happened</legend>" in html
    token = csrf_token(client, f"/requests/{req.ref}/fees")
    resp = client.post(f"/requests/{req.ref}/fees", data={
        "csrf_token": token, "step": "fee_estimate", "on": "2026-03-10", "amount": "$300.00",
        "asks_requester": "y"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    show = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert "Over the ceiling" in show and "$300.00" in show
    assert "May sue in federal district court from" in show  # escalation section
    assert "Tolled for fees since" in client.get(f"/requests/{req.ref}/fees").get_data(as_text=True)
    org = client.get("/fees").get_data(as_text=True)
    assert req.ref in org and "Over the ceiling" in org


def test_fee_form_needs_csrf_and_says_what_is_wrong(session, world, login_as):
    req = _sent(session, world)
    client = login_as("staff")
    assert client.post(f"/requests/{req.ref}/fees", data={"step": "fee_paid", "on": "2026-03-10",
                                                          "amount": "5", "method": "cash"}).status_code == 400
    token = csrf_token(client, f"/requests/{req.ref}/fees")
    resp = client.post(f"/requests/{req.ref}/fees", data={"csrf_token": token, "step": "fee_paid", "on": "soon",
                                                          "amount": "5", "method": "cash"})
    assert resp.status_code == 400
    assert "Enter the date as a day, month and year" in resp.get_data(as_text=True)
    resp = client.post(f"/requests/{req.ref}/fees", data={"csrf_token": token, "step": "fee_paid",
                                                          "on": "2026-03-10", "amount": "five", "method": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Enter the amount in dollars" in html and "Choose how it was paid" in html
    db.session.expire_all()
    assert db.session.scalars(select(Event).where(Event.request_id == req.id, Event.kind == "fee_paid")).all() == []


def test_other_organizations_neither_see_nor_add_fees(session, world, login_as):
    req = _sent(session, world, key=("staff", "public"))  # public: everyone signed in can read the request
    staff = world["users"]["staff"]
    log_event(session, actor=staff, now=NOW, req=req, kind="fee_paid", occurred_on=date(2026, 3, 5),
              data={"amount": "77.00", "method": "check"})
    session.commit()
    client = login_as("outsider")
    show = client.get(f"/requests/{req.ref}")
    assert show.status_code == 200 and "$77.00" not in show.get_data(as_text=True)
    assert client.get(f"/requests/{req.ref}/fees").status_code == 404
    assert client.get(f"/requests/{req.ref}/litigation").status_code == 404
    token = csrf_token(client, "/fees")
    resp = client.post(f"/requests/{req.ref}/fees", data={"csrf_token": token, "step": "fee_paid",
                                                          "on": "2026-03-10", "amount": "5", "method": "cash"})
    assert resp.status_code == 404
    assert req.ref not in client.get("/fees").get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.scalars(select(Event).where(Event.request_id == req.id, Event.kind == "fee_paid")).all()) == 1


def test_reporter_of_the_organization_reads_but_cannot_add_to_a_request_they_cannot_edit(session, world, login_as):
    req = _sent(session, world, key=("staff", "public"))
    client = login_as("reporter")  # another organization's reporter: no fees at all
    assert client.get(f"/requests/{req.ref}/fees").status_code == 404


def test_a_colleague_who_may_not_edit_cannot_add_fee_steps(session, world, login_as):
    own = world["requests"][("reporter", "organization")]
    colleague = login_as("colleague")  # same organization, may see, may not edit
    assert colleague.get(f"/requests/{own.ref}/fees").status_code == 200
    token = csrf_token(colleague, f"/requests/{own.ref}/fees")
    resp = colleague.post(f"/requests/{own.ref}/fees", data={"csrf_token": token, "step": "fee_paid",
                                                             "on": "2026-03-10", "amount": "5", "method": "cash"})
    assert resp.status_code == 403


def test_litigation_page_records_a_complaint(session, world, login_as):
    req = _sent(session, world)
    client = login_as("staff")
    token = csrf_token(client, f"/requests/{req.ref}/litigation")
    resp = client.post(f"/requests/{req.ref}/litigation", data={"csrf_token": token, "step": "litigation_filed",
                                                                "on": "2026-04-01", "court": "D.D.C."})
    assert resp.status_code == 400 and "Give the case number" in resp.get_data(as_text=True)
    resp = client.post(f"/requests/{req.ref}/litigation", data={"csrf_token": token, "step": "litigation_filed",
                                                                "on": "2026-04-01", "court": "D.D.C.",
                                                                "case_number": "1:26-cv-1"})
    assert resp.status_code == 302
    html = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert "In litigation" in html and "1:26-cv-1" in html


def test_law_pages_state_fee_rules_and_escalation(client, ctx):
    html = client.get("/laws/tx-pia").get_data(as_text=True)
    assert "Gov. Code § 552.2615(b)" in html and "§ 552.263(e)" in html
    html = client.get("/laws/nj-opra").get_data(as_text=True)
    assert "Mason v. City of Hoboken, 196 N.J. 51 (2008)" in html and "also from a deemed denial" in html
    assert "Not encoded" in client.get("/laws/wa-pra").get_data(as_text=True)


def test_organization_totals_show_a_reporter_only_what_they_may_see(session, world, login_as):
    reporter = world["users"]["reporter"]
    private, shared = world["requests"][("reporter", "private")], world["requests"][("reporter", "organization")]
    for req, amount in ((private, "40.00"), (shared, "2.50")):
        log_event(session, actor=reporter, now=NOW, req=req, kind="fee_paid", occurred_on=date(2026, 3, 5),
                  data={"amount": amount, "method": "card"})
    session.commit()
    html = login_as("colleague").get("/fees").get_data(as_text=True)
    assert shared.ref in html and private.ref not in html
    assert "$2.50" in html and "$40.00" not in html and "$42.50" not in html
