"""The request page in a browser: the next-step button for each state, confirmation dialogs that do nothing
on Cancel, the log-a-response form for each kind, and the phone layout (no sideways scrolling), each with
axe-core reporting no WCAG A/AA violation."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.e2e.conftest import axe_violations, screenshot, sign_in

CBP = "CBP records of the July 7, 2025 MacArthur Park operation"  # demo: submitted 3 days ago
DHS_PRIVACY = "DHS Privacy Office: privacy impact assessments for Los Angeles operations"  # demo: denied


def _step(page) -> str:
    return page.locator("[data-next-step]").get_attribute("data-next-step")


def _primary(page):
    return page.locator(".next-step .next-step__action")


def _open_demo(page, title: str) -> str:
    page.goto("/requests")
    page.locator("tr", has_text=title).get_by_role("link").first.click()
    page.wait_for_load_state()
    return page.url


def test_next_step_and_confirmations_from_draft_to_overdue(page):
    today = datetime.now(ZoneInfo("America/Los_Angeles")).date()
    sign_in(page, "clerk@lacity.example")
    page.goto("/requests/new")
    page.locator("label[for=agency-dhs-ice]").click()  # a USWDS checkbox: people click its label
    page.get_by_label("Short title").fill("Next-step browser test")
    page.get_by_label("Records you are asking for").fill("Records about the next step, for a browser test.")
    page.get_by_role("button", name="Save and continue to the letter").click()
    page.wait_for_load_state()
    request_url = page.url.split("#")[0]

    # draft: write the letter
    assert _step(page) == "write_letter" and _primary(page).inner_text() == "Write the request letter"
    assert page.get_by_role("link", name="Draft a follow-up").count() == 0
    assert axe_violations(page) == []
    with page.expect_navigation():
        _primary(page).click()
    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()
    letter_url = page.url

    # draft letter: finish it; Finalize asks first, and Cancel does nothing
    page.goto(request_url)
    assert _step(page) == "finish_letter" and _primary(page).inner_text() == "Finish and finalize the letter"
    with page.expect_navigation():  # the letter page, loaded with its scripts (the dialogs are set up on load)
        _primary(page).click()
    page.get_by_role("button", name="Finalize version 1").click()
    dialog = page.locator("#finalize")
    dialog.get_by_text("cannot be changed afterwards").wait_for()
    assert dialog.get_by_role("heading", name="Finalize version 1?").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "request-page-finalize-dialog")
    dialog.get_by_role("button", name="Cancel").click()
    assert not dialog.get_by_role("heading", name="Finalize version 1?").is_visible()
    page.reload()
    assert page.get_by_role("button", name="Save draft").count() == 1  # still a draft
    page.get_by_role("button", name="Finalize version 1").click()
    page.locator("#finalize").get_by_role("button", name="Finalize version 1").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Download PDF").wait_for()

    # final: send it (ICE has an email address and the test server writes mail to its outbox)
    page.goto(request_url)
    assert _step(page) == "send" and _primary(page).inner_text() == "Send it"
    assert axe_violations(page) == []

    # Record as sent: the dialog names the clock from the law; Cancel records nothing
    page.goto(letter_url)
    sent_on = today - timedelta(days=70)
    page.get_by_label("How it was sent").select_option("portal")
    page.get_by_label("Date sent").fill(sent_on.isoformat())
    page.locator("#sent-heading ~ form").get_by_role("button", name="Record as sent").click()
    dialog = page.locator("#record-sent")
    dialog.get_by_text("starts the 20-working-day response clock under the Freedom of Information Act").wait_for()
    assert "5 U.S.C. § 552(a)(6)(A)(i)" in dialog.inner_text()
    assert axe_violations(page) == []
    dialog.get_by_role("button", name="Cancel").click()
    page.goto(request_url)
    assert _step(page) == "send"  # nothing was recorded
    page.goto(letter_url)
    page.get_by_label("How it was sent").select_option("portal")
    page.get_by_label("Date sent").fill(sent_on.isoformat())
    page.locator("#sent-heading ~ form").get_by_role("button", name="Record as sent").click()
    page.locator("#record-sent").get_by_role("button", name="Record as sent").click()
    page.wait_for_url(request_url)

    # sent 70 days ago: overdue, draft a follow-up
    assert _step(page) == "overdue" and _primary(page).inner_text() == "Draft a follow-up"
    assert page.locator("#next-step-heading").inner_text().startswith("Overdue by ")
    assert page.locator("#next-step-heading").inner_text().endswith("working days")
    assert page.get_by_role("link", name="Draft a request letter").count() == 0
    assert axe_violations(page) == []
    screenshot(page, "request-page-overdue")


def test_sent_and_denied_requests_on_desktop_and_phone(page):
    sign_in(page, "clerk@lacity.example")
    sent_url = _open_demo(page, CBP)
    assert _step(page) == "log_answer" and _primary(page).inner_text() == "Log the agency's answer"
    assert "working days left" in page.locator(".next-step").inner_text()
    assert axe_violations(page) == []
    denied_url = _open_demo(page, DHS_PRIVACY)
    assert _step(page) == "appeal" and _primary(page).inner_text() == "Draft the appeal"
    text = page.locator(".next-step").inner_text()
    assert "denied this on" in text and "you can appeal until" in text
    assert page.locator(".appeal-window-tag").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "request-page-denied")

    page.set_viewport_size({"width": 390, "height": 844})
    for url in (sent_url, denied_url):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.locator("table.clocks details summary").first.click()  # the Explain column opens and stays readable
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert axe_violations(page) == []
    screenshot(page, "request-page-phone")


def test_log_a_response_form_shows_each_kinds_fields(page):
    sign_in(page, "clerk@lacity.example")
    url = _open_demo(page, CBP)
    page.goto(url.split("#")[0] + "/communications/new")
    kind = page.get_by_label("Kind")
    days = page.locator("#comm-days")
    exemptions = page.locator("#comm-exemptions")
    assert not days.is_visible() and not exemptions.is_visible()  # nothing kind-specific before a kind is chosen
    options = [o for o in kind.locator("option").evaluate_all("els => els.map(e => e.value)") if o]
    for value in options:
        kind.select_option(value)
        assert days.is_visible() == (value == "extension_notice"), value
        assert exemptions.is_visible() == (value in ("interim_release", "final_release", "partial_denial",
                                                     "full_denial", "appeal_decision")), value
        assert page.locator("#comm-days").is_disabled() == (value != "extension_notice")  # hidden: not submitted
        checked = page.locator("input[name=direction]:checked")
        if value == "note":
            assert checked.count() == 0  # a note is not "From the agency" unless someone says so
        elif value == "payment":
            assert checked.get_attribute("value") == "outgoing"
        elif value == "acknowledgment":
            assert checked.get_attribute("value") == "incoming"
        assert axe_violations(page) == [], value

    # a note without a direction: the error summary names it
    kind.select_option("note")
    page.get_by_label("Date", exact=True).fill(datetime.now(ZoneInfo("America/Los_Angeles")).date().isoformat())
    page.get_by_role("button", name="Log communication").click()
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    assert "a note has no usual direction" in summary.inner_text()
    assert axe_violations(page) == []
