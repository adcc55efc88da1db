"""An administrator invites a new colleague in the browser; the colleague opens the emailed link, sets a
password (the policy explains a weak one) and signs in with it."""

from __future__ import annotations

import re
import time
from pathlib import Path

from tests.e2e.conftest import axe_violations, sign_in


def _link_in_outbox(outbox: Path, to: str) -> str:
    for _ in range(100):
        for eml in sorted(outbox.glob("*.eml")):
            text = eml.read_text(errors="replace")
            if to in text:
                found = re.search(r"(/invite\?token=[A-Za-z0-9_-]+)", text)
                if found:
                    return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no invitation to {to} in {outbox}")


def test_invite_set_password_and_sign_in(page, live_server):
    sign_in(page, "admin@lacity.example")
    page.goto("/admin/users")
    page.get_by_label("Email address").fill("analyst@lacity.example")
    page.get_by_label("Name").fill("Records Analyst")
    page.get_by_label("Role").select_option("staff")
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_text("analyst@lacity.example").first.wait_for()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login*")

    page.goto(_link_in_outbox(Path(live_server["tmp"]) / "outbox", "analyst@lacity.example"))
    page.get_by_role("heading", name="Welcome to FOIA Tracker").wait_for()
    assert axe_violations(page) == []
    fields = page.locator("input[type=password]")
    fields.nth(0).fill("password1234!")
    fields.nth(1).fill("password1234!")
    page.get_by_role("button", name="Set my password").click()
    page.get_by_text("too easy to guess", exact=False).first.wait_for()  # told why, in words
    assert axe_violations(page) == []
    fields = page.locator("input[type=password]")
    fields.nth(0).fill("quiet harbor lantern 77")
    fields.nth(1).fill("quiet harbor lantern 77")
    page.get_by_role("button", name="Set my password").click()
    page.wait_for_url("**/login*")
    sign_in(page, "analyst@lacity.example", "quiet harbor lantern 77")
    assert page.get_by_role("button", name="Sign out").is_visible()
