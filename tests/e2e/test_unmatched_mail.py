"""A clerk imports a message that matches nothing, opens it from Unmatched mail, finds its request and
assigns it; the message page has no accessibility violations and never renders the message's HTML."""

from __future__ import annotations

import re
from email.message import EmailMessage

from tests.e2e.conftest import axe_violations, sign_in


def test_clerk_reads_finds_and_assigns_an_unmatched_message(page, tmp_path):
    msg = EmailMessage()
    msg["From"] = "Records Unit <records@lapd.example>"
    msg["To"] = "clerk@lacity.example"
    msg["Subject"] = "Your records request about raid notices"
    msg["Message-ID"] = "<e2e-unmatched@lapd.example>"
    msg.set_content("We received your request and will respond within 10 days.")
    msg.add_alternative('<p onclick="x()">We received your request</p><img src="https://tracker.example/p.gif">',
                        subtype="html")
    eml = tmp_path / "reply.eml"
    eml.write_bytes(bytes(msg))

    sign_in(page, "clerk@lacity.example")
    page.goto("/mail/import")
    page.locator("#eml-files").set_input_files(str(eml))  # the USWDS file input re-labels its drop zone
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Unmatched mail").first.click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Your records request about raid notices").click()
    page.wait_for_load_state()
    # Locators wait for the page: the text is shown as text.
    page.get_by_text("We received your request and will respond within 10 days.").wait_for()
    assert "tracker.example" not in page.content() and 'onclick="x()"' not in page.content()  # its HTML is not shown
    assert axe_violations(page) == []

    page.goto("/requests")
    ref = re.findall(r'href="/requests/(FT-\d{4}-\d{4})"', page.content())[0]
    page.go_back()
    page.wait_for_load_state()
    page.get_by_label("Find a request").fill(ref)
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name=f"Assign to {ref}").wait_for()
    assert axe_violations(page) == []
    page.get_by_role("button", name=f"Assign to {ref}").click()
    page.wait_for_url(f"**/requests/{ref}")
    page.get_by_text("Your records request about raid notices").first.wait_for()
