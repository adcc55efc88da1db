"""The directory's web side (issue 15): a list that scales (search, filters, pagination, browse by
department), the agency page (provenance, verification, how to file, reported figures beside measured ones),
the edit form's new fields, the filing form's picker and the unverified label wherever contact details are used."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import event, func, select

from foia.agencies.service import agency_values
from foia.dashboard.cache import clear_stats_cache
from foia.extensions import db
from foia.models import Agency, AgencyReportedStat, AuditLog
from tests.conftest import NOW, csrf_token, login


def switch_to(client, world, role):
    """Sign the browser out (if signed in) and in again as `role` (for tests that need two people)."""
    client.post("/logout", data={"csrf_token": csrf_token(client, "/settings")})
    assert login(client, world["users"][role].email).status_code == 302
    return client


@pytest.fixture(autouse=True)
def _fresh_stats_cache():
    clear_stats_cache()
    yield
    clear_stats_cache()


def make_agency(session, slug, name, *, parent=None, **extra) -> Agency:
    values = dict(slug=slug, name=name, jurisdiction="United States (federal)", law="us-foia",
                  timezone="America/New_York", created_at=NOW, updated_at=NOW)
    values.update(extra)
    agency = Agency(**values)
    agency.parent = parent
    session.add(agency)
    session.flush()
    return agency


def dhs_with_ice(session) -> tuple[Agency, Agency]:
    """A department and its component ICE (the demo's dhs-ice, made a component, with FY2023/FY2024 figures)."""
    dhs = session.scalar(select(Agency).where(Agency.slug == "dhs")) or make_agency(
        session, "dhs", "Department of Homeland Security", abbreviation="DHS")
    ice = session.scalar(select(Agency).where(Agency.slug == "dhs-ice"))
    ice.abbreviation, ice.parent, ice.source, ice.source_as_of = "ICE", dhs, "18F-2017", date(2017, 7, 25)
    ice.verified_at = None
    session.query(AgencyReportedStat).filter_by(agency_id=ice.id).delete()
    for fy, complex_median, simple_median in ((2024, 203.0, 0.0), (2023, 180.5, 12.0)):
        session.add(AgencyReportedStat(
            agency_id=ice.id, fiscal_year=fy, source="FOIA.gov annual report", source_file=f"dhs-{fy}.xml",
            reported_as="ICE", received=59300 if fy == 2024 else 51234, processed=69270, pending_end=22246,
            simple_median_days=simple_median, complex_median_days=complex_median, expedited_median_days=None,
            imported_at=NOW))
    session.commit()
    return dhs, ice


def many_agencies(session, n: int, prefix: str = "zz-test") -> list[Agency]:
    out = [Agency(slug=f"{prefix}-{i:03d}", name=f"Test Records Office {i:03d}", jurisdiction="Testland", law="us-foia",
                  timezone="America/New_York", created_at=NOW, updated_at=NOW, foia_email=f"foia{i}@test.example")
           for i in range(n)]
    session.add_all(out)
    session.commit()
    return out


def body(resp) -> str:
    return resp.get_data(as_text=True)


def listed_slugs(html: str) -> list[str]:
    table = html.split('id="agency-list"', 1)[1].split("</table>", 1)[0] if 'id="agency-list"' in html else ""
    return re.findall(r'<th scope="row" data-label="Agency"><a href="/agencies/([a-z0-9-]+)"', table)


# ------------------------------------------------------------------------------------ the list

def test_the_list_pages_fifty_at_a_time(login_as, session):
    client = login_as("reporter")
    many_agencies(session, 75)
    total = session.scalar(select(func.count(Agency.id)))
    first = body(client.get("/agencies?q=Test+Records+Office"))
    assert len(listed_slugs(first)) == 50
    assert "Agencies 1 to 50 of 75" in first
    assert 'aria-label="Pages of agencies"' in first and "page=2" in first
    second = body(client.get("/agencies?q=Test+Records+Office&page=2"))
    assert len(listed_slugs(second)) == 25 and "Agencies 51 to 75 of 75" in second
    assert set(listed_slugs(first)).isdisjoint(listed_slugs(second))
    everything = body(client.get("/agencies"))
    assert f"of {total}" in everything and len(listed_slugs(everything)) == 50
    # past the last page: back to the last page, filters kept
    resp = client.get("/agencies?q=Test+Records+Office&page=9")
    assert resp.status_code == 302 and "page=2" in resp.headers["Location"] and "q=Test" in resp.headers["Location"]


def test_search_finds_an_agency_by_abbreviation_and_by_its_parent(login_as, session):
    client = login_as("reporter")
    dhs_with_ice(session)
    many_agencies(session, 10)
    by_abbr = listed_slugs(body(client.get("/agencies?q=ICE")))
    assert by_abbr[0] == "dhs-ice"  # the exact abbreviation first, before every "Office" and "Police"
    assert listed_slugs(body(client.get("/agencies?q=ice+customs"))) == ["dhs-ice"]
    by_parent = listed_slugs(body(client.get("/agencies?q=homeland")))
    assert "dhs-ice" in by_parent and "lasd" not in by_parent
    assert listed_slugs(body(client.get("/agencies?q=nothing-like-this"))) == []


def test_rows_say_parent_law_methods_and_verification(login_as, session):
    client = login_as("reporter")
    _dhs, ice = dhs_with_ice(session)
    html = body(client.get("/agencies?q=ICE"))
    row = html.split('href="/agencies/dhs-ice"', 1)[1].split("</tr>", 1)[0]
    assert "(ICE)" in row and "Department of Homeland Security" in row and 'href="/agencies?parent=dhs"' in row
    assert "Freedom of Information Act" in row
    assert "Email" in row and "Unverified" in row
    ice.verified_at = NOW
    session.commit()
    row = body(client.get("/agencies?q=ICE")).split('href="/agencies/dhs-ice"', 1)[1].split("</tr>", 1)[0]
    assert "Verified" in row and "Unverified" not in row


def test_filter_by_department_and_law_and_browse_departments(login_as, session):
    client = login_as("reporter")
    dhs, _ice = dhs_with_ice(session)
    make_agency(session, "dhs-cisa", "Cybersecurity and Infrastructure Security Agency", parent=dhs, abbreviation="CISA")
    session.commit()
    in_dhs = listed_slugs(body(client.get("/agencies?parent=dhs")))
    assert set(in_dhs) == {"dhs", "dhs-ice", "dhs-cisa"}
    ca = listed_slugs(body(client.get("/agencies?law=ca-cpra")))
    assert ca and "dhs-ice" not in ca and all(
        session.scalar(select(Agency.law).where(Agency.slug == s)) == "ca-cpra" for s in ca)
    depts = body(client.get("/agencies/departments"))
    entry = depts.split('href="/agencies?parent=dhs"', 1)[1].split("</li>", 1)[0]
    assert "Department of Homeland Security" in entry and "2 components" in entry


# ------------------------------------------------------------------------------------ verification

def test_verify_is_for_admins_audited_and_needs_csrf(login_as, world, session):
    dhs_with_ice(session)
    staff = login_as("staff")
    token = csrf_token(staff, "/agencies/dhs-ice")
    assert "Mark as verified" not in body(staff.get("/agencies/dhs-ice"))
    assert staff.post("/agencies/dhs-ice/verify", data={"csrf_token": token, "verified": "1"}).status_code == 403
    session.expire_all()
    assert session.scalar(select(Agency.verified_at).where(Agency.slug == "dhs-ice")) is None

    admin = switch_to(staff, world, "admin")
    page = body(admin.get("/agencies/dhs-ice"))
    assert "Mark as verified" in page and "Unverified contact details (from the 18F federal FOIA contacts (2017), as of 2017-07-25)" in page
    assert admin.post("/agencies/dhs-ice/verify", data={"verified": "1"}).status_code == 400  # no CSRF token
    session.expire_all()
    assert session.scalar(select(Agency.verified_at).where(Agency.slug == "dhs-ice")) is None

    resp = admin.post("/agencies/dhs-ice/verify", data={"csrf_token": csrf_token(admin, "/agencies/dhs-ice"), "verified": "1"})
    assert resp.status_code == 302
    session.expire_all()
    ice = session.scalar(select(Agency).where(Agency.slug == "dhs-ice"))
    assert ice.verified_at is not None and ice.verified_by_id is not None
    row = session.scalars(select(AuditLog).where(AuditLog.entity_type == "agencies", AuditLog.entity_id == str(ice.id),
                                                 AuditLog.action == "verify")).one()
    assert row.before == {"verified_at": None} and row.after["verified_at"]
    page = body(admin.get("/agencies/dhs-ice"))
    assert "Contact details confirmed on" in page and "Withdraw verification" in page

    admin.post("/agencies/dhs-ice/verify", data={"csrf_token": csrf_token(admin, "/agencies/dhs-ice"), "verified": "0"})
    session.expire_all()
    assert session.scalar(select(Agency.verified_at).where(Agency.slug == "dhs-ice")) is None
    assert session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "unverify")) == 1


