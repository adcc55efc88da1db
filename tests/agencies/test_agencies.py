"""Agency directory: search, agency pages with law and measured response times, add and edit."""

from __future__ import annotations

import re
from datetime import UTC, date, timedelta

import pytest
from sqlalchemy import func, select

from foia.dashboard.cache import clear_stats_cache
from foia.models import Agency, AuditLog, Job, RequestClock
from foia.requests.service import RequestInput, create_request, log_event
from foia.scheduler import recompute_clocks
from tests.clocks.writes import clock_writes
from tests.conftest import NOW, csrf_token

GOOD = {
    "name": "Federal Bureau of Investigation",
    "slug": "doj-fbi",
    "department": "U.S. Department of Justice",
    "jurisdiction": "United States (federal)",
    "law": "us-foia",
    "timezone": "America/New_York",
    "foia_email": "foiparequest@fbi.gov",
    "portal_url": "https://efoia.fbi.gov/",
    "phone": "(540) 868-1535",
    "mailing_address": "Record/Information Dissemination Section\n200 Constitution Drive\nWinchester, VA 22602",
    "appeal_authority": "Office of Information Policy",
    "appeal_address": "441 G Street NW, 6th Floor\nWashington, DC 20530",
    "appeal_email": "",
}


@pytest.fixture(autouse=True)
def _fresh_stats_cache():
    clear_stats_cache()
    yield
    clear_stats_cache()


def post(client, path, **overrides):
    data = {k: v for k, v in dict(GOOD, **overrides).items() if v is not None}
    data["csrf_token"] = csrf_token(client, path)
    return client.post(path, data=data)


def counts(session):
    return (session.scalar(select(func.count(Agency.id))), session.scalar(select(func.count(AuditLog.id))))


def test_admins_add_an_agency_with_an_audit_row(login_as, session):
    client = login_as("admin")
    assert "Add an agency" in client.get("/agencies").get_data(as_text=True)
    form = client.get("/agencies/new").get_data(as_text=True)
    for name in GOOD:  # every field has a label
        assert re.search(rf'<label (class="[^"]*" )?for="{name}">', form), name
    resp = post(client, "/agencies/new")
    assert resp.status_code == 302 and resp.headers["Location"] == "/agencies/doj-fbi"
    agency = session.scalar(select(Agency).where(Agency.slug == "doj-fbi"))
    assert agency.name == GOOD["name"] and agency.timezone == "America/New_York" and agency.law == "us-foia"
    audit = session.scalars(select(AuditLog).where(AuditLog.entity_type == "agencies",
                                                   AuditLog.entity_id == str(agency.id))).all()
    assert [a.action for a in audit] == ["create"] and audit[0].after["portal_url"] == "https://efoia.fbi.gov/"
    page = client.get("/agencies/doj-fbi").get_data(as_text=True)
    assert "Freedom of Information Act, 5 U.S.C. § 552" in page  # governing law with its citation
    assert "200 Constitution Drive" in page and "Office of Information Policy" in page
    assert 'href="https://efoia.fbi.gov/"' in page


def test_edit_an_agency_records_before_and_after(login_as, session):
    client = login_as("admin")
    agency = session.scalar(select(Agency).where(Agency.slug == "lasd"))
    form = client.get("/agencies/lasd/edit").get_data(as_text=True)
    assert "Los Angeles County Sheriff&#39;s Department" in form
    data = {f: getattr(agency, f) for f in GOOD}
    data.update(foia_email="pra@lasd.org", phone="(213) 555-0100")
    resp = post(client, "/agencies/lasd/edit", **data)
    assert resp.status_code == 302 and resp.headers["Location"] == "/agencies/lasd"
    session.expire_all()
    agency = session.scalar(select(Agency).where(Agency.slug == "lasd"))
    assert agency.foia_email == "pra@lasd.org" and agency.phone == "(213) 555-0100"
    (row,) = session.scalars(select(AuditLog).where(AuditLog.entity_type == "agencies", AuditLog.action == "update")).all()
    assert row.before == {"foia_email": "", "phone": "(213) 229-1700"}
    assert row.after == {"foia_email": "pra@lasd.org", "phone": "(213) 555-0100"}
    assert "pra@lasd.org" in client.get("/agencies/lasd").get_data(as_text=True)


