"""axe-core over every page, signed in as each role: no WCAG 2.1 A/AA violations."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import axe_violations, sign_in

ROLES = {"staff": "clerk@lacity.example", "reporter": "reporter@newsroom.example", "admin": "admin@lacity.example"}


def _pages_for(page, role: str) -> list[str]:
    """Every page a person in this role can reach from the navigation and their requests."""
    paths = ["/dashboard", "/requests", "/requests/new", "/agencies", "/agencies/dhs-ice", "/agencies/lasd", "/settings",
             "/mail/import", "/mail/unmatched", "/search?q=records", "/help",
             # list states: sorted, filtered, page 2
             "/requests?sort=title&dir=desc", "/requests?status=submitted&scope=mine&q=ice",
             "/requests?page=2&per_page=10&sort=updated&dir=asc"]
    page.goto("/requests")
    refs = re.findall(r'href="/requests/(FT-\d{4}-\d{4})"', page.content())
    paths += [f"/requests/{ref}" for ref in sorted(set(refs))]
    # each request's history, edit form and log-a-communication form (corrections, issue 13)
    for ref in sorted(set(refs))[:2]:
        paths += [f"/requests/{ref}/history", f"/requests/{ref}/edit", f"/requests/{ref}/communications/new"]
    paths += ["/laws", "/laws/us-foia", "/laws/ak-pra", "/laws/wi-prl", "/fees", "/clauses"]
    if role == "staff":  # fee steps and the litigation ledger (issue 19) on requests of their own organization
        page.goto("/requests?scope=mine")
        mine = sorted(set(re.findall(r'href="/requests/(FT-\d{4}-\d{4})"', page.content())))[:2]
        assert mine, "the demo data gives this person requests of their own"
        paths += [f"/requests/{ref}/{part}" for ref in mine for part in ("fees", "litigation")]
        _add_tasks(page, mine[0])  # the request page's Tasks panel with open and done tasks; the dashboard's list
        # the clause library's forms (issue 19) and a letter draft form offering its clauses
        page.goto("/clauses")
        paths += ["/clauses/new"] + sorted(set(re.findall(r'href="(/clauses/\d+/edit)"', page.content())))[:1]
        letter_forms = []
        for ref in mine:
            page.goto(f"/requests/{ref}")
            letter_forms += re.findall(r'href="(/requests/FT-\d{4}-\d{4}/letters/new\?kind=[\w-]+)"', page.content())
        assert letter_forms, "a letter draft form (with the clause picker) is walked"
        paths += letter_forms[:1]
    if role == "admin":
        paths += ["/admin/calendars", "/admin/reminders", "/admin/jobs", "/admin/outbox", "/admin/users", "/admin/organizations",
                  "/admin/webhooks",
                  "/settings/password", "/agencies/changes", "/agencies/new", "/agencies/dhs-ice/edit"]
        page.goto("/admin/users")
        paths += sorted(set(re.findall(r'href="(/admin/users/\d+)"', page.content())))[:1]
    else:  # the shared directory: everyone else suggests
        paths += ["/agencies/suggest", "/agencies/dhs-ice/suggest"]
    return paths


def _add_tasks(page, ref: str) -> None:
    """Give a request tasks through its panel (issue 19): one relative to the response deadline (marked done) and one
    due today, so the walk sees the task table, its buttons and confirm dialog, and the dashboard's internal dates."""
    page.goto(f"/requests/{ref}")
    page.locator("#task-title").fill("Chase the agency by phone")
    page.locator("label[for=task-mode-relative]").click()  # (USWDS hides the radio itself behind its label)
    page.locator("#task-days").fill("5")
    with page.expect_navigation():
        page.get_by_role("button", name="Add task").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Mark done Chase the agency by phone").click()
    page.locator("summary", has_text="Add a task").click()
    page.locator("#task-title").fill("Review the 400 pages")
    page.locator("#task-due").fill(time.strftime("%Y-%m-%d"))
    with page.expect_navigation():
        page.get_by_role("button", name="Add task").click()
    assert page.locator(".task-row").count() == 2
    assert page.locator(".task-done").count() == 1


@pytest.mark.parametrize("path", ["/login", "/forgot", "/reset?token=not-a-valid-link", "/help", "/laws",
                                  "/laws/ca-cpra"])
def test_signed_out_pages_have_no_violations(page, path):
    page.goto(path)
    assert axe_violations(page) == []


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_page_has_no_violations(page, role):
    sign_in(page, ROLES[role])
    problems = {}
    for path in _pages_for(page, role):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert page.title(), path
        found = axe_violations(page)
        if found:
            problems[path] = found
    assert problems == {}


def test_the_emailed_reset_page_has_no_violations(page, live_server):
    """Ask for a reset link as a person would; the app (without SMTP) writes the mail to the outbox."""
    page.goto("/forgot")
    page.get_by_label("Email address").fill("reporter@newsroom.example")
    page.get_by_role("button", name="Email me a link").click()
    assert axe_violations(page) == []
    outbox = Path(live_server["tmp"]) / "outbox"
    link = None
    for _ in range(100):
        for eml in outbox.glob("*.eml"):
            found = re.search(r"(/reset\?token=[A-Za-z0-9_-]+)", eml.read_text(errors="replace"))
            link = link or (found.group(1) if found else None)
        if link:
            break
        time.sleep(0.1)
    assert link, "no reset mail in the outbox"
    page.goto(link)
    assert page.get_by_role("heading", name="Choose a new password").is_visible()
    assert axe_violations(page) == []