# ------------------------------------------------------------------------------------ the agency page

def test_agency_page_shows_reported_figures_beside_measured_ones(login_as, session):
    client = login_as("reporter")
    dhs_with_ice(session)
    page = body(client.get("/agencies/dhs-ice"))
    table = page.split('class="usa-table usa-table--borderless reported-figures"', 1)[1].split("</table>", 1)[0]
    head = table.split("</thead>", 1)[0]
    assert head.index("FY2024") < head.index("FY2023")  # newest first
    def row(label):
        return re.sub(r"\s+", " ", table.split(label, 1)[1].split("</tr>", 1)[0])
    assert "59,300" in row("Requests received") and "51,234" in row("Requests received")
    assert "22,246" in row("Pending at year end")
    assert "203" in row("Complex requests, median days") and "180.5" in row("Complex requests, median days")
    simple = row("Simple requests, median days")
    assert "none reported" in simple and "12" in simple  # FY2024 reported 0 days: none processed
    assert "—" in row("Expedited requests, median days")  # not in the report at all
    assert "dhs-2024.xml" in row("Source") and "dhs-2023.xml" in row("Source")
    assert "ICE reported a median of 203 days for complex requests in FY2024" in page
    assert "Reported by the agency" in page and "Measured by FOIA Tracker" in page
    assert "annual FOIA report to the Department of Justice" in page  # REPORTED_DEFINITION
    for anchor in ("term-simple-and-complex-requests", "term-backlog", "term-expedited-processing", "term-appeal",
                   "term-agency-component"):
        assert f'/help#{anchor}"' in page, anchor
    assert client.get("/help").status_code == 200 and 'id="term-backlog"' in body(client.get("/help"))


