"""Two-factor sign-in as a person does it: enrol with the secret shown, then sign in with a code."""

from __future__ import annotations

import subprocess
import sys
import time

import pyotp

from tests.e2e.conftest import ROOT, axe_violations


def _code(secret: str) -> str:
    # A code that will not roll over while it is typed and posted.
    remaining = 30 - time.time() % 30
    if remaining < 3:
        time.sleep(remaining + 0.5)
    return pyotp.TOTP(secret).now()


def test_enrol_and_sign_in_with_an_authenticator_code(page, live_server):
    email = "twofactor@lacity.example"
    subprocess.run([sys.executable, "-m", "flask", "foia", "user", "create", email, "--role", "staff",
                    "--org", "City of Los Angeles", "--password-stdin"], cwd=ROOT, env=live_server["env"],
                   input="two-factor-pass\n", text=True, check=True, capture_output=True)
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("two-factor-pass")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")

    page.goto("/settings")
    page.get_by_role("link", name="Manage two-factor sign-in").click()
    page.wait_for_url("**/settings/two-factor")
    assert page.get_by_role("img", name="QR code").is_visible()
    assert axe_violations(page) == []
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("6-digit code from your app").fill(_code(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.get_by_role("heading", name="Two-factor sign-in is on").wait_for()
    assert page.locator(".recovery-codes li").count() == 10
    assert axe_violations(page) == []

    page.get_by_role("link", name="I have saved them: continue").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")

    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("two-factor-pass")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/login/code**")
    assert axe_violations(page) == []
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Verify and sign in").click()
    page.get_by_role("alert").wait_for()
    assert "not right" in page.get_by_role("alert").inner_text()
    assert axe_violations(page) == []
    page.get_by_label("Code").fill(_code(secret))
    page.get_by_role("button", name="Verify and sign in").click()
    page.wait_for_url("**/dashboard")
