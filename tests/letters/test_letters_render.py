"""Every law x kind renders to a tagged, reproducible PDF with the facts a letter needs."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pypdf
import pytest

from foia.deadlines import law_slugs
from foia.letters.render import (
    LETTER_KINDS,
    law_texts,
    letter_title,
    render_html,
    render_pdf,
    sample_context,
)
from foia.letters.render.templating import longdate as _longdate
from tests.letters.conftest import Rendered, normalise, pdf_text, render


def _fonts(page: pypdf.PageObject) -> list[Any]:
    resources: Any = page["/Resources"]
    return list(resources["/Font"].values())


def longdate(value: object) -> str:
    """The letter's date format as the PDF text reads back (no-break space -> space)."""
    return normalise(_longdate(value))


LAWS = law_slugs()  # the law files: every shipped law
COMBOS = [(law, kind) for law in LAWS for kind in LETTER_KINDS]

# What the third letter must cite: the law's appeal or, without one, its next step.
NEXT_STEP = {
    "us-foia": ["5 U.S.C. § 552(a)(6)(A)(i)(III)(aa)", "5 U.S.C. § 552(a)(6)(A)(ii)"],
    "ca-cpra": ["Gov. Code § 7923.000", "no administrative appeal"],
    "ny-foil": ["Public Officers Law § 89(4)(a)", "Records Access Appeals Officer"],
    "tx-pia": ["Tex. Gov't Code § 552.3215", "Attorney General"],
    "il-foia": ["5 ILCS 140/9.5(a)", "Public Access Counselor"],
    "wa-pra": ["RCW 42.56.520(4)", "internal review", "RCW 42.56.550"],
    "fl-prl": ["Fla. Stat. § 119.11", "civil action", "§ 119.12(1)(b)"],
    "ma-prl": ["950 CMR 32.08(1)", "Supervisor of Records"],
    "pa-rtkl": ["65 P.S. § 67.1101(a)(1)", "Office of Open Records"],
    "nj-opra": ["N.J.S.A. 47:1A-6", "Government Records Council"],
}


def test_kinds_and_laws() -> None:
    assert LETTER_KINDS == ("request", "follow-up", "appeal")
    assert set(LAWS) == set(law_texts()) and set(NEXT_STEP) <= set(LAWS)


@pytest.mark.parametrize(("law", "kind"), COMBOS)
def test_letter_contains_the_facts(
    law: str, kind: str, rendered: Callable[[str, str], Rendered]
) -> None:
    letter = rendered(law, kind)
    ctx, text = letter.context, letter.text
    assert normalise(law_texts()[law]["citation"]) in text
    assert ctx["agency"]["name"] in text
    assert ctx["ref"] in text
    assert ctx["requester"]["name"] in text
    assert longdate(ctx["letter_date"]) in text
    if kind == "appeal":
        due = ctx["deadlines"]["appeal_due"] or ctx["deadlines"]["response_due"]
        assert due, "every sample appeal carries a date"
        assert longdate(due) in text
        assert longdate(ctx["determination"]["date"]) in text
        # A law added as data (issue 14) cites its own [letter] appeal_citation (its appeal or next step).
        for needle in NEXT_STEP.get(law) or [law_texts()[law]["appeal_citation"]]:
            assert needle in text, needle
        if ctx["agency"]["appeal_authority"]:
            assert ctx["agency"]["appeal_authority"] in text
    else:
        assert longdate(ctx["deadlines"]["response_due"]) in text
        assert normalise(law_texts()[law]["response_citation"]).split(";")[0] in text
    if kind == "follow-up":
        days, unit = ctx["deadlines"]["days_late"], ctx["deadlines"]["days_late_unit"]
        assert days > 1
        assert f"{days} {unit} late" in text
        assert ctx["request"]["tracking_number"] in text
    assert re.search(r"Page 1 of [12]\b", text)
    assert "{{" not in letter.html and "{%" not in letter.html