def test_agency_page_how_to_file_follows_the_declared_methods_and_lists_details(login_as, session):
    client = login_as("reporter")
    _dhs, ice = dhs_with_ice(session)
    ice.filing_methods, ice.portal_url, ice.website = "portal,email", "https://ice.example/portal", "https://ice.example"
    ice.details = {"public_liaison": {"name": "Fernando Pineiro", "phone": ["(866) 633-1182"]},
                   "service_center": {"name": "ICE FOIA Requester Service Center", "phone": "(866) 633-1182"},
                   "reading_rooms": [["ICE FOIA Library", "https://ice.example/foia/library"]]}
    session.commit()
    page = body(client.get("/agencies/dhs-ice"))
    section = page.split('id="file-heading"', 1)[1].split("</section>", 1)[0]
    assert section.index("Web portal") < section.index("Email")
    assert "Fernando Pineiro" in section and "ICE FOIA Requester Service Center" in section
    assert 'href="https://ice.example/foia/library"' in section and 'href="https://ice.example"' in page
    assert 'href="/agencies/dhs"' in page  # parent link
    dept = body(client.get("/agencies/dhs"))
    assert 'id="components-heading"' in dept and 'href="/agencies/dhs-ice"' in dept


# ------------------------------------------------------------------------------------ edit and suggest