def test_agency_directory_flows_have_no_violations(page):
    """A suggestion sent by staff, the admin's queue with it, the impact preview of a rule change and an agency's
    history, each checked with axe as it is shown (forms filled in, the way people reach these pages)."""
    problems = {}

    def check(name: str) -> None:
        found = axe_violations(page)
        if found:
            problems[name] = found

    sign_in(page, ROLES["staff"])
    page.goto("/agencies/doj-oip")
    page.get_by_role("link", name="Suggest a change").click()
    check("suggest form")
    page.get_by_label("Phone (optional)").fill("(202) 555-0199")
    page.get_by_label("Note for the administrators (optional)").fill("From the agency's web page")
    page.get_by_role("button", name="Send suggestion").click()
    page.wait_for_url("**/agencies/doj-oip")
    assert "Nothing changes until one accepts it" in page.content()
    check("agency page after a suggestion")
    page.context.clear_cookies()

    sign_in(page, ROLES["admin"])
    page.goto("/agencies/changes")
    assert "(202) 555-0199" in page.content()
    check("changes queue")
    page.goto("/agencies/doj-oip/edit")
    page.get_by_label("Time zone").fill("America/Chicago")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_load_state()
    assert "Check the dates this change moves" in page.content()
    check("impact preview")
    page.goto("/agencies/changes")
    page.get_by_role("button", name=re.compile("^Accept")).first.click()
    page.wait_for_url("**/agencies/changes")
    page.goto("/agencies/doj-oip")
    assert "(202) 555-0199" in page.content() and "Suggested by Maria Alvarez" in page.content()
    check("agency history")
    assert problems == {}


def test_the_checker_finds_real_violations(page):
    """Guard against a silently broken harness: a page with an unlabelled field and an image without
    alt text must fail."""
    page.set_content('<html lang="en"><head><title>x</title></head><body><main><input type="text">'
                     '<img src="x.png"></main></body></html>')
    ids = {v["id"] for v in axe_violations(page)}
    assert {"label", "image-alt"} <= ids


def test_the_directory_pages_have_no_violations(page, live_server):
    """The agency directory (issue 15): the list and its second page, the departments, an agency page with
    reported figures, and the filing form with the agency filter used."""
    from tests.e2e.test_directory import ensure_directory_data, forget_the_draft, use_the_picker

    ensure_directory_data(live_server)
    sign_in(page, ROLES["admin"])
    problems = {}
    for path in ("/agencies", "/agencies?page=2", "/agencies?q=homeland", "/agencies/departments",
                 "/agencies/dhs-ice", "/agencies/dhs-ice/edit", "/agencies/dhs"):
        page.goto(path)
        found = axe_violations(page)
        if found:
            problems[path] = found
    use_the_picker(page)
    found = axe_violations(page)
    if found:
        problems["/requests/new (agency filter used)"] = found
    forget_the_draft(page)
    assert problems == {}


def test_team_work_pages_have_no_violations(page):
    """Team work (issue 19) as a person does it: tick a request on the list, tag it and assign it to oneself in
    bulk, filter the list by assignee and tag, save the filters as a shared view, and open the request's Team
    panel; axe checks each state as it is shown."""
    problems = {}

    def check(name: str) -> None:
        found = axe_violations(page)
        if found:
            problems[name] = found

    sign_in(page, ROLES["staff"])
    page.goto("/requests?scope=org")
    refs = list(dict.fromkeys(re.findall(r'href="/requests/(FT-\d{4}-\d{4})"', page.content())))[:3]
    assert len(refs) == 3, "the demo data gives the city three requests"
    ref = refs[0]
    check("list with the bulk form")
    page.get_by_label(re.compile(f"^Select {ref} ")).check()
    page.get_by_label("Action").select_option(label="Add a tag")
    page.get_by_label("Tag to add").fill("ICE operations 2025")
    with page.expect_navigation():  # the POST and its redirect to the list (not the page that was showing)
        page.get_by_role("button", name="Apply to the selected requests").click()
    assert "Tagged 1 request" in page.content()
    check("list after a bulk tag")
    for r in refs:  # a desk editor takes three requests at once
        page.get_by_label(re.compile(f"^Select {r} ")).check()
    page.get_by_label("Action").select_option(label="Assign to a person")
    page.get_by_label("Person to assign").select_option(label="Maria Alvarez (me)")
    with page.expect_navigation():  # the POST and its redirect to the list (not the page that was showing)
        page.get_by_role("button", name="Apply to the selected requests").click()
    assert "Assigned 3 requests to Maria Alvarez." in page.content()
    page.goto("/requests?assignee=me")
    assert set(re.findall(r'href="/requests/(FT-\d{4}-\d{4})"', page.content())) >= set(refs)
    page.get_by_label("Assigned to").select_option(label="Me")
    page.get_by_label("Tag", exact=True).select_option(label="ICE operations 2025")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert re.findall(r'href="/requests/(FT-\d{4}-\d{4})"', page.content()) == [ref]
    check("list filtered by assignee and tag")
    page.get_by_label("Save these filters as a view").fill("My ICE requests")
    page.locator("label[for=view-shared]").click()  # USWDS draws the box on the label
    page.get_by_role("button", name="Save view").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="My ICE requests").is_visible()
    assert "shared with your organization." in page.content()
    check("list with a saved view")
    page.goto(f"/requests/{ref}")
    assert "ICE operations 2025" in page.content()
    check("request page with assignee and tag")
    assert problems == {}
