"""Helpers for the browser tests (imported by the test modules)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def sign_in(page, email: str, password: str = "foia-demo") -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"sign-in as {email} failed"


def axe_violations(page) -> list[dict]:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the current page. axe's source is evaluated through
    the DevTools protocol, which the app's Content-Security-Policy does not govern, so the app needs no
    CSP exception for its tests."""
    page.evaluate("() => { " + _AXE_SOURCE + "\n; return typeof axe; }")
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")
    return result


_AXE_SOURCE = AXE.read_text(encoding="utf-8")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