@pytest.mark.parametrize(("law", "kind"), COMBOS)
def test_pdf_is_tagged_titled_letter_sized(
    law: str, kind: str, rendered: Callable[[str, str], Rendered]
) -> None:
    letter = rendered(law, kind)
    reader = letter.reader
    root: Any = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"]) is True
    assert root["/Lang"] == "en"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"]) is True
    title = letter_title(kind, law, letter.context)
    assert reader.metadata is not None and reader.metadata.title == title
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert 'pdfuaid:part="1"' in xmp and title in xmp
    for page in reader.pages:
        assert [round(float(v)) for v in page.mediabox] == [0, 0, 612, 792]
    # Only the bundled fonts are embedded (no system fallback for this text).
    fonts = {str(font["/BaseFont"]) for page in reader.pages for font in _fonts(page)}
    assert fonts and all(name.split("+", 1)[1].startswith("Letter-Serif") for name in fonts)


@pytest.mark.parametrize(("law", "kind"), COMBOS)
def test_rendering_twice_gives_identical_bytes(
    law: str, kind: str, rendered: Callable[[str, str], Rendered]
) -> None:
    first = rendered(law, kind)
    again = render(kind, law)
    assert again.html == first.html
    assert again.pdf == first.pdf


def test_federal_request_has_every_element(rendered: Callable[[str, str], Rendered]) -> None:
    text = rendered("us-foia", "request").text
    for needle in [
        "Freedom of Information Act (FOIA), 5 U.S.C. § 552",
        "dated January 1, 2023 through May 31, 2025",
        "searchable PDF",
        "5 U.S.C. § 552(a)(3)(B)",
        "educational, noncommercial scientific or news media category",
        "5 U.S.C. § 552(a)(4)(A)(ii)",
        "up to $250.00",
        "waiver of all fees under 5 U.S.C. § 552(a)(4)(A)(iii)",
        "public understanding of the operations or activities of the government",
        "expedited processing under 5 U.S.C. § 552(a)(6)(E)",
        "true and correct to the best of my knowledge and belief (5 U.S.C. § 552(a)(6)(E)(vi))",
        "reasonably segregable",
        "(5 U.S.C. § 552(b))",
        "20 working days (5 U.S.C. § 552(a)(6)(A)(i))",
        "no later than July 21, 2025",
        "Civic Records Law Clinic",
        "Sincerely,",
        "Staff Attorney",
    ]:
        assert needle in text, needle


def test_optional_paragraphs_are_left_out_when_not_asked() -> None:
    ctx = sample_context("us-foia", "request")
    ctx["request"].update(fee_waiver=False, expedited=False, fee_ceiling="", date_from=None)
    text = render("request", "us-foia", ctx).text
    assert "Fee waiver" not in text and "552(a)(4)(A)(iii)" not in text
    assert "Expedited" not in text and "true and correct" not in text
    assert "before incurring any fees" in text
    assert "dated on or before May 31, 2025" in text


def test_state_request_without_waiver_provision_still_asks_politely() -> None:
    ctx = sample_context("ca-cpra", "request")
    ctx["request"].update(
        fee_waiver=True,
        fee_waiver_justification="Nonprofit newsroom.",
        expedited=True,
        expedited_justification="A council vote is near.",
    )
    text = render("request", "ca-cpra", ctx).text
    assert "waive or reduce any fees" in text and "Nonprofit newsroom." in text
    assert "does not provide for expedited processing" in text
    assert "A council vote is near." in text
    assert "true and correct" not in text


def test_context_law_values_override_letter_data() -> None:
    ctx = sample_context("il-foia", "request")
    ctx["law"]["response_period"] = "21 business days"
    ctx["law"]["response_citation"] = "5 ILCS 140/3.1(a)"
    text = render("request", "il-foia", ctx).text
    assert "within 21 business days (5 ILCS 140/3.1(a))" in text


