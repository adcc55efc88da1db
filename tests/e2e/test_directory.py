"""The agency directory in a browser (issue 15): the filing form's picker filters 500+ agencies as you type and
shows the agency's reported headline; the directory pages. Works on the small demo directory and on the full
federal one: `ensure_directory_data` adds only what is missing (ICE as a DHS component with a reported year,
enough agencies for a second page)."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.e2e.conftest import ROOT, sign_in

_SETUP = r'''
from datetime import UTC, date, datetime
from sqlalchemy import func, select
from foia.extensions import db
from foia.factory import create_app
from foia.models import Agency, AgencyReportedStat

now = datetime.now(UTC)
app = create_app()
with app.app_context():
    s = db.session
    def agency(slug, name, **kw):
        a = s.scalar(select(Agency).where(Agency.slug == slug))
        if a is None:
            a = Agency(slug=slug, name=name, jurisdiction="United States (federal)", law="us-foia",
                       timezone="America/New_York", created_at=now, updated_at=now, **kw)
            s.add(a)
            s.flush()
        return a
    ice = s.scalar(select(Agency).where(Agency.slug == "dhs-ice"))
    if ice.parent_id is None:
        ice.parent = agency("dhs", "Department of Homeland Security", abbreviation="DHS")
    if not ice.abbreviation:
        ice.abbreviation = "ICE"
    if s.scalar(select(func.count(AgencyReportedStat.id)).where(AgencyReportedStat.agency_id == ice.id)) == 0:
        for fy, received, median in ((2024, 59300, 203.0), (2023, 51234, 180.0)):
            s.add(AgencyReportedStat(agency_id=ice.id, fiscal_year=fy, source="FOIA.gov annual report",
                                     source_file=f"DHS-{fy}.xml", reported_as="ICE", received=received,
                                     processed=69270, pending_end=22246, simple_median_days=0.0,
                                     complex_median_days=median, imported_at=now))
    total = s.scalar(select(func.count(Agency.id)))
    for i in range(max(0, 60 - total)):
        agency(f"zz-e2e-{i:03d}", f"Zz E2E Records Office {i:03d}", foia_email=f"records{i}@e2e.example")
    s.commit()
'''


def ensure_directory_data(live_server) -> None:
    """Idempotent: make the live server's directory have what the directory tests look at."""
    done = live_server.setdefault("_directory_ready", False)
    if done:
        return
    subprocess.run([sys.executable, "-c", _SETUP], cwd=ROOT, env=live_server["env"], check=True, capture_output=True)
    live_server["_directory_ready"] = True


def forget_the_draft(page) -> None:
    """Picking an agency autosaves the form as the person's draft: wait for that save, then discard it, so
    the next test that opens /requests/new as this person starts empty."""
    page.wait_for_function("() => (document.getElementById('autosave-status') || {}).textContent === 'Draft saved.'")
    page.evaluate("""async () => {
        const token = document.querySelector('#filing-form input[name=csrf_token]').value;
        await fetch('/requests/new/discard', {method: 'POST', credentials: 'same-origin',
                                              body: new URLSearchParams({csrf_token: token})}); }""")
    page.goto("/requests/new")
    assert page.locator("input[name=agencies]:checked").count() == 0


def use_the_picker(page) -> None:
    """On /requests/new: search for ICE, pick it, then search for something else (ICE stays chosen)."""
    page.goto("/requests/new")
    search = page.get_by_label("Find an agency")
    search.fill("ICE")
    page.locator('label[for="agency-dhs-ice"]').click()  # USWDS draws the box on the label
    search.fill("police")


def test_the_picker_filters_as_you_type_and_shows_the_headline(page, live_server):
    ensure_directory_data(live_server)
    sign_in(page, "reporter@newsroom.example")
    page.goto("/requests/new")
    options = page.locator("#agency-options li")
    total = options.count()
    search = page.get_by_label("Find an agency")
    assert search.is_visible()

    search.fill("homeland")  # the parent department's name finds its components
    assert page.locator("#agency-dhs-ice").is_visible()
    search.fill("ICE")
    ice_item = page.locator("li", has=page.locator("#agency-dhs-ice"))
    assert ice_item.is_visible()
    shown = page.locator("#agency-options li:not([hidden])").count()
    assert shown < total
    assert re.search(rf"\d+ of {total} agencies shown", page.locator("#agency-filter-count").inner_text())
    assert not page.locator("li", has=page.locator("#agency-la-city")).is_visible()  # the City Clerk does not match

    page.locator('label[for="agency-dhs-ice"]').click()
    assert page.locator("#agency-dhs-ice").is_checked()
    headline = ice_item.locator(".agency-headline")
    assert headline.is_visible() and re.search(r"ICE reported a median of [\d.]+ days for \w+ requests in FY20\d\d",
                                               headline.inner_text())
    assert "Takes requests by" in ice_item.inner_text()
    assert page.locator("#agency-chosen").is_visible() and "ICE" in page.locator("#agency-chosen-list").inner_text()

    search.fill("police")  # the chosen agency stays in view
    assert ice_item.is_visible() and page.locator("li", has=page.locator("#agency-lapd")).is_visible()
    search.fill("")
    assert page.locator("#agency-options li:not([hidden])").count() == total

    # Enter in the search box does not file the form
    search.fill("ICE")
    search.press("Enter")
    assert page.url.endswith("/requests/new")
    forget_the_draft(page)


def test_the_directory_searches_pages_and_shows_reported_figures(page, live_server):
    ensure_directory_data(live_server)
    sign_in(page, "reporter@newsroom.example")
    page.goto("/agencies")
    page.get_by_role("searchbox", name="Search agencies").fill("ICE")
    page.get_by_role("search", name="Search agencies").get_by_role("button", name="Search").click()
    first_row = page.locator("#agency-list tbody tr").first
    assert "Immigration and Customs Enforcement" in first_row.inner_text()
    page.goto("/agencies")
    with page.expect_navigation():
        page.get_by_role("navigation", name="Pages of agencies").get_by_role("link", name="Next page").click()
    page.wait_for_load_state()
    assert "page=2" in page.url and page.locator("#agency-list tbody tr").count() >= 1
    page.goto("/agencies/departments")
    page.get_by_role("link", name=re.compile("Department of Homeland Security")).first.click()
    assert "parent=dhs" in page.url
    page.goto("/agencies/dhs-ice")
    table = page.locator("table.reported-figures")
    assert table.is_visible() and "FY2024" in table.inner_text() and "Requests received" in table.inner_text()
    assert page.get_by_role("heading", name="Measured by FOIA Tracker").is_visible()
