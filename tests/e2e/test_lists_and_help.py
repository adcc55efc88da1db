"""The requests list sorted, filtered and paged (Previous and Next), the help glossary opened from a field's
link, and a failed New request: focus on the error summary and "Error:" at the start of the title."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest

from tests.e2e.conftest import ROOT, axe_violations, sign_in

LISTER = "lister@listing.example"
PASSWORD = "listing pages correctly"
SEED = textwrap.dedent(f"""
    from foia.factory import create_app
    from foia.extensions import db
    from foia.core.clock import utcnow
    from foia.accounts.service import create_user, get_or_create_organization
    from foia.models import User
    from foia.requests.service import RequestInput, create_request
    app = create_app()
    with app.app_context():
        if db.session.query(User).filter_by(email={LISTER!r}).first() is None:
            now = utcnow()
            org = get_or_create_organization(db.session, "Listing Newsroom", now=now)
            user = create_user(db.session, email={LISTER!r}, name="Lee Lister", role="reporter", organization=org,
                               password={PASSWORD!r}, now=now)
            for i in range(14):
                create_request(db.session, actor=user, now=now, data=RequestInput(
                    title=f"Listing {{chr(ord('A') + i)}} {{'pothole' if i % 3 == 0 else 'budget'}} records",
                    records_sought="All records about the thing in question.", agency_slug="lasd"))
            db.session.commit()
""")


@pytest.fixture
def lister(page, live_server):
    """A reporter in an organization of their own with 14 draft requests (the demo has only a few)."""
    subprocess.run([sys.executable, "-c", SEED], cwd=ROOT, env=live_server["env"], check=True, capture_output=True)
    sign_in(page, LISTER, PASSWORD)
    return page


def _titles(page) -> list[str]:
    return page.locator("table.requests-table tbody tr td.request-title").all_inner_texts()


def test_sort_filter_and_page_through_the_requests_list(lister):
    page = lister
    page.goto("/requests?per_page=10&scope=mine")  # (everything I can see adds the demo's public request)
    assert "Showing 1–10 of 14 requests" in page.locator("#list-count").inner_text()
    # sort by title, then turn the order round
    page.get_by_role("link", name=re.compile(r"^Title\s*, sort ascending$")).click()
    page.wait_for_load_state()
    assert page.locator("th[aria-sort=ascending]").inner_text().startswith("Title")
    titles = _titles(page)
    assert titles == sorted(titles, key=str.lower) and titles[0].startswith("Listing A")
    page.get_by_role("link", name=re.compile(r"^Title\s*, sort descending$")).click()
    page.wait_for_load_state()
    assert page.locator("th[aria-sort=descending]").count() == 1 and _titles(page)[0].startswith("Listing N")
    assert axe_violations(page) == []
    # page 2, then back with Previous: the order is kept
    page.get_by_role("link", name=re.compile(r"^Next\s*page$")).click()
    page.wait_for_load_state()
    assert "Showing 11–14 of 14 requests" in page.locator("#list-count").inner_text()
    assert _titles(page)[-1].startswith("Listing A")
    assert page.locator(".usa-pagination [aria-current=page]").inner_text().strip().endswith("2")
    assert axe_violations(page) == []
    page.get_by_role("link", name=re.compile(r"^Previous\s*page$")).click()
    page.wait_for_load_state()
    assert "Showing 1–10 of 14" in page.locator("#list-count").inner_text()
    assert _titles(page)[0].startswith("Listing N")
    # filter by text (case-insensitive) and scope; the sort stays
    page.get_by_label("Title, reference or tracking number").fill("POTHOLE")
    page.get_by_label("Mine").check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    titles = _titles(page)
    assert len(titles) == 5 and all("pothole" in t for t in titles) and titles == sorted(titles, reverse=True)
    assert "Showing 1–5 of 5 requests" in page.locator("#list-count").inner_text()
    assert axe_violations(page) == []


def test_help_opens_from_a_fields_link(page):
    sign_in(page, "clerk@lacity.example")
    page.goto("/requests/new")
    page.get_by_role("link", name="More about “Ask for a fee waiver” in the glossary").click()
    page.wait_for_load_state()
    assert page.url.endswith("/help#term-fee-waiver")
    term = page.locator("#term-fee-waiver")
    assert term.is_visible() and term.inner_text() == "Fee waiver"
    assert page.get_by_role("heading", name="Help and glossary", level=1).is_visible()
    assert axe_violations(page) == []


def test_empty_new_request_focuses_the_error_summary_and_titles_the_error(page):
    sign_in(page, "clerk@lacity.example")
    page.goto("/requests/new")
    page.get_by_role("button", name="Save and continue to the letter").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: New request")
    page.wait_for_function("document.activeElement && document.activeElement.classList.contains('error-summary')")
    assert page.evaluate("document.activeElement.getAttribute('role')") == "alert"
    # the summary's items are links to the fields
    page.locator(".error-summary a").first.click()
    assert page.evaluate("location.hash").startswith("#")
    assert axe_violations(page) == []