def test_singular_day_and_unknown_lateness() -> None:
    ctx = sample_context("ca-cpra", "follow-up")
    ctx["deadlines"].update(days_late=1, days_late_unit="calendar days")
    assert "1 calendar day late" in render("follow-up", "ca-cpra", ctx).text
    ctx["deadlines"].update(days_late=None)
    assert "I have not yet received your response" in render("follow-up", "ca-cpra", ctx).text


def test_appeal_without_determination_treats_silence_as_denial() -> None:
    ctx = sample_context("pa-rtkl", "appeal")
    ctx["determination"] = None
    text = render("appeal", "pa-rtkl", ctx).text
    assert "deemed denial" in text and "has not responded" in text


def test_custom_free_text_is_used() -> None:
    ctx = sample_context("ny-foil", "request")
    ctx["custom"] = {
        "intro": "I write for the Ithaca Voice.\n\nSecond paragraph.",
        "closing": "With thanks,\nthe newsroom",
        "appeal_grounds": "",
    }
    letter = render("request", "ny-foil", ctx)
    assert "<p>I write for the Ithaca Voice.</p>\n<p>Second paragraph.</p>" in letter.html
    assert "With thanks,<br>\nthe newsroom" in letter.html
    assert "If anything in this letter is unclear" not in letter.text


@pytest.mark.parametrize("kind", LETTER_KINDS)
def test_empty_context_still_renders(kind: str) -> None:
    html = render_html(kind, "wa-pra", {})
    assert "Washington Public Records Act" in html
    pdf = render_pdf(html, title="Empty")
    assert "RCW 42.56" in pdf_text(pdf)
    # No letter date: no dates in the PDF at all (still reproducible).
    metadata = pypdf.PdfReader(io.BytesIO(pdf)).metadata
    assert metadata is not None and metadata.creation_date is None


def test_missing_nested_values_do_not_break_templates() -> None:
    ctx = sample_context("tx-pia", "appeal")
    ctx["agency"] = {"name": "Travis County"}
    ctx["requester"] = {"name": "Sam Lee"}
    ctx["organization"] = None
    ctx["deadlines"] = {}
    text = render("appeal", "tx-pia", ctx).text
    assert "Sam Lee" in text and "Travis County" in text


@pytest.mark.parametrize(("kind", "law"), [("memo", "us-foia"), ("request", "xx-law"), ("", "")])
def test_unknown_kind_or_law_raises_value_error(kind: str, law: str) -> None:
    with pytest.raises(ValueError):
        render_html(kind, law, {})


def test_sample_context_rejects_unknown_values() -> None:
    with pytest.raises(ValueError):
        sample_context("zz", "request")
    with pytest.raises(ValueError):
        sample_context("us-foia", "memo")


def test_latin_extended_names_render_with_bundled_fonts() -> None:
    """Ł, ő, ř, ğ come from the bundled Latin Extended file, in regular and bold text."""
    ctx = sample_context("il-foia", "appeal")
    ctx["requester"]["name"] = "Łukasz Dvořák-Öztürk"  # bold in the signature
    ctx["agency"]["name"] = "Gmina Łódź Office of Records"  # regular text
    letter = render("appeal", "il-foia", ctx)
    assert "Łukasz Dvořák-Öztürk" in letter.text
    assert "Gmina Łódź Office of Records" in letter.text
    fonts = {
        str(font["/BaseFont"]).split("+", 1)[1]
        for page in letter.reader.pages
        for font in _fonts(page)
    }
    assert fonts == {
        "Letter-Serif",
        "Letter-Serif-Bold",
        "Letter-Serif-Ext",
        "Letter-Serif-Ext-Bold",
    }