def _form(agency: Agency, **overrides) -> dict:
    data = {k: v for k, v in agency_values(agency).items() if k != "filing_methods"}
    data.update(overrides)
    return data


def test_admin_edit_sets_abbreviation_parent_website_and_methods(login_as, session):
    dhs, _ice = dhs_with_ice(session)
    cbp = session.scalar(select(Agency).where(Agency.slug == "dhs-cbp"))
    admin = login_as("admin")
    form = body(admin.get("/agencies/dhs-cbp/edit"))
    for name in ("abbreviation", "parent", "website"):
        assert re.search(rf'<label (class="[^"]*" )?for="{name}">', form), name
    assert re.findall(r'name="filing_methods"[^>]*value="(\w+)"', form) == ["email", "portal", "mail", "fax"]
    data = _form(cbp, abbreviation="CBP", parent="dhs", website="https://www.cbp.gov")
    data["filing_methods"] = ["email", "mail"]
    data["csrf_token"] = csrf_token(admin, "/agencies/dhs-cbp/edit")
    resp = admin.post("/agencies/dhs-cbp/edit", data=data)
    assert resp.status_code == 302, body(resp)
    session.expire_all()
    cbp = session.scalar(select(Agency).where(Agency.slug == "dhs-cbp"))
    assert (cbp.abbreviation, cbp.parent_id, cbp.website, cbp.filing_methods) == ("CBP", dhs.id, "https://www.cbp.gov", "email,mail")
    row = session.scalars(select(AuditLog).where(AuditLog.entity_type == "agencies", AuditLog.entity_id == str(cbp.id),
                                                 AuditLog.action == "update")).one()
    assert row.after["parent"] == "dhs" and row.before["parent"] == "" and row.after["filing_methods"] == "email,mail"
    # the edit form shows the stored parent and methods
    form = body(admin.get("/agencies/dhs-cbp/edit"))
    assert re.search(r'<option selected value="dhs">|<option value="dhs" selected', form)
    assert re.search(r'value="mail"\s+checked|checked[^>]*value="mail"', form.split('id="filing_methods-mail"', 1)[0][-200:] + form.split('id="filing_methods-mail"', 1)[1][:120])


@pytest.mark.parametrize("parent, message", [
    ("no-such-agency", "no agency has this short name"),
    ("dhs", "cannot be its own parent"),
    ("dhs-ice", "cannot sit under its own component"),
])
def test_a_parent_must_exist_and_not_be_the_agency_or_its_component(login_as, session, parent, message):
    dhs, _ice = dhs_with_ice(session)
    admin = login_as("admin")
    data = _form(dhs, parent=parent)
    data["csrf_token"] = csrf_token(admin, "/agencies/dhs/edit")
    resp = admin.post("/agencies/dhs/edit", data=data)
    assert resp.status_code == 400 and message in body(resp)
    session.expire_all()
    assert session.scalar(select(Agency.parent_id).where(Agency.slug == "dhs")) is None


def test_a_component_short_name_must_start_with_its_departments(login_as, session):
    """Law overrides match short names (dhs|dhs-*): a DHS component named 'cbp-office' would lose DHS's rules."""
    dhs_with_ice(session)
    lapd = session.scalar(select(Agency).where(Agency.slug == "lapd"))
    admin = login_as("admin")
    data = _form(lapd, parent="dhs")
    data["csrf_token"] = csrf_token(admin, "/agencies/lapd/edit")
    resp = admin.post("/agencies/lapd/edit", data=data)
    assert resp.status_code == 400 and "starts with its department" in body(resp)
    session.expire_all()
    assert session.scalar(select(Agency.parent_id).where(Agency.slug == "lapd")) is None


def test_unknown_filing_method_is_refused(login_as, session):
    admin = login_as("admin")
    cbp = session.scalar(select(Agency).where(Agency.slug == "dhs-cbp"))
    data = _form(cbp)
    data["filing_methods"] = ["pigeon"]
    data["csrf_token"] = csrf_token(admin, "/agencies/dhs-cbp/edit")
    assert admin.post("/agencies/dhs-cbp/edit", data=data).status_code == 400


