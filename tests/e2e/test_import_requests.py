"""Requests → Import a spreadsheet in a browser: upload → match the columns → preview (answer the agency
question) → import → the new requests, with axe-core on every step."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest

from tests.e2e.conftest import ROOT, axe_violations, screenshot, sign_in

IMPORTER = "importer@import.example"
PASSWORD = "importing spreadsheets well"
SEED = textwrap.dedent(f"""
    from foia.factory import create_app
    from foia.extensions import db
    from foia.core.clock import utcnow
    from foia.accounts.service import create_user, get_or_create_organization
    from foia.models import User
    app = create_app()
    with app.app_context():
        if db.session.query(User).filter_by(email={IMPORTER!r}).first() is None:
            org = get_or_create_organization(db.session, "Import Newsroom", now=utcnow())
            create_user(db.session, email={IMPORTER!r}, name="Ina Porter", role="reporter", organization=org,
                        password={PASSWORD!r}, now=utcnow())
            db.session.commit()
""")

# The demo directory: dhs-ice, lasd, la-county-oig ... (no abbreviations). "Los Angeles County" is both the
# Sheriff's Department and the Office of Inspector General: asked.
LOG = (
    "Log ID,Agency,Subject,Description,Date sent,Tracking #,Status,Date acknowledged,Date closed,Notes\r\n"
    "E-1,Immigration & Customs Enforcement,Detention contracts,All detention contracts signed since 2024.,"
    "6/20/2025,2025-ICFO-777,Acknowledged,6/25/2025,,Follow up in August\r\n"
    "E-2,LA County Sheriff,Jail deaths,\"All in-custody death reviews, 2024.\",\"June 20, 2025\",,Released,,2025-09-01,\r\n"
    "E-3,Los Angeles County,Oversight audits,All audits of jail oversight in 2024.,2025-07-01,,,,,\r\n"
    "E-4,Ministry of Magic,Wands,All records about wand registrations.,2025-07-01,,,,,\r\n"
    "E-5,LAPD,Overtime,All overtime records for June 2025.,next Tuesday,,,,,\r\n"
)


@pytest.fixture
def importer(page, live_server):
    subprocess.run([sys.executable, "-c", SEED], cwd=ROOT, env=live_server["env"], check=True, capture_output=True)
    sign_in(page, IMPORTER, PASSWORD)
    return page


def test_upload_map_preview_and_import_a_request_log(importer, live_server, tmp_path):
    page = importer
    path = tmp_path / "request-log.csv"
    path.write_text(LOG, encoding="utf-8")

    page.goto("/requests")
    page.get_by_role("link", name="Import a spreadsheet").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Import requests from a spreadsheet"
    assert axe_violations(page) == []

    page.locator("#import-file").set_input_files(str(path))  # the USWDS file input re-labels its drop zone
    page.get_by_role("button", name="Upload and match the columns").click()
    page.wait_for_url(re.compile(r"/requests/import/[\w-]+/columns"))
    assert page.get_by_label(re.compile("^Agency")).input_value() == "1"
    assert page.get_by_label(re.compile("^Date sent")).input_value() == "4"
    assert page.get_by_label(re.compile("^Your id for the row")).input_value() == "0"
    assert axe_violations(page) == []
    screenshot(page, "import-columns")

    page.get_by_role("button", name="Preview the requests").click()
    page.wait_for_url(re.compile(r"/requests/import/[\w-]+/preview"))
    assert "“Los Angeles County” (row 4)" in page.content()
    assert "“next Tuesday” is not a date we can read" in page.content()
    assert "No agency in the directory matches “Ministry of Magic”" in page.content()
    assert page.get_by_role("button", name="Import 2 requests").is_visible()
    row2 = page.locator("#row-2")
    assert "Acknowledged: 2025-06-25 (tracking number 2025-ICFO-777)" in row2.inner_text()
    row2.locator("summary").first.click()  # the deadline's explanation opens
    assert row2.locator("ol.explanation li").count() > 0
    assert axe_violations(page) == []

    page.locator("label.usa-radio__label", has_text="Los Angeles County Office of Inspector General").click()
    page.get_by_role("button", name="Update the preview").click()
    page.wait_for_url(re.compile(r"/preview$"))
    assert page.get_by_role("button", name="Import 3 requests").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "import-preview")

    page.get_by_role("button", name="Import 3 requests").click()
    page.wait_for_url(re.compile(r"/requests/import/jobs/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Importing 3 requests"
    assert "is queued" in page.get_by_role("status").inner_text()
    assert axe_violations(page) == []
    # The import is a background job (the scheduler runs it every 15 s under `make run`): run the queue once here.
    # Other browser tests share this server, so the count may include theirs.
    run = subprocess.run([sys.executable, "-m", "flask", "foia", "import-jobs"], cwd=ROOT, env=live_server["env"],
                         capture_output=True, text=True)
    assert run.returncode == 0 and re.match(r"Imports: [1-9]\d* done", run.stdout), run.stdout + run.stderr
    page.get_by_role("link", name="Refresh").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Imported 3 requests"
    assert "3 created, 0 skipped as already imported, 2 rows with problems left out" in page.get_by_role("status").inner_text()
    assert "Row 5:" in page.content() and "Row 6:" in page.content()
    assert axe_violations(page) == []
    screenshot(page, "import-result")

    page.locator("a[href^='/requests/FT-']").first.click()
    page.wait_for_url(re.compile(r"/requests/FT-\d{4}-\d{4}$"))
    text = page.content()
    assert "Detention contracts" in text and "2025-ICFO-777" in text
