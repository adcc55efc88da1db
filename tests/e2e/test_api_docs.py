"""The API docs page and the Settings page's API tokens section in a browser: axe-clean, and the token flow
(create, shown once, listed, revoked behind a confirmation) works with a keyboard-free click path."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

from tests.e2e.conftest import SCREENSHOTS, axe_violations, sign_in


def _api(live_server, path: str, token: str) -> int:
    req = urllib.request.Request(live_server["base"] + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            json.load(resp)
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_api_docs_page_has_no_violations(page):
    page.goto("/api/v1/docs")
    assert page.get_by_role("heading", name="List requests").is_visible()
    assert axe_violations(page) == []
    sign_in(page, "reporter@newsroom.example")
    page.goto("/api/v1/docs")
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 1366, "height": 2200})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # the top of the page: intro, operations, the first operation
    page.screenshot(path=str(SCREENSHOTS / "api-docs.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations(page) == []


def test_the_settings_api_tokens_section_creates_lists_and_revokes(page, live_server):
    sign_in(page, "reporter@newsroom.example")
    page.goto("/settings#api-tokens")
    assert axe_violations(page) == []
    page.get_by_label("Name of the new token").fill("e2e bot")
    page.get_by_role("button", name="Create a token").click()
    shown_once = page.get_by_role("heading", name="Your new API token")
    shown_once.wait_for()  # is_visible() does not wait for the page the form posts to
    assert axe_violations(page) == []
    token = page.get_by_label("Token “e2e bot”").input_value()
    assert re.fullmatch(r"ftk_[A-Za-z0-9_-]{43}", token)
    assert _api(live_server, "/api/v1/requests", token) == 200

    page.get_by_role("link", name="Back to Settings").click()
    shown_once.wait_for(state="detached")  # the page that showed the token is gone before its content is read
    row = page.get_by_role("row").filter(has_text="e2e bot")
    assert token[:10] in row.inner_text() and token not in page.content()
    assert axe_violations(page) == []
    row.get_by_role("button", name="Revoke").click()
    confirm = page.get_by_role("button", name="Revoke the token")
    confirm.wait_for(state="visible")
    assert "stops working at once" in page.locator(".usa-modal").filter(has=confirm).inner_text()
    assert axe_violations(page) == []
    confirm.click()
    page.get_by_role("row").filter(has_text="e2e bot").get_by_text("Revoked").first.wait_for()  # after the POST's page
    assert axe_violations(page) == []
    assert _api(live_server, "/api/v1/requests", token) == 401
