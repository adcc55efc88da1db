"""Keyboard only, and a phone-sized screen."""

from __future__ import annotations

from tests.e2e.conftest import axe_violations, screenshot


def test_sign_in_and_reach_the_content_with_the_keyboard_only(page):
    page.goto("/login")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    page.get_by_label("Email address").focus()
    page.keyboard.type("clerk@lacity.example")
    page.keyboard.press("Tab")
    page.keyboard.type("foia-demo")
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # follow the skip link
    assert page.evaluate("document.activeElement.id") == "main"
    # every link and button on the dashboard can be reached by Tab and says what it is
    names = page.evaluate("""() => Array.from(document.querySelectorAll('a[href], button, input, select, textarea'))
        .filter(e => e.offsetParent !== null && e.tabIndex >= 0)
        .map(e => (e.innerText || e.value || e.getAttribute('aria-label') || e.labels?.[0]?.innerText
                   || e.querySelector('img')?.alt || '').trim())""")
    assert names and all(names), names


def test_a_phone_gets_the_menu_button_and_an_accessible_page(browser, live_server):
    context = browser.new_context(base_url=live_server["base"], viewport={"width": 375, "height": 740},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Email address").fill("reporter@newsroom.example")
        page.get_by_label("Password").fill("foia-demo")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/dashboard")
        assert not page.get_by_role("link", name="Agencies").is_visible()  # the navigation is folded away
        page.get_by_role("button", name="Menu").click()
        page.locator(".usa-nav.is-visible").wait_for()
        page.wait_for_timeout(400)  # let the menu finish sliding in
        page.get_by_role("link", name="Agencies").click()
        page.wait_for_url("**/agencies")
        assert page.locator("h1").inner_text() == "Agencies"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page scrolls sideways on a phone ({width}px)"
        assert axe_violations(page) == []
        page.goto("/requests")
        screenshot(page, "phone-requests")
    finally:
        context.close()
