"""The letter's delivery line says how it really goes out: never "Sent by email to https://…"."""

from __future__ import annotations

import pytest

from foia.letters.compare import letter_text
from foia.letters.render import letter_delivery, render_html, sample_context
from foia.letters.service import build_context
from tests.conftest import NOW

LASD = {"name": "Los Angeles County Sheriff's Department", "foia_email": "", "appeal_email": "",
        "portal_url": "https://lasd.org/transparency/", "fax": "",
        "address": ["211 West Temple Street", "Los Angeles, CA 90012"], "appeal_address": []}
ICE = {"name": "U.S. Immigration and Customs Enforcement", "foia_email": "ice-foia@ice.dhs.gov",
       "appeal_email": "ICE-FOIA-Appeals@ice.dhs.gov", "portal_url": "https://www.ice.gov/foia", "fax": "",
       "address": ["500 12th Street SW"], "appeal_address": ["500 12th Street SW, Mail Stop 5900"]}


def delivery_line(kind: str, law: str, agency: dict, method: str | None = None) -> str:
    context = sample_context(law, kind)
    context["agency"] = {**context["agency"], **agency}
    context["delivery"] = {"method": method} if method else None
    lines = [line for line in letter_text(render_html(kind, law, context)).splitlines()
             if line.startswith(("Sent ", "Submitted "))]
    assert len(lines) <= 1, lines
    return lines[0] if lines else ""


@pytest.mark.parametrize("kind", ["request", "follow-up"])
def test_portal_only_agency_is_not_emailed(kind):
    line = delivery_line(kind, "ca-cpra", LASD)
    assert line == "Submitted through the agency's portal at https://lasd.org/transparency/"
    assert "email" not in line


def test_agency_with_email_says_email():
    assert delivery_line("request", "us-foia", ICE) == "Sent by email to ice-foia@ice.dhs.gov"
    assert delivery_line("appeal", "us-foia", ICE) == "Sent by email to ICE-FOIA-Appeals@ice.dhs.gov"


@pytest.mark.parametrize(("method", "agency", "expected"), [
    ("portal", ICE, "Submitted through the agency's portal at https://www.ice.gov/foia"),
    ("mail", ICE, "Sent by mail"),
    ("fax", {**LASD, "fax": "(213) 555-0100"}, "Sent by fax to (213) 555-0100"),
    ("email", LASD, ""),  # no address: no claim at all
])
def test_the_chosen_method_is_what_the_letter_says(method, agency, expected):
    assert delivery_line("request", "ca-cpra", agency, method) == expected


def test_an_agency_with_no_way_in_gets_no_line():
    bare = {**LASD, "portal_url": "", "address": []}
    assert letter_delivery("request", bare) is None
    assert delivery_line("request", "ca-cpra", bare) == ""


def test_context_from_the_database_lasd_and_ice(world, session):
    lasd_req = world["requests"][("reporter", "private")]
    ice_req = world["requests"][("staff", "private")]
    today = NOW.date()
    lasd_html = render_html("request", lasd_req.law, build_context(session, lasd_req, "request", {}, today=today))
    assert "Submitted through the agency's portal at https://lasd.org/transparency/" in letter_text(lasd_html)
    assert "Sent by email" not in lasd_html
    ice_context = build_context(session, ice_req, "request", {}, today=today, method="email")
    assert ice_context["delivery"] == {"method": "email"}
    assert "Sent by email to ice-foia@ice.dhs.gov" in letter_text(render_html("request", ice_req.law, ice_context))
