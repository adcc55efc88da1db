"""Adding a jurisdiction is adding its law file: a throwaway law in a temporary folder, pointed at
through FOIA_LAWS_DIRS, shows up in the deadline command, the filing form, the communication form's
exemptions and the letters, with no code edited."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from foia.agencies.service import create_agency
from foia.config import load_config
from foia.deadlines import law_slugs, load_law
from foia.deadlines.laws import LAWS_DIR, laws_dirs, set_laws_dirs
from foia.letters.render import LETTER_KINDS, render_html, sample_context
from foia.models import Request
from tests.conftest import NOW, csrf_token, make_app

SLUG = "xx-test"
NAME = "Testland Open Records Act"
CITATION = "T.C. § 1-100 et seq."

LAW_TOML = f'''
# A throwaway law for tests: every number carries its (made-up) citation.
slug = "{SLUG}"
name = "{NAME}"
jurisdiction = "Testland"
citation = "{CITATION}"
calendar = "us-federal"
timezone = "America/Chicago"

[tolling]
model = "none"

[appeal]
available = true
citation = "T.C. § 1-140"

[clocks.response]
label = "Response due"
length = 7
unit = "business_days"
citation = "T.C. § 1-110(a)"

[clocks.appeal_filing]
label = "Appeal must be filed by"
length = 30
unit = "calendar_days"
start = "determination"
roll = "none"
citation = "T.C. § 1-140(a)"

[clocks.appeal_decision]
label = "Appeal decision due"
length = 10
unit = "business_days"
start = "appeal_filed"
citation = "T.C. § 1-140(c)"

[letter]
short = "TORA"
officer = "Records Custodian"
response_period = "7 business days"
response_citation = "T.C. § 1-110(a)"
segregable_citation = "T.C. § 1-120(d)"
appeal_label = "appeal"
appeal_citation = "T.C. § 1-140(a)"
appeal_window = "within 30 days after the denial"
request_note = "Testland asks custodians to help a requester narrow a request (T.C. § 1-105) <b>."
followup_note = "A request not answered in time is deemed denied (T.C. § 1-110(c))."
appeal_next_step = "If the appeal fails, I may ask the Testland Court to review it (T.C. § 1-150)."
appeal_copies = "cc: Testland Records Ombudsman"

# [unverified] a comment next to an entry, as in the shipped laws.
[[exemptions]]
code = "§ 1-120(a)"
label = "§ 1-120(a) Testland personal privacy"

[[exemptions]]
code = "§ 1-120(b)"
label = "§ 1-120(b) Testland law-enforcement records"
'''


def write_law(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{SLUG}.toml").write_text(LAW_TOML, encoding="utf-8")
    return folder


@pytest.fixture
def restore_laws_dirs():
    yield
    set_laws_dirs(())


@pytest.fixture
def extra_law(app, tmp_path, restore_laws_dirs):
    """The session app pointed at a folder holding the throwaway law (FOIA_LAWS_DIRS), for one test."""
    folder = write_law(tmp_path / "laws")
    old = app.config["FOIA_LAWS_DIRS"]
    app.config["FOIA_LAWS_DIRS"] = [str(folder)]
    set_laws_dirs(app.config["FOIA_LAWS_DIRS"])  # as create_app does; each request re-applies it
    yield folder
    app.config["FOIA_LAWS_DIRS"] = old


def test_setting_comes_from_the_environment(tmp_path):
    config = load_config(str(tmp_path), {"FOIA_LAWS_DIRS": f"/srv/laws{__import__('os').pathsep}/opt/more", "FOIA_SECRET_KEY": "k"})
    assert config["FOIA_LAWS_DIRS"] == ["/srv/laws", "/opt/more"]
    assert load_config(str(tmp_path), {"FOIA_SECRET_KEY": "k"})["FOIA_LAWS_DIRS"] == []


def test_an_app_with_an_extra_laws_dir_knows_the_law_in_its_cli(tmp_path, restore_laws_dirs):
    folder = write_law(tmp_path / "laws")
    assert SLUG not in law_slugs()
    app = make_app(tmp_path, FOIA_LAWS_DIRS=str(folder))  # a string from the environment works too
    assert laws_dirs() == (LAWS_DIR, folder.resolve())
    assert SLUG in law_slugs() and "us-foia" in law_slugs()  # after the built-in laws, not instead
    law = load_law(SLUG)
    assert (law.name, law.response_length, law.response_unit) == (NAME, 7, "business_days")
    assert law.exemptions[0] == ("§ 1-120(a)", "§ 1-120(a) Testland personal privacy")
    assert law.letter["short"] == "TORA"

    runner = app.test_cli_runner()
    helped = runner.invoke(args=["foia", "deadline", "--help"])
    assert helped.exit_code == 0, helped.output
    listed = "".join(helped.output.split())  # click may wrap the slug list inside a slug ("xx-" / "test")
    assert SLUG in listed and "us-foia" in listed
    result = runner.invoke(args=["foia", "deadline", "--law", SLUG, "--received", "2026-01-05", "--json"])
    assert result.exit_code == 0, result.output
    assert '"response_due": "2026-01-14"' in result.output  # 7 working days after Monday Jan 5
    assert "T.C. § 1-110(a)" in result.output
    unknown = runner.invoke(args=["foia", "deadline", "--law", "zz-none", "--received", "2026-01-05"])
    assert unknown.exit_code == 2 and SLUG in unknown.output  # listed among the known laws

    set_laws_dirs(())
    assert SLUG not in law_slugs()  # the cache follows the setting
    with pytest.raises(KeyError):
        load_law(SLUG)


def test_the_law_reaches_the_forms_and_the_letters(extra_law, login_as, world, session):
    client = login_as("staff")
    create_agency(session, actor=world["users"]["admin"], now=NOW, data={
        "slug": "testland-records", "name": "Testland Records Department", "jurisdiction": "Testland",
        "law": SLUG, "timezone": "America/Chicago", "foia_email": "records@testland.example"})
    session.commit()

    # The filing form lists the law (built when the page is asked for, not at import) and accepts it.
    page = client.get("/requests/new").get_data(as_text=True)
    # offered by its name (names, not codes: the slug is only the option's value)
    assert re.search(rf'<option[^>]*value="{SLUG}"[^>]*>\s*{re.escape(NAME)}\s*<', page), "law not offered"
    resp = client.post("/requests/new", data={
        "title": "Testland contracts", "agencies": "testland-records", "law": SLUG,
        "records_sought": "All contracts for records software signed in 2025.", "fee_category": "other",
        "visibility": "private", "csrf_token": csrf_token(client, "/requests/new")})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    ref = resp.headers["Location"].rsplit("/", 1)[1].split("#")[0]
    req = session.scalar(select(Request).where(Request.ref == ref))
    assert req.law == SLUG

    # The communication form offers the law's exemptions from its file.
    form = html.unescape(client.get(f"/requests/{ref}/communications/new?kind=denial").get_data(as_text=True))
    assert 'value="§ 1-120(a)"' in form and "§ 1-120(b) Testland law-enforcement records" in form

    # The request letter names the law and cites it; without letters/laws/xx-test.html the default
    # macros write the law file's [letter] paragraphs (escaped like any other data).
    letter = client.get(f"/requests/{ref}/letters/preview?kind=request")
    assert letter.status_code == 200
    text = html.unescape(letter.get_data(as_text=True)).replace("\xa0", " ")
    assert NAME in text and CITATION in text and "T.C. § 1-110(a)" in text
    assert "Testland asks custodians to help a requester narrow a request" in text
    assert "<b>." not in letter.get_data(as_text=True)  # the wording is data, not markup


def test_every_kind_renders_for_the_new_law(extra_law):
    texts = {}
    for kind in LETTER_KINDS:
        out = html.unescape(render_html(kind, SLUG, sample_context(SLUG, kind))).replace("\xa0", " ")
        assert NAME in out and CITATION in out, kind
        assert "{{" not in out and "{%" not in out
        texts[kind] = out
    assert "deemed denied (T.C. § 1-110(c))" in texts["follow-up"]
    assert "Testland Court" in texts["appeal"] and "cc: Testland Records Ombudsman" in texts["appeal"]
    assert "T.C. § 1-140(a)" in texts["appeal"]
