"""H1: the shared agency directory. Only administrators edit or add agencies; everyone else suggests a change
(stored, audited, nothing changes) that an administrator accepts (applied through the normal update, audited)
or rejects with a note. A change to an agency's rules first shows which open requests' dates it moves."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from foia.agencies.service import AGENCY_FIELDS, preview_impact
from foia.core.audit import snapshot
from foia.models import Agency, AgencyChange, AuditLog, RequestClock
from foia.requests.service import RequestInput, create_request, log_event
from foia.scheduler import recompute_clocks
from tests.clocks.writes import clock_writes
from tests.conftest import NOW, csrf_token


def _form(session, current: str, /, **overrides) -> dict[str, str]:
    agency = session.scalar(select(Agency).where(Agency.slug == current))
    return {**snapshot(agency, AGENCY_FIELDS), **overrides}


def _post(client, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/agencies")})


def _agency_state(session):
    session.expire_all()
    return [snapshot(a, AGENCY_FIELDS) for a in session.scalars(select(Agency).order_by(Agency.id))]


@pytest.fixture
def dhs_privacy_appeal(world, session):
    """A City of Los Angeles request at DHS Privacy with an adverse determination on Mon 2026-03-02."""
    staff = world["users"]["staff"]
    req = create_request(session, actor=staff, now=NOW, data=RequestInput(
        title="Privacy office records", records_sought="All records about the thing in question.",
        agency_slug="dhs-privacy"))
    log_event(session, actor=staff, now=NOW, req=req, kind="sent", occurred_on=date(2026, 1, 5),
              occurred_at=datetime(2026, 1, 5, 15, 0, tzinfo=UTC))
    log_event(session, actor=staff, now=NOW, req=req, kind="determination", occurred_on=date(2026, 3, 2))
    session.commit()
    return req


def _appeal_due(session, req):
    session.expire_all()
    return session.scalar(select(RequestClock.due).where(RequestClock.request_id == req.id,
                                                         RequestClock.kind == "appeal_filing"))


@pytest.mark.parametrize("role", ["staff", "news_staff", "reporter", "outsider"])
def test_h1_reproduction_non_admins_cannot_rename_dhs_privacy(login_as, session, dhs_privacy_appeal, role):
    """The review's H1: staff of another organization posts the agency form for dhs-privacy with
    slug=privacy-office. Refused (403) for every non-admin, and nothing changes."""
    client = login_as(role)
    before = _agency_state(session)
    audits = session.scalar(select(func.count(AuditLog.id)))
    data = _form(session, "dhs-privacy", slug="privacy-office")
    assert client.get("/agencies/dhs-privacy/edit").status_code == 403
    assert _post(client, "/agencies/dhs-privacy/edit", data).status_code == 403
    assert _post(client, "/agencies/doj-oip/edit", _form(session, "doj-oip", foia_email="records@attacker.example",
                                                        mailing_address="ATTACKER MAILDROP")).status_code == 403
    assert client.get("/agencies/new").status_code == 403
    assert _post(client, "/agencies/new", {**data, "slug": "dhs-new"}).status_code == 403
    assert client.get("/agencies/changes").status_code == 403
    assert _agency_state(session) == before
    assert session.scalar(select(func.count(AuditLog.id))) == audits
    assert _appeal_due(session, dhs_privacy_appeal) == date(2026, 7, 9)
    page = client.get("/agencies/dhs-privacy").get_data(as_text=True)
    assert "Edit agency" not in page and "Suggest a change" in page


def test_suggestion_changes_nothing_until_accepted_then_applies_and_audits(login_as, client, world, session,
                                                                           dhs_privacy_appeal):
    # Staff of another organization (the newsroom) suggests the H1 rename: stored, audited, nothing moves.
    editor = login_as("news_staff")
    before = _agency_state(session)
    form = editor.get("/agencies/dhs-privacy/suggest").get_data(as_text=True)
    assert "Suggest a change to" in form and 'value="dhs-privacy"' in form
    resp = _post(editor, "/agencies/dhs-privacy/suggest",
                 _form(session, "dhs-privacy", slug="privacy-office", note="Renamed on dhs.gov"))
    assert resp.status_code == 302 and resp.headers["Location"] == "/agencies/dhs-privacy"
    assert _agency_state(session) == before
    assert _appeal_due(session, dhs_privacy_appeal) == date(2026, 7, 9)
    (change,) = session.scalars(select(AgencyChange)).all()
    assert change.status == "pending" and change.changes == {"slug": "privacy-office"}
    assert change.before == {"slug": "dhs-privacy"} and change.note == "Renamed on dhs.gov"
    assert change.organization_id == world["orgs"]["news"].id and change.proposed_by_id == world["users"]["news_staff"].id
    suggested = session.scalar(select(AuditLog).where(AuditLog.entity_type == "agency_changes"))
    assert suggested.action == "suggest" and suggested.actor_id == world["users"]["news_staff"].id

    # The same rules as an edit: a taken short name is refused and nothing is stored.
    bad = _post(editor, "/agencies/dhs-privacy/suggest", _form(session, "dhs-privacy", slug="dhs-ice"))
    assert bad.status_code == 400 and "Another agency already uses this short name." in bad.get_data(as_text=True)
    nothing = _post(editor, "/agencies/dhs-privacy/suggest", _form(session, "dhs-privacy"))
    assert nothing.status_code == 400
    assert session.scalar(select(func.count(AgencyChange.id))) == 1
    editor.post("/logout", data={"csrf_token": csrf_token(editor, "/settings")})

    # The admin's queue shows it field by field, before and after.
    admin = login_as("admin")
    queue = admin.get("/agencies/changes").get_data(as_text=True)
    assert "DHS Privacy Office" in queue or "Privacy" in queue
    assert "dhs-privacy" in queue and "privacy-office" in queue and "Renamed on dhs.gov" in queue
    # Accepting a short-name change first shows the dates it moves and changes nothing.
    preview = _post(admin, f"/agencies/changes/{change.id}/accept", {})
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Check the dates this change moves" in body
    assert dhs_privacy_appeal.ref in body and "City of Los Angeles" in body
    assert "2026-07-09" in body and "2026-05-31" in body
    assert _agency_state(session) == before and _appeal_due(session, dhs_privacy_appeal) == date(2026, 7, 9)
    # A confirmation for other values does not count.
    _post(admin, f"/agencies/changes/{change.id}/accept", {"confirm_rules": "slug=x|timezone=y|law=z"})
    assert _agency_state(session) == before
    confirm = "slug=privacy-office|timezone=America/New_York|law=us-foia"
    assert confirm in body
    resp = _post(admin, f"/agencies/changes/{change.id}/accept", {"confirm_rules": confirm, "decision_note": "ok"})
    assert resp.status_code == 302
    session.expire_all()
    assert session.scalar(select(Agency.id).where(Agency.slug == "dhs-privacy")) is None
    agency = session.scalar(select(Agency).where(Agency.slug == "privacy-office"))
    assert agency is not None
    # The recompute is a scheduler job queued with the change (issue 18), not part of the request.
    assert _appeal_due(session, dhs_privacy_appeal) == date(2026, 7, 9)
    assert "being recomputed in the background" in admin.get("/agencies/changes").get_data(as_text=True)
    assert recompute_clocks(admin.application) == 1
    session.expire_all()
    assert _appeal_due(session, dhs_privacy_appeal) == date(2026, 5, 31)  # the clocks were recomputed
    change = session.get(AgencyChange, change.id)
    assert change.status == "accepted" and change.decided_by_id == world["users"]["admin"].id
    actions = [(a.entity_type, a.action) for a in session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert ("agencies", "update") in actions and ("agency_changes", "accept") in actions
    update = session.scalar(select(AuditLog).where(AuditLog.entity_type == "agencies", AuditLog.action == "update"))
    assert update.before == {"slug": "dhs-privacy"} and update.after == {"slug": "privacy-office"}
    assert update.actor_id == world["users"]["admin"].id
    # The agency page shows its history: who, when, before and after, and who suggested it.
    page = client.get("/agencies/privacy-office").get_data(as_text=True)
    assert "History" in page and "dhs-privacy" in page and "Suggested by Editor (Los Angeles Ledger)" in page
    # A decided suggestion cannot be decided again.
    _post(admin, f"/agencies/changes/{change.id}/reject", {"decision_note": "late"})
    assert session.get(AgencyChange, change.id).status == "accepted"


def test_rejected_suggestion_changes_nothing(login_as, client, world, session):
    reporter = login_as("reporter")
    before = _agency_state(session)
    _post(reporter, "/agencies/doj-oip/suggest", _form(session, "doj-oip", foia_email="records@attacker.example",
                                                       mailing_address="ATTACKER MAILDROP"))
    (change,) = session.scalars(select(AgencyChange)).all()
    assert change.changes == {"foia_email": "records@attacker.example", "mailing_address": "ATTACKER MAILDROP"}
    reporter.post("/logout", data={"csrf_token": csrf_token(reporter, "/settings")})
    admin = login_as("admin")
    assert _post(admin, f"/agencies/changes/{change.id}/reject", {"decision_note": ""}).status_code == 303
    assert session.get(AgencyChange, change.id).status == "pending"  # a note is required
    assert _post(admin, f"/agencies/changes/{change.id}/reject",
                 {"decision_note": "Not the agency's address"}).status_code == 302
    session.expire_all()
    change = session.get(AgencyChange, change.id)
    assert change.status == "rejected" and change.decision_note == "Not the agency's address"
    assert _agency_state(session) == before
    assert session.scalar(select(AuditLog.action).where(AuditLog.entity_type == "agency_changes",
                                                        AuditLog.action == "reject")) == "reject"
    assert not session.scalars(select(AuditLog).where(AuditLog.entity_type == "agencies")).all()
    assert "Not the agency&#39;s address" in admin.get("/agencies/changes").get_data(as_text=True)


def test_suggest_an_agency_then_accept_creates_it(login_as, world, session):
    staff = login_as("staff")
    assert "Suggest an agency" in staff.get("/agencies").get_data(as_text=True)
    data = {"name": "Federal Bureau of Investigation", "slug": "doj-fbi", "jurisdiction": "United States (federal)",
            "law": "us-foia", "timezone": "America/New_York", "foia_email": "foiparequest@fbi.gov"}
    assert _post(staff, "/agencies/suggest", data).status_code == 302
    assert session.scalar(select(Agency).where(Agency.slug == "doj-fbi")) is None
    staff.post("/logout", data={"csrf_token": csrf_token(staff, "/settings")})
    admin = login_as("admin")
    (change,) = session.scalars(select(AgencyChange)).all()
    assert change.agency_id is None
    assert _post(admin, f"/agencies/changes/{change.id}/accept", {}).status_code == 302  # no rules to confirm
    session.expire_all()
    agency = session.scalar(select(Agency).where(Agency.slug == "doj-fbi"))
    assert agency.foia_email == "foiparequest@fbi.gov" and session.get(AgencyChange, change.id).agency_id == agency.id


def test_admin_edit_of_a_rule_field_shows_the_moved_dates_before_saving(login_as, world, session, dhs_privacy_appeal):
    """Hand-checked: Mon 2026-03-02 adverse determination. As dhs-privacy the DHS override gives 90 working days
    (6 C.F.R. § 5.8(a)(1)): Mar 3-31 (21), April (43), May less Memorial Day (63), June less Juneteenth (84),
    Jul 1-2 (86), Jul 3 observed holiday, Jul 6-9 (90) -> 2026-07-09. Renamed away from dhs-*, the default applies:
    90 calendar days, Mar 31 (29), Apr 30 (59), May 31 (90) -> Sun 2026-05-31, no roll-forward."""
    preview = preview_impact(session, now=NOW, agency=session.scalar(select(Agency).where(Agency.slug == "dhs-privacy")),
                             data=_form(session, "dhs-privacy", slug="privacy-office"))
    assert preview.computed and preview.open_requests == 1
    assert [(i.ref, i.organization, i.clock, i.before, i.after) for i in preview.impact] == [
        (dhs_privacy_appeal.ref, "City of Los Angeles", "Administrative appeal must be filed by",
         date(2026, 7, 9), date(2026, 5, 31))]
    session.commit()  # the preview left nothing to commit
    assert session.scalar(select(Agency.slug).where(Agency.id == dhs_privacy_appeal.agency_id)) == "dhs-privacy"
    assert _appeal_due(session, dhs_privacy_appeal) == date(2026, 7, 9)
    assert not session.scalars(select(AuditLog).where(AuditLog.entity_type.in_(("agencies", "requests")),
                                                      AuditLog.action.like("recompute%"))).all()

    admin = login_as("admin")
    data = _form(session, "dhs-privacy", slug="privacy-office")
    resp = _post(admin, "/agencies/dhs-privacy/edit", data)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Save and move these dates" in body
    assert dhs_privacy_appeal.ref in body and "2026-07-09" in body and "2026-05-31" in body
    assert _appeal_due(session, dhs_privacy_appeal) == date(2026, 7, 9)
    resp = _post(admin, "/agencies/dhs-privacy/edit",
                 {**data, "confirm_rules": "slug=privacy-office|timezone=America/New_York|law=us-foia"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/agencies/privacy-office"
    assert _appeal_due(session, dhs_privacy_appeal) == date(2026, 7, 9)  # queued, not recomputed in the request
    assert recompute_clocks(admin.application) == 1
    session.expire_all()
    assert _appeal_due(session, dhs_privacy_appeal) == date(2026, 5, 31)
    # a change to no rule field saves at once
    resp = _post(admin, "/agencies/privacy-office/edit", _form(session, "privacy-office", phone="(202) 555-0100"))
    assert resp.status_code == 302


def test_a_preview_of_an_agency_with_many_open_requests_counts_them_instead(login_as, world, session, dhs_privacy_appeal,
                                                                             monkeypatch):
    """Above PREVIEW_LIMIT open requests the preview recomputes nothing inside the web request (issue 18): it says
    how many open requests saving will recompute in the background."""
    import foia.agencies.service as service

    monkeypatch.setattr(service, "PREVIEW_LIMIT", 0)
    admin = login_as("admin")
    data = _form(session, "dhs-privacy", slug="privacy-office")
    with clock_writes() as writes:
        resp = _post(admin, "/agencies/dhs-privacy/edit", data)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "too many to work out every date here" in body
    assert "This agency has 1 open requests" in body and "2026-05-31" not in body
    assert writes == []  # not even inside a rolled-back savepoint
    preview = service.preview_impact(session, now=NOW, agency=session.scalar(select(Agency).where(Agency.slug == "dhs-privacy")),
                                     data=data)
    assert not preview.computed and preview.open_requests == 1 and preview.impact == []