def test_changing_an_agency_time_zone_recomputes_its_open_requests(login_as, world, session):
    from datetime import datetime

    req = create_request(session, actor=world["users"]["staff"], now=NOW, data=RequestInput(
        title="Tz", records_sought="All records about the thing in question.", agency_slug="dhs-ice"))
    # 06:00 UTC: Friday 6 March, 1 am in Washington (received Friday: no deferral, issue 14), but still
    # Thursday 5 March, 8 pm in Honolulu (received Thursday: one working day earlier).
    log_event(session, actor=world["users"]["staff"], now=NOW, req=req, kind="sent", occurred_on=date(2026, 3, 6),
              occurred_at=datetime(2026, 3, 6, 6, 0, tzinfo=UTC))
    session.commit()
    assert req.response_due == date(2026, 4, 3)
    client = login_as("admin")
    agency = session.scalar(select(Agency).where(Agency.slug == "dhs-ice"))
    data = {f: getattr(agency, f) for f in GOOD}
    resp = post(client, "/agencies/dhs-ice/edit", **dict(data, timezone="Pacific/Honolulu"))
    assert resp.status_code == 200 and "Check the dates this change moves" in resp.get_data(as_text=True)
    with clock_writes() as writes:
        resp = post(client, "/agencies/dhs-ice/edit", **dict(data, timezone="Pacific/Honolulu",
                    confirm_rules="slug=dhs-ice|timezone=Pacific/Honolulu|law=us-foia"))
    assert resp.status_code == 302
    actions = session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "agencies")).all()
    assert actions == ["update"]
    # The save queued the recompute (issue 18) and wrote no clock: the web request recomputed nothing.
    assert writes == []
    session.expire_all()
    response_due = select(RequestClock.due).where(RequestClock.request_id == req.id, RequestClock.kind == "response")
    assert session.scalar(response_due) == date(2026, 4, 3)
    (job,) = session.scalars(select(Job).where(Job.kind == "recompute_clocks")).all()
    assert job.status == "queued" and job.payload["agency_id"] == agency.id
    assert "being recomputed in the background" in client.get("/agencies/dhs-ice").get_data(as_text=True)
    # The request's page computes from the ledger: it shows the new date before the job runs.
    assert "April 2, 2026" in client.get(f"/requests/{req.ref}").get_data(as_text=True)
    with clock_writes() as writes:
        assert recompute_clocks(client.application) == 1  # what the scheduler runs every 15 s
    assert writes
    session.expire_all()
    assert session.scalar(response_due) == date(2026, 4, 2)
    assert session.get_one(Job, job.id).status == "done"


@pytest.mark.parametrize("role", ["reporter", "staff", "news_staff"])
def test_only_admins_add_or_edit_agencies(login_as, session, role):
    client = login_as(role)
    before = counts(session)
    assert "Add an agency" not in client.get("/agencies").get_data(as_text=True)
    assert "Edit agency" not in client.get("/agencies/lasd").get_data(as_text=True)
    assert client.get("/agencies/new").status_code == 403
    assert client.get("/agencies/lasd/edit").status_code == 403
    token = csrf_token(client, "/agencies")
    assert client.post("/agencies/new", data=dict(GOOD, csrf_token=token)).status_code == 403
    assert client.post("/agencies/lasd/edit", data=dict(GOOD, slug="lasd", csrf_token=token)).status_code == 403
    assert counts(session) == before


def test_anonymous_visitors_are_sent_to_login(client, world):
    for path in ("/agencies/new", "/agencies/lasd/edit"):
        assert client.get(path).headers["Location"].startswith("/login")


@pytest.mark.parametrize("overrides, field, message", [
    ({"slug": "Bad Slug!"}, "slug", "lower-case letters, digits and hyphens"),
    ({"slug": "x"}, "slug", "lower-case letters, digits and hyphens"),
    ({"slug": "a" * 65}, "slug", "lower-case letters, digits and hyphens"),
    ({"slug": ""}, "slug", "Give the agency a short name"),
    ({"name": ""}, "name", "Give the agency&#39;s name."),
    ({"jurisdiction": ""}, "jurisdiction", "Say which jurisdiction"),
    ({"law": "xx-law"}, "law", "Not a valid choice"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Choose a time zone such as America/Los_Angeles."),
    ({"timezone": "UTC"}, "timezone", "Choose a time zone such as America/Los_Angeles."),
    ({"timezone": "../../etc/passwd"}, "timezone", "Choose a time zone such as America/Los_Angeles."),
    ({"foia_email": "not-an-email"}, "foia_email", "Enter a valid email address"),
    ({"appeal_email": "a@b"}, "appeal_email", "Enter a valid email address"),
    ({"portal_url": "javascript:alert(1)"}, "portal_url", "Enter a web address starting with https://"),
    ({"portal_url": "ftp://files.example.gov/foia"}, "portal_url", "Enter a web address starting with https://"),
    ({"name": "x" * 201}, "name", "200"),
])
def test_bad_input_is_explained_and_nothing_is_saved(login_as, session, overrides, field, message):
    client = login_as("admin")
    before = counts(session)
    resp = post(client, "/agencies/new", **overrides)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert message in body
    assert f'id="{field}-error"' in body and 'aria-invalid="true"' in body
    assert "Please fix" in body
    assert counts(session) == before


def test_bad_edit_is_refused_and_nothing_changes(login_as, session):
    client = login_as("admin")
    before = counts(session)
    agency = session.scalar(select(Agency).where(Agency.slug == "lasd"))
    data = {f: getattr(agency, f) for f in GOOD}
    resp = post(client, "/agencies/lasd/edit", **dict(data, name="Renamed", portal_url="notaurl"))
    assert resp.status_code == 400 and "Enter a web address" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(Agency.name).where(Agency.slug == "lasd")) == "Los Angeles County Sheriff's Department"
    assert counts(session) == before