def test_a_suggestion_carries_the_new_fields_to_the_queue(login_as, world, session):
    dhs, _ice = dhs_with_ice(session)
    cbp = session.scalar(select(Agency).where(Agency.slug == "dhs-cbp"))
    reporter = login_as("reporter")
    data = _form(cbp, abbreviation="CBP", parent="dhs", note="From cbp.gov")
    data["filing_methods"] = ["portal"]
    data["csrf_token"] = csrf_token(reporter, "/agencies/dhs-cbp/suggest")
    assert reporter.post("/agencies/dhs-cbp/suggest", data=data).status_code == 302
    session.expire_all()
    assert session.scalar(select(Agency.parent_id).where(Agency.slug == "dhs-cbp")) is None  # nothing changes yet
    admin = switch_to(reporter, world, "admin")
    queue = body(admin.get("/agencies/changes"))
    assert "Parent department" in queue and "dhs" in queue and "How it takes requests" in queue
    change_id = re.search(r"/agencies/changes/(\d+)/accept", queue).group(1)
    resp = admin.post(f"/agencies/changes/{change_id}/accept", data={"csrf_token": csrf_token(admin, "/agencies/changes")})
    assert resp.status_code == 302
    session.expire_all()
    cbp = session.scalar(select(Agency).where(Agency.slug == "dhs-cbp"))
    assert (cbp.abbreviation, cbp.parent_id, cbp.filing_methods) == ("CBP", dhs.id, "portal")


# ------------------------------------------------------------------------------------ the filing form

def test_filing_form_options_say_how_to_file_unverified_and_the_headline(login_as, session):
    dhs_with_ice(session)
    client = login_as("reporter")
    html = body(client.get("/requests/new"))
    option = html.split('id="agency-dhs-ice"', 1)[1].split("</li>", 1)[0]
    assert "Immigration and Customs Enforcement (ICE)" in option and "Department of Homeland Security" in option
    assert "Takes requests by email" in option
    assert "Unverified contact details" in option
    assert "ICE reported a median of 203 days for complex requests in FY2024" in option
    li = html.split('id="agency-dhs-ice"', 1)[0].rsplit("<li", 1)[1]
    assert 'data-search="' in li and " ice " in li.split('data-search="', 1)[1].split('"', 1)[0] + " "
    assert 'id="agency-filter"' in html and "filing.js" in html
    ice = session.scalar(select(Agency).where(Agency.slug == "dhs-ice"))
    ice.verified_at = NOW
    session.commit()
    option = body(client.get("/requests/new")).split('id="agency-dhs-ice"', 1)[1].split("</li>", 1)[0]
    assert "Unverified" not in option


def test_filing_form_lists_500_agencies_in_a_bounded_number_of_queries(login_as, session, ctx):
    client = login_as("reporter")
    client.get("/requests/new")  # warm up (session, law files)
    agencies = many_agencies(session, 500, prefix="zz-bulk")
    session.add_all(AgencyReportedStat(agency_id=a.id, fiscal_year=2024, source="FOIA.gov annual report",
                                       complex_median_days=float(i + 1), imported_at=NOW)
                    for i, a in enumerate(agencies[:300]))
    session.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        html = body(client.get("/requests/new"))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert html.count('name="agencies"') >= 500 and 'id="agency-zz-bulk-499"' in html
    assert "reported a median of 300 days for complex requests in FY2024" in html
    touching = [s for s in statements if "agencies" in s.lower() or "agency_reported_stats" in s.lower()]
    assert len(touching) <= 3, touching
    assert len(statements) <= 15, statements


def test_edit_form_agency_select_is_a_combo_box(login_as, world):
    client = login_as("reporter")
    ref = world["requests"][("reporter", "private")].ref
    html = body(client.get(f"/requests/{ref}/edit"))
    assert 'class="usa-combo-box"' in html.split('id="agency"', 1)[0][-600:]


