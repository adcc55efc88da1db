"""The coverage of laws: /laws lists every jurisdiction, /laws/<slug> every clock with its citation, source and
whether it was verified; `flask foia laws` says the same on the command line."""

from __future__ import annotations

import json

from foia.clocks.coverage import coverage
from foia.deadlines import law_slugs, load_law


def test_every_law_is_listed_once_with_its_response_clock(client) -> None:
    page = client.get("/laws").get_data(as_text=True)
    for slug in law_slugs():
        law = load_law(slug)
        assert page.count(f'href="/laws/{slug}"') == 1, slug
        assert law.response.citation in page or "&" in law.response.citation, slug
    assert f"{len(law_slugs())} of {len(law_slugs())} laws" in page
    assert coverage()[0].slug == "us-foia"  # federal first, then by jurisdiction


def test_a_law_page_shows_each_clock_its_citation_and_verification(client) -> None:
    law = load_law("us-foia")
    page = client.get("/laws/us-foia").get_data(as_text=True)
    for rule in law.clocks.values():
        assert rule.label in page
        marker = {True: "Verified", False: "Not verified", None: "Not recorded"}[rule.verified]
        assert marker in page
        if rule.source:
            assert f'href="{rule.source}"' in page
    assert "Exemptions (14)" in page  # § 552(b)(1)-(9), with (b)(7)(A)-(F) listed one by one
    assert "Thanksgiving" in page  # the calendar's holidays


def test_filter_and_unknown_law(client) -> None:
    page = client.get("/laws?q=calif").get_data(as_text=True)
    assert 'href="/laws/ca-cpra"' in page and 'href="/laws/us-foia"' not in page
    assert client.get("/laws/xx-nothing").status_code == 404
    assert client.get("/laws/..%2Fsecret").status_code == 404


def test_cli_lists_every_law_as_json(cli) -> None:
    out = cli.invoke(args=["foia", "laws", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert {r["slug"] for r in rows} == set(law_slugs())
    foia = next(r for r in rows if r["slug"] == "us-foia")
    assert {c["kind"] for c in foia["clocks"]} >= {"response", "appeal_filing"}
    text = cli.invoke(args=["foia", "laws"]).output
    assert "us-foia" in text and "20 working days" in text
