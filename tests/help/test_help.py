"""The help page: every anchor other pages link to exists, each law's exemptions appear, and the
FOIA.gov text is credited."""

from __future__ import annotations

import re

import pytest

from foia.communications.effects import EFFECTS
from foia.core.names import exemption_anchor, law_name, reminder_rule, slug
from foia.deadlines import calendar_name, law_slugs, load_law
from foia.models import STATUSES


@pytest.fixture
def help_page(client):
    resp = client.get("/help")  # open without signing in
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _ids(body: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', body))


NAMED_IN_THE_BRIEF = ["term-fee-waiver", "term-fee-category", "term-expedited-processing", "term-tolling",
                      "term-tracking-number", "term-unusual-circumstances", "term-appeal",
                      "statuses", "kinds", "deadlines", "portals", "terms", "exemptions"]


def test_named_anchors_exist(help_page):
    ids = _ids(help_page)
    missing = [a for a in NAMED_IN_THE_BRIEF if a not in ids]
    assert not missing


def test_every_status_and_kind_has_its_anchor(help_page):
    ids = _ids(help_page)
    assert {f"status-{k}" for k in STATUSES} <= ids
    assert {f"kind-{k}" for k in EFFECTS} <= ids


def test_each_laws_exemptions_appear_with_their_anchors(help_page):
    ids = _ids(help_page)
    for s in law_slugs():
        law = load_law(s)
        assert law.name in help_page
        assert law.exemptions, f"{s} lists no exemptions"
        for code, _label in law.exemptions:
            assert exemption_anchor(s, code) in ids, (s, code)
    assert "exemption-us-foia-b-7-c" in ids and "exemption-us-foia-b-6" in ids


def test_anchors_are_unique(help_page):
    ids = re.findall(r'\bid="([^"]+)"', help_page)
    assert len(ids) == len(set(ids))


def test_foiagov_text_is_credited_and_the_licence_shipped(help_page):
    from foia.help.glossary import DATA

    assert "FOIA.gov glossary" in help_page and "compelling need" in help_page.lower()
    assert (DATA / "foiagov" / "LICENSE.md").exists() and "CC0" in (DATA / "README.md").read_text()


def test_help_is_in_the_header_for_signed_in_people(login_as):
    body = login_as("staff").get("/dashboard").get_data(as_text=True)
    assert 'href="/help"' in body


def test_new_request_fields_link_to_the_glossary(login_as):
    body = login_as("staff").get("/requests/new").get_data(as_text=True)
    for anchor in ("term-fee-category", "term-fee-waiver", "term-expedited-processing"):
        assert f'href="/help#{anchor}"' in body, anchor


def test_names_not_codes():
    assert law_name("ca-cpra") == "California Public Records Act"
    assert law_name("nope") == "nope" and law_name(None) == ""
    assert calendar_name("ca-court") == "California court holidays"
    assert reminder_rule("before_5") == "5 working days before"
    assert slug("Partial grant/partial denial") == "partial-grant-partial-denial"
    assert exemption_anchor("ca-cpra", "§ 7927.705") == "exemption-ca-cpra-7927-705"


def test_error_title_prefix(login_as):
    from tests.conftest import csrf_token

    client = login_as("staff")
    token = csrf_token(client, "/requests/new")
    body = client.post("/requests/new", data={"csrf_token": token}).get_data(as_text=True)
    assert "<title>Error: New request · FOIA Tracker</title>" in body
    assert "<title>New request · FOIA Tracker</title>" in client.get("/requests/new").get_data(as_text=True)
