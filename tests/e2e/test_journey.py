"""The clerk's journey in a real browser: file a request to ICE with a fee waiver, preview and
download the letter, mark it sent, see the deadline, log an acknowledgment and an extension and
see the new deadline, upload a released PDF, find it by a word in it, sign out."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from foia.deadlines import AgencyRules, LedgerEvent, compute_clocks, load_law
from tests.e2e.conftest import axe_violations, screenshot, sign_in


def _due(events: list[LedgerEvent]) -> date:
    law = load_law("us-foia").for_agency("dhs-ice")
    ice = AgencyRules(slug="dhs-ice", timezone="America/New_York")  # the demo ICE's time zone, as the app counts
    return next(c.due for c in compute_clocks(law, events, agency=ice) if c.kind == "response")


def _plain(text: str) -> str:
    """Letters keep citations together with non-breaking spaces; compare words, not spacing."""
    return " ".join(text.replace("\u00a0", " ").split())


def _long(d: date) -> str:
    return f"{d.strftime('%A, %B')} {d.day}, {d.year}"


def test_clerk_files_a_request_to_ice_and_follows_it_through(page, tmp_path, live_server):
    today = datetime.now(ZoneInfo("America/Los_Angeles")).date()
    sign_in(page, "clerk@lacity.example")
    screenshot(page, "dashboard")

    # File the request
    page.goto("/requests/new")
    page.locator("label[for=agency-dhs-ice]").click()  # a USWDS checkbox: people click its label
    page.get_by_label("Short title").fill("Detention transfers from Los Angeles (browser test)")
    page.get_by_label("Records you are asking for").fill(
        "Records showing where people detained in Los Angeles since June 6, 2025 were taken, "
        "the reasons for their detention, and the cost of the operations.")
    page.locator("label[for=fee_waiver]").click()  # USWDS draws the box on the label, as a person sees it
    assert page.get_by_label("Ask for a fee waiver").is_checked()
    page.get_by_label("Why disclosure is in the public interest").fill(
        "The records concern federal operations in Los Angeles; the City will publish them.")
    page.get_by_role("button", name="Save and continue to the letter").click()
    page.wait_for_load_state()
    ref = page.locator("h1 .ref").inner_text().strip()
    assert ref.startswith("FT-")

    # Draft, preview, finalize and download the letter
    page.get_by_role("link", name="Draft a request letter").click()
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    preview = page.frame_locator("iframe[title='Letter preview']")
    assert "5 U.S.C. § 552" in _plain(preview.locator("body").inner_text())
    page.get_by_role("button", name="Finalize version 1").click()  # asks first (a confirmation dialog)
    page.locator("#finalize").get_by_role("button", name="Finalize version 1").click()
    page.wait_for_load_state()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    pdf_path = tmp_path / "letter.pdf"
    download_info.value.save_as(pdf_path)
    text = _plain(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_path.read_bytes())).pages))
    assert ref in text and "Immigration and Customs Enforcement" in text and "552(a)(4)(A)(iii)" in text

    # Send it by email from the app (the test server writes mail to its outbox): a confirmation names
    # the recipient and says the clock starts; once the server has accepted it, the clock starts.
    page.get_by_role("button", name="Send by email", exact=True).click()
    dialog = page.locator("#send-email")
    dialog.get_by_text("starts the 20-working-day response clock").wait_for()
    assert axe_violations(page) == []
    sent_at = datetime.now(UTC)  # the app records the send at this moment (its date is ICE's, in New York)
    dialog.get_by_role("button", name="Send by email to").click()
    page.wait_for_url(re.compile(rf".*/requests/{ref}(#.*)?$"))  # back on the request, at its deliveries
    page.get_by_role("cell", name="Accepted").wait_for()  # the delivery record, with the server's answer
    # Received when sent (email): counted from ICE's date then, which is not Los Angeles' between 9 pm and midnight
    # Pacific, nor the next day's after 5 pm in New York.
    sent = LedgerEvent("received", sent_at)
    first_due = _due([sent])
    deadlines = page.locator("table.clocks")
    assert _long(first_due) in deadlines.inner_text()
    screenshot(page, "request-page")

    # Log the acknowledgment, then the extension notice: the deadline moves
    for kind, tracking in (("Acknowledgment", "2025-ICFO-41231"), ("Extension notice", "")):
        page.get_by_role("link", name="Log a communication").click()
        page.get_by_label("Kind").select_option(label=kind)
        page.locator("label[for=comm-direction-incoming]").click()  # USWDS draws the radio on its label
        assert page.get_by_label("From the agency").is_checked()
        page.get_by_label("Date", exact=True).fill(today.isoformat())
        if tracking:
            page.get_by_label("Agency tracking number (optional)").fill(tracking)
        page.get_by_role("button", name="Log communication").click()
        page.wait_for_load_state()
    page.goto(f"/requests/{ref}")
    extended = _due([sent, LedgerEvent("extension", today)])
    assert extended > first_due
    assert _long(extended) in page.locator("table.clocks").inner_text()
    assert "2025-ICFO-41231" in page.content()

    # Upload a released PDF and find it by a word in it
    import weasyprint

    released = tmp_path / "ice-release-part-1.pdf"
    released.write_bytes(weasyprint.HTML(string="<p>Detainees were transferred to the Adelanto facility.</p>")
                         .write_pdf())
    page.get_by_role("link", name="Upload documents").click()
    page.locator("#upload-files").set_input_files(str(released))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    page.goto(f"/requests/{ref}")
    assert "ice-release-part-1.pdf" in page.content()
    # The text is read by the scheduler's background job (every 15 s under `make run`); run one pass of it here.
    run = subprocess.run([sys.executable, "-m", "flask", "foia", "documents", "extract"], cwd=Path(__file__).resolve().parents[2],
                         env=live_server["env"], capture_output=True, text=True)
    # Other browser tests share this server: their uploads (the Jobs page's PDF bomb, retried) may be queued too,
    # so the exit status may say one of theirs hit a limit; this upload's text is checked by the search below.
    assert re.match(r"Extracted text from [1-9]\d* document", run.stdout), run.stdout + run.stderr
    page.get_by_label("Search requests and documents").fill("Adelanto")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    results = page.locator("main").inner_text()
    assert "ice-release-part-1.pdf" in results and ref in results
    assert page.locator("main mark").first.inner_text().lower() == "adelanto"

    # Sign out
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert page.url.endswith("/login")
    page.goto(f"/requests/{ref}")
    assert "/login" in page.url
