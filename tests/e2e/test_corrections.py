"""Corrections in the browser: a mistaken extension notice is voided through the confirmation dialog and the
response date moves back; the History shows both; a new draft is deleted through its dialog. axe-core finds no
WCAG A/AA violation on the edit page, the History, the correction form, or with the void dialog open."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date

from tests.e2e.conftest import ROOT, axe_violations, sign_in

ICE_TITLE = "ICE enforcement operations in Los Angeles since June 6, 2025"


def _show(live_server, ref: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "flask", "foia", "show", ref, "--json"], cwd=ROOT,
                         env=live_server["env"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def test_void_a_mistaken_extension_and_delete_a_draft(page, live_server):
    sign_in(page, "clerk@lacity.example")
    out = subprocess.run([sys.executable, "-m", "flask", "foia", "requests", "--json"], cwd=ROOT,
                         env=live_server["env"], check=True, capture_output=True, text=True).stdout
    ref = next(r["ref"] for r in json.loads(out) if r["title"] == ICE_TITLE)
    original = _show(live_server, ref)["response_due"]
    assert original

    # Log an extension notice by mistake: the response date moves out.
    page.goto(f"/requests/{ref}/communications/new?kind=extension_notice")
    page.get_by_label("Date", exact=True).fill(date.today().isoformat())
    page.get_by_role("button", name="Log communication").click()
    page.wait_for_load_state()
    data = _show(live_server, ref)
    extended = data["response_due"]
    assert extended > original, (original, extended)
    comm_id = next(c for c in _comm_rows(page) if "Extension notice" in c[1])[0]

    # Void it through the dialog, with a reason.
    page.locator(f"button[aria-controls='void-comm-{comm_id}']").click()
    reason = page.locator(f"#void-comm-{comm_id}-reason")
    reason.wait_for(state="visible")
    assert "stops counting" in page.get_by_role("dialog").first.inner_text()
    assert axe_violations(page) == []
    reason.fill("Logged by mistake: the agency never sent it")
    page.get_by_role("button", name="Void it").click()
    page.wait_for_load_state()
    flash = page.locator(".flashes").inner_text()
    assert "Voided the extension notice" in flash and "moved back from" in flash, flash
    assert _show(live_server, ref)["response_due"] == original
    entry = page.locator(f"#communication-{comm_id}")
    assert "voided" in entry.inner_text().lower() and "Logged by mistake" in entry.inner_text()

    # The History shows the logging and the voiding.
    page.goto(f"/requests/{ref}/history")
    body = page.locator("main").inner_text()
    assert "Logged an extension notice" in body and "Voided the extension notice" in body
    assert axe_violations(page) == []

    # The edit page (after sending: the letter's fields are read only, with the reason) and a correction form.
    page.goto(f"/requests/{ref}/edit")
    assert "to change what you ask for, write a follow-up letter" in page.locator("main").inner_text()
    assert axe_violations(page) == []
    page.goto(f"/requests/{ref}")
    correct = page.locator("a[href*='/correct']").first
    correct.click()
    page.wait_for_load_state()
    assert page.get_by_label("Its real date").is_visible()
    assert axe_violations(page) == []

    # A new draft, deleted through its dialog: gone from the list.
    page.goto("/requests/new")
    page.locator("label[for=agency-lapd]").click()  # a USWDS checkbox: people click its label
    page.get_by_label("Short title").fill("Draft to delete (browser test)")
    page.get_by_label("Records you are asking for").fill("All records about the thing in question, 2025.")
    page.get_by_role("button", name="Save and continue to the letter").click()
    page.wait_for_load_state()
    draft_ref = re.search(r"/requests/(FT-\d{4}-\d{4,6})", page.url).group(1)
    page.goto(f"/requests/{draft_ref}/edit")
    assert axe_violations(page) == []
    page.locator("button[aria-controls='delete-request']").click()
    page.get_by_role("button", name="Delete the draft").wait_for(state="visible")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Delete the draft").click()
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith("/requests")
    assert "deleted" in page.locator(".flashes").inner_text()
    page.goto("/requests")
    assert "Draft to delete (browser test)" not in page.locator("main").inner_text()
    assert page.goto(f"/requests/{draft_ref}").status == 404


def _comm_rows(page) -> list[tuple[int, str]]:
    rows = []
    for li in page.locator("li.communication").all():
        rows.append((int(li.get_attribute("id").split("-")[1]), li.inner_text()))
    return rows