def test_duplicate_short_name_is_refused(login_as, session):
    client = login_as("admin")
    before = counts(session)
    resp = post(client, "/agencies/new", slug="dhs-ice")
    assert resp.status_code == 400 and "Another agency already uses this short name." in resp.get_data(as_text=True)
    assert counts(session) == before
    # Renaming an agency onto another's short name is refused too; keeping its own is fine.
    agency = session.scalar(select(Agency).where(Agency.slug == "lasd"))
    data = {f: getattr(agency, f) for f in GOOD}
    resp = post(client, "/agencies/lasd/edit", **dict(data, slug="lapd"))
    assert resp.status_code == 400 and "Another agency already uses this short name." in resp.get_data(as_text=True)
    assert post(client, "/agencies/lasd/edit", **dict(data, phone="1")).status_code == 302


def test_forms_without_csrf_are_refused(login_as, session):
    client = login_as("admin")
    before = counts(session)
    assert client.post("/agencies/new", data=GOOD).status_code == 400
    assert client.post("/agencies/lasd/edit", data=dict(GOOD, slug="lasd")).status_code == 400
    assert counts(session) == before


def test_search_is_a_plain_get_form(login_as):
    client = login_as("reporter")
    body = client.get("/agencies?q=homeland").get_data(as_text=True)
    assert '<form method="get" role="search"' in body
    assert "U.S. Immigration and Customs Enforcement" in body and "DHS Privacy Office" in body
    assert "Los Angeles Police Department" not in body and "3 agencies match" in body
    body = client.get("/agencies?q=LOS+ANGELES+COUNTY").get_data(as_text=True)  # jurisdiction, any case
    assert "Los Angeles County Office of Inspector General" in body and "Customs" not in body
    assert "No agencies match" in client.get("/agencies?q=zzzz-nothing").get_data(as_text=True)
    assert client.get("/agencies?q=%25").status_code == 200  # LIKE wildcards are not special


def _lapd_acknowledgments(world, session):
    staff = world["users"]["staff"]
    for days_to_ack in (3, 5, 9):
        req = create_request(session, actor=staff, now=NOW, data=RequestInput(
            title=f"Ack {days_to_ack}", records_sought="All records about the thing in question.", agency_slug="lapd",
            visibility="organization"))
        sent = date(2026, 3, 2)  # Monday; CPRA on the California court calendar, no holidays in early March
        log_event(session, actor=staff, now=NOW, req=req, kind="sent", occurred_on=sent)
        log_event(session, actor=staff, now=NOW, req=req, kind="acknowledged",
                  occurred_on=sent + timedelta(days=days_to_ack))
    session.commit()
    # Pages read the stored statistics, which the scheduler refreshes (foia.dashboard.stats.refresh_stats).
    from datetime import UTC, datetime

    from foia.dashboard.stats import refresh_stats

    refresh_stats(session, today=datetime.now(UTC).date(), now=datetime.now(UTC))
    session.commit()


def test_agency_page_shows_measured_response_times(login_as, world, session):
    _lapd_acknowledgments(world, session)
    page = login_as("staff").get("/agencies/lapd").get_data(as_text=True)
    # Working days after Mon Mar 2: ack Mar 5 = 3, Mar 7 (Sat) = 4 (Mar 3-6), Mar 11 = 7 (Mar 3-6, 9-11). Median 4.
    assert "Median time to first response</dt><dd>4 working days" in page
    assert "over 3 requests; fastest 3, slowest 7" in page
    assert "Governing law</dt><dd>California Public Records Act" in page


def test_agency_response_times_cover_only_what_the_organization_sees(login_as, world, session):
    _lapd_acknowledgments(world, session)  # the City's requests, shared within the City only
    other = login_as("reporter").get("/agencies/lapd").get_data(as_text=True)
    assert "No response from this agency has been recorded" in other and "Median time" not in other


def test_an_agency_without_email_says_how_to_file_and_keeps_its_fax(login_as, session):
    client = login_as("admin")
    page = client.get("/agencies/lasd").get_data(as_text=True)
    assert "Through the agency's portal (no email on record)" in page
    agency = session.scalar(select(Agency).where(Agency.slug == "lasd"))
    data = {f: getattr(agency, f) for f in GOOD}
    data.update(fax="(213) 555-0199", portal_url="", foia_email="")
    resp = post(client, "/agencies/lasd/edit", **data)
    assert resp.status_code == 302
    session.expire_all()
    assert session.scalar(select(Agency.fax).where(Agency.slug == "lasd")) == "(213) 555-0199"
    page = client.get("/agencies/lasd").get_data(as_text=True)
    assert "(213) 555-0199" in page and "By mail or fax (no email on record)" in page
