"""A desk editor's morning in a real browser (issue 19): the dashboard with statutory and internal dates told
apart, three requests assigned in one bulk action, a note mentioning a colleague, a task with an internal date,
and the dashboard again with that internal date beside the statutory ones. axe-core finds no WCAG A/AA
violation on any page on the way."""

from __future__ import annotations

import re
import time

from tests.e2e.conftest import axe_violations, screenshot, sign_in

EDITOR = "admin@lacity.example"  # Sam Okafor, City of Los Angeles (demo data)
REF_RE = r'href="/requests/(FT-\d{4}-\d{4})"'


def test_a_desk_editors_morning(page):
    problems: dict[str, list] = {}

    def check(name: str) -> None:
        screenshot(page, "desk-editor-" + name.replace(" ", "-"))
        found = axe_violations(page)
        if found:
            problems[name] = found

    sign_in(page, EDITOR)

    # 1. The dashboard: statutory deadlines, each marked Statutory.
    page.goto("/")
    statutory = page.locator("table.deadlines:not(.task-deadlines) tbody tr")
    assert statutory.count() >= 1, "the demo data gives the city open statutory deadlines"
    assert all("Statutory" in statutory.nth(i).inner_text() for i in range(statutory.count()))
    check("dashboard")

    # 2. Bulk-assign three of the organization's requests to a colleague.
    page.goto("/requests?scope=org")
    org_refs = list(dict.fromkeys(re.findall(REF_RE, page.content())))
    refs = org_refs[:3]
    assert len(refs) == 3
    for ref in refs:
        page.get_by_label(re.compile(f"^Select {ref} ")).check()
    page.get_by_label("Action").select_option(label="Assign to a person")
    page.get_by_label("Person to assign").select_option(label="Maria Alvarez")
    with page.expect_navigation():  # the POST and its redirect to the list (not the page that was showing)
        page.get_by_role("button", name="Apply to the selected requests").click()
    # Earlier tests of the suite may have given Maria these requests already: then nothing changes, and the page
    # says so instead of announcing an email.
    assert re.search(r"Assigned 3 requests to Maria Alvarez, who will get an email about it\.|"
                     r"Nothing changed: all 3 were already assigned to Maria Alvarez\.", page.content())
    check("list after the bulk assignment")
    page.get_by_label("Assigned to").select_option(label="Maria Alvarez")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert set(refs) <= set(re.findall(REF_RE, page.content()))

    # 3. A note on the first of them, mentioning the colleague (`@clerk`: her address is clerk@...).
    ref = refs[0]
    page.goto(f"/requests/{ref}")
    page.get_by_label("Add an internal note").fill("@clerk please call ICE this morning about the transfers.")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_load_state()
    note = page.locator(".internal-note", has_text="please call ICE this morning")
    assert "Mentioned (emailed a link): Maria Alvarez" in note.inner_text()
    check("request page with the note")

    # 4. A task for the editor with an internal date of today (tasks relative to a statutory date: tests/tasks).
    if not page.locator("#task-title").is_visible():
        page.locator("summary", has_text="Add a task").click()
    page.locator("#task-title").fill("Read the sheriff's transfer log (desk editor)")
    page.locator("#task-due").fill(time.strftime("%Y-%m-%d"))  # the server's date, as the panel counts it
    with page.expect_navigation():
        page.get_by_role("button", name="Add task").click()
    row = page.locator(".task-row", has_text="transfer log (desk editor)")
    assert row.count() == 1 and "Internal" in row.inner_text()
    check("request page with the task")

    # 5. The dashboard again: the internal date in its own section, marked Internal, never Statutory.
    page.goto("/")
    mine = page.locator("table.task-deadlines tbody tr", has_text="transfer log (desk editor)")
    assert mine.count() == 1, page.locator("#tasks-heading").inner_text()
    assert "Internal" in mine.inner_text() and "Statutory" not in mine.inner_text() and ref in mine.inner_text()
    assert page.locator("table.deadlines:not(.task-deadlines) .statutory-tag").count() >= 1
    assert page.locator("table.task-deadlines .statutory-tag").count() == 0
    check("dashboard with an internal date")
    assert problems == {}