# ------------------------------------------------------------------------------------ labelled wherever used

def test_unverified_label_on_request_page_and_letter_preview(login_as, world, session):
    dhs_with_ice(session)
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    assert req.agency.slug == "dhs-ice"
    page = body(client.get(f"/requests/{req.ref}"))
    block = page.split("<dt>Agency</dt>", 1)[1].split("</dd>", 1)[0]
    assert "Unverified contact details (from the 18F federal FOIA contacts (2017)" in block
    letter = body(client.get(f"/requests/{req.ref}/letters/new?kind=request"))
    assert "Unverified contact details (from the 18F federal FOIA contacts (2017)" in letter
    ice = session.scalar(select(Agency).where(Agency.slug == "dhs-ice"))
    ice.verified_at = NOW
    session.commit()
    assert "Unverified" not in body(client.get(f"/requests/{req.ref}")).split("<dt>Agency</dt>", 1)[1].split("</dd>", 1)[0]
    assert "Contact details confirmed on" in body(client.get(f"/requests/{req.ref}/letters/new?kind=request"))


def test_unverified_label_in_the_directory_list(login_as, session):
    dhs_with_ice(session)
    html = body(login_as("reporter").get("/agencies?q=ICE"))
    assert "tag-unverified" in html.split('href="/agencies/dhs-ice"', 1)[1].split("</tr>", 1)[0]


# ------------------------------------------------------------------------------------ how to file drives letters and sending

def test_letter_delivery_follows_the_declared_methods():
    from foia.letters.render import letter_delivery

    agency = {"foia_email": "foia@x.example", "portal_url": "https://x.example/portal", "address": ["1 Main St"],
              "fax": "555-0100"}
    assert letter_delivery("request", agency)["method"] == "email"  # nothing declared: email first
    assert letter_delivery("request", dict(agency, filing_methods="portal,email")) == {
        "method": "portal", "to": "https://x.example/portal"}
    assert letter_delivery("request", dict(agency, filing_methods="fax"))["method"] == "fax"
    assert letter_delivery("request", dict(agency, filing_methods="mail,email"))["method"] == "mail"
    # a declared method without an address is skipped
    assert letter_delivery("request", dict(agency, portal_url="", filing_methods="portal,mail"))["method"] == "mail"
    assert letter_delivery("appeal", dict(agency, appeal_email="appeals@x.example", filing_methods="portal")) == {
        "method": "email", "to": "appeals@x.example"}


def test_the_send_button_offers_email_only_when_the_agency_takes_email(login_as, world, session):
    from foia.mailroom.outbound import agency_recipient, no_email_reason

    ice = session.scalar(select(Agency).where(Agency.slug == "dhs-ice"))
    assert ice.foia_email and agency_recipient(ice) == ice.foia_email
    ice.filing_methods, ice.portal_url = "portal", "https://ice.example/foia"
    session.commit()
    assert agency_recipient(ice) == ""
    assert "does not take public-records requests by email; it takes them by web portal" in no_email_reason(ice)
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    token = csrf_token(client, f"/requests/{req.ref}/letters/new?kind=request")
    resp = client.post(f"/requests/{req.ref}/letters/new?kind=request", data={"csrf_token": token, "kind": "request"})
    assert resp.status_code == 302, body(resp)
    show_url = resp.headers["Location"]
    version_id = re.search(r"/letters/(\d+)", show_url).group(1)
    resp = client.post(f"/requests/{req.ref}/letters/{version_id}/finalize", data={"csrf_token": csrf_token(client, show_url)})
    assert resp.status_code in (302, 303)
    page = body(client.get(f"/requests/{req.ref}/letters/{version_id}"))
    assert "Send by email" not in page and "does not take public-records requests by email" in page
    assert 'href="https://ice.example/foia"' in page.split('id="email-heading"', 1)[1]
    ice.filing_methods = "email,portal"
    session.commit()
    assert "Send by email" in body(client.get(f"/requests/{req.ref}/letters/{version_id}"))
