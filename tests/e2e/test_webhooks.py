"""An administrator adds a webhook (with the private-address warning), copies its secret, sends a test event
and opens the delete dialog; every page has no accessibility violations."""

from __future__ import annotations

from tests.e2e.conftest import axe_violations, sign_in


def test_admin_adds_tests_and_deletes_a_webhook(page):
    sign_in(page, "admin@lacity.example")
    page.goto("/admin/webhooks")
    assert axe_violations(page) == []

    # A refused address first: the error is announced and linked to the field.
    page.get_by_label("URL").fill("http://10.0.0.5/hooks")
    page.get_by_role("button", name="Add webhook").click()
    page.wait_for_load_state()
    page.get_by_text("10.0.0.5 is a private address").first.wait_for()
    assert axe_violations(page) == []

    page.get_by_label("URL").fill("http://127.0.0.1:9/hooks")
    page.locator("label[for=webhook-format-slack]").click()  # USWDS hides the input behind its label
    page.locator("label[for=webhook-allow-private]").click()
    page.get_by_role("button", name="Add webhook").click()
    page.wait_for_load_state()
    secret = page.get_by_label("Signing secret").input_value()
    assert secret.startswith("whsec_")
    assert axe_violations(page) == []

    page.get_by_role("link", name="Go to the webhook").click()
    page.wait_for_load_state()
    assert secret not in page.content()
    page.get_by_role("button", name="Send a test event").click()
    page.wait_for_load_state()
    page.get_by_text("Test event").first.wait_for()
    assert axe_violations(page) == []

    page.locator("button[aria-controls='delete-webhook']").click()
    confirm = page.locator("#delete-webhook").get_by_role("button", name="Delete the webhook")
    confirm.wait_for(state="visible")
    assert "cannot be undone" in page.locator("#delete-webhook").inner_text()
    assert axe_violations(page) == []
    confirm.click()
    page.wait_for_load_state()
    page.get_by_text("No webhooks yet.").wait_for()
    assert axe_violations(page) == []
