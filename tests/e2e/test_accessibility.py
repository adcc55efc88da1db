"""axe-core over every page, signed in as each role: no WCAG 2.1 A/AA violations."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import axe_violations, sign_in

ROLES = {"staff": "clerk@lacity.example", "reporter": "reporter@newsroom.example", "admin": "admin@lacity.example"}


def _pages_for(page, role: str) -> list[str]:
    """Every page a person in this role can reach from the navigation and their requests."""
    paths = ["/dashboard", "/requests", "/requests/new", "/agencies", "/agencies/dhs-ice", "/agencies/lasd", "/settings",
             "/mail/import", "/mail/unmatched", "/search?q=records"]
    page.goto("/requests")
    refs = re.findall(r'href="/requests/(FT-\d{4}-\d{4})"', page.content())
    paths += [f"/requests/{ref}" for ref in sorted(set(refs))]
    if role == "admin":
        paths += ["/admin/calendars", "/admin/reminders", "/admin/outbox", "/admin/users", "/admin/organizations",
                  "/settings/password"]
    return paths


@pytest.mark.parametrize("path", ["/login", "/forgot", "/reset?token=not-a-valid-link"])
def test_signed_out_pages_have_no_violations(page, path):
    page.goto(path)
    assert axe_violations(page) == []


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_page_has_no_violations(page, role):
    sign_in(page, ROLES[role])
    problems = {}
    for path in _pages_for(page, role):
        page.goto(path)
        assert page.title(), path
        found = axe_violations(page)
        if found:
            problems[path] = found
    assert problems == {}


def test_the_checker_finds_real_violations(page):
    """Guard against a silently broken harness: a page with an unlabelled field and an image without
    alt text must fail."""
    page.set_content('<html lang="en"><head><title>x</title></head><body><main><input type="text">'
                     '<img src="x.png"></main></body></html>')
    ids = {v["id"] for v in axe_violations(page)}
    assert {"label", "image-alt"} <= ids
