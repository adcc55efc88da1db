"""In a browser (issue 19): a clerk adds a clause to the library, inserts it into a new letter without any
script (a form button), sees its use counted, then leaves a note mentioning a colleague; axe-core finds no
WCAG A/AA violation on the pages on the way."""

from __future__ import annotations

import re

from tests.e2e.conftest import axe_violations, sign_in

CLAUSE = "Please search the records of the Field Office Director, Los Angeles, and of her deputies."


def test_a_clause_goes_into_a_letter_and_a_note_mentions_a_colleague(page):
    sign_in(page, "clerk@lacity.example")
    page.get_by_role("link", name="Clause library").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Add a clause").click()
    page.get_by_label("Title").fill("Custodians: LA field office (browser test)")
    page.get_by_label("Text").fill(CLAUSE)
    page.locator("label[for=clause-law-us-foia]").click()  # limited to federal FOIA
    assert axe_violations(page) == []
    page.get_by_role("button", name="Add clause").click()
    page.wait_for_load_state()
    row = page.locator("tr", has_text="Custodians: LA field office (browser test)")
    assert "0 times" in row.inner_text()

    page.goto("/requests/new")
    page.locator("label[for=agency-dhs-ice]").click()
    page.get_by_label("Short title").fill("Clause browser test")
    page.get_by_label("Records you are asking for").fill("Records about the field office, for a browser test.")
    page.get_by_role("button", name="Save and continue to the letter").click()
    page.wait_for_load_state()
    with page.expect_navigation():
        page.get_by_role("link", name="Write the request letter").first.click()
    assert "/letters/new" in page.url
    assert axe_violations(page) == []
    page.get_by_label("Opening paragraph (optional)").fill("I write for the City.")
    page.get_by_label("Clause", exact=True).select_option(label="Custodians: LA field office (browser test)")
    page.get_by_label("Into").select_option("intro")
    page.get_by_role("button", name="Insert clause").click()
    page.wait_for_load_state()
    assert re.search(r"/letters/\d+$", page.url)
    assert "inserted into the opening paragraph" in page.content()
    assert page.get_by_label("Opening paragraph (optional)").input_value() == f"I write for the City.\n\n{CLAUSE}"
    request_url = page.url.split("/letters/")[0]

    page.goto("/clauses")
    assert "1 time" in page.locator("tr", has_text="Custodians: LA field office (browser test)").inner_text()

    page.goto(request_url)
    page.get_by_label("Add an internal note").fill("@admin can you check the custodians in the letter?")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_load_state()
    note = page.locator(".internal-note", has_text="can you check the custodians")
    assert "Mentioned (emailed a link): Sam Okafor" in note.inner_text()
    assert axe_violations(page) == []
    # Someone outside the organization cannot be mentioned: the note is refused, its text kept.
    page.get_by_label("Add an internal note").fill("@reporter have a look")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_load_state()
    assert "@reporter is not a colleague" in page.content()
    assert page.get_by_label("Add an internal note").input_value() == "@reporter have a look"
    assert axe_violations(page) == []