def test_filters() -> None:
    from foia.letters.render.templating import isodate, money, salutation, with_article

    assert _longdate("2025-06-20") == "June\u00a020, 2025"
    assert _longdate("not a date") == "not a date" and _longdate(None) == ""
    assert isodate("2025-06-20T10:00:00") == "2025-06-20" and isodate("soon") == ""
    assert money("250") == "$250.00" and money("1,250.5") == "$1,250.50"
    assert money("") == "" and money("about fifty") == "about fifty"
    assert with_article("City of Oakland") == "the City of Oakland"
    assert (
        with_article("Chicago Police Department", capital=True) == "The Chicago Police Department"
    )
    assert with_article("Miami-Dade County") == "Miami-Dade County"
    assert salutation("FOIA Officer") == "FOIA Officer"
    assert salutation("Office of the General Counsel") == "Sir or Madam"
    assert salutation("Government Records Council") == "Members of the Government Records Council"


# --- Issue 14 §1: citations and wording the audit found wrong -----------------------------------


def test_cpra_demand_does_not_treat_silence_as_denial() -> None:
    """The CPRA has no deemed-denial rule: the demand asks for a response instead."""
    ctx = sample_context("ca-cpra", "appeal")
    ctx["determination"] = None
    text = render("appeal", "ca-cpra", ctx).text
    assert "has not responded" in text
    assert "denial" not in text.split("has not responded", 1)[1].split(".", 2)[1]
    assert "silence is a denial" not in text.lower() and "respond now" in text


@pytest.mark.parametrize(("law", "needle"), [
    ("il-foia", "considered to have denied the request (5 ILCS 140/3(d))"),
    ("nj-opra", "deemed to have denied the request (N.J.S.A. 47:1A-5(i))"),
    ("ny-foil", "is a denial that may be appealed (Public Officers Law § 89(4)(a))"),
])
def test_silence_is_a_denial_only_with_the_laws_citation(law: str, needle: str) -> None:
    ctx = sample_context(law, "appeal")
    ctx["determination"] = None
    assert needle in render("appeal", law, ctx).text


def test_cpra_letters_print_the_rule_not_the_engine_note() -> None:
    """The app passes the response clock's citation (foia.letters.service.build_context): it is the
    rule alone, not "formerly § 6253(c); roll-forward CCP §§ 12a, 135"."""
    from foia.deadlines import load_law

    for kind in ("request", "follow-up"):
        ctx = sample_context("ca-cpra", kind)
        ctx["law"]["response_citation"] = load_law("ca-cpra").response.citation
        text = render(kind, "ca-cpra", ctx).text
        assert "Gov. Code § 7922.535(a)" in text
        assert "6253" not in text and "roll-forward" not in text.lower() and "12a" not in text


@pytest.mark.parametrize(("agency", "needle"), [
    ("dhs-ice", "within 90 working days after the date of the adverse determination (postmarked or transmitted"),
    ("interior-blm", "within 90 workdays from the date of the final response"),
    ("doj-oip", "within 90 days after the adverse determination"),
])
def test_federal_appeal_window_follows_the_component_rule(agency: str, needle: str) -> None:
    ctx = sample_context("us-foia", "appeal")
    ctx["agency"]["slug"] = agency
    ctx["deadlines"]["appeal_due"] = None
    assert needle in render("appeal", "us-foia", ctx).text


def test_federal_fee_waiver_walks_through_each_factor() -> None:
    ctx = sample_context("us-foia", "request")
    ctx["agency"]["slug"] = "dhs-ice"
    ctx["request"].update(fee_waiver=True, fee_waiver_justification="")
    text = render("request", "us-foia", ctx).text
    for needle in ("6 C.F.R. § 5.11(k)", "Operations or activities of the government", "Meaningfully informative",
                   "reasonably broad audience", "No primary commercial interest",
                   "[Say which operations or activities the records concern.]",
                   "[Say whether you have any commercial interest in the records.]"):
        assert needle in text, needle
    ctx["request"]["fee_waiver_justification"] = "We publish to 40,000 readers."
    text = render("request", "us-foia", ctx).text
    assert "We publish to 40,000 readers." in text and "[Say" not in text
