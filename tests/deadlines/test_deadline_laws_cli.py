"""Law data files, ledger validation, and the ``deadline`` CLI command."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from foia.clocks.cli import deadline_command
from foia.deadlines import LedgerEvent, law_slugs, load_law
from foia.deadlines.laws import _build

SLUGS = ["ca-cpra", "fl-prl", "il-foia", "ma-prl", "nj-opra", "ny-foil", "pa-rtkl", "tx-pia", "us-foia", "wa-pra"]


def test_all_ten_laws_load() -> None:
    assert set(SLUGS) <= set(law_slugs())  # the ten shipped laws, plus the laws added as data (issue 14)
    for slug in law_slugs():
        law = load_law(slug)
        assert law.slug == slug and law.name and law.citation and law.jurisdiction
        assert load_law(slug) is law  # cached
        for rule in law.clocks.values():
            assert rule.citation, (slug, rule.kind)
            if rule.extension:
                assert rule.extension.citation


def test_law_summary_fields() -> None:
    us = load_law("us-foia")
    assert (us.calendar, us.response_length, us.response_unit) == ("us-federal", 20, "business_days")
    assert us.response_period_text == "20 working days"
    assert load_law("ca-cpra").response_period_text == "10 calendar days"
    assert load_law("fl-prl").response_period_text == "no fixed period"
    assert {s: load_law(s).has_appeal for s in SLUGS} == {
        "ca-cpra": False, "fl-prl": False, "il-foia": True, "ma-prl": True, "nj-opra": True,
        "ny-foil": True, "pa-rtkl": True, "tx-pia": False, "us-foia": True, "wa-pra": True,
    }
    assert load_law("tx-pia").tolling.model == "restart"
    assert load_law("us-foia").tolling.model == "pause"


def test_agency_overrides() -> None:
    us = load_law("us-foia")
    dhs = us.for_agency("dhs-ice")
    assert dhs.clocks["appeal_filing"].unit == "business_days"
    assert dhs.clocks["appeal_filing"].label == us.clocks["appeal_filing"].label  # deep merge
    assert us.for_agency("doj-oip").clocks["appeal_filing"].unit == "calendar_days"
    assert us.for_agency("interior-fws").receipt.day_counts is True
    assert us.receipt.day_counts is False
    assert us.for_agency(None) is us


def test_schema_validation() -> None:
    good = {"slug": "x", "name": "X", "jurisdiction": "X", "citation": "c", "calendar": "fl",
            "timezone": "America/New_York",
            "clocks": {"response": {"label": "r", "length": 5, "unit": "business_days", "citation": "c"}}}
    assert _build(good, "x").response_length == 5
    bad_unit = json.loads(json.dumps(good))
    bad_unit["clocks"]["response"]["unit"] = "fortnights"
    with pytest.raises(ValueError, match="unit"):
        _build(bad_unit, "x")
    no_cite = json.loads(json.dumps(good))
    del no_cite["clocks"]["response"]["citation"]
    with pytest.raises(ValueError, match="citation"):
        _build(no_cite, "x")
    no_len = json.loads(json.dumps(good))
    del no_len["clocks"]["response"]["length"]
    with pytest.raises(ValueError, match="length"):
        _build(no_len, "x")
    no_zone = json.loads(json.dumps(good))
    del no_zone["timezone"]  # a law's zone decides its "today"; no silent default
    with pytest.raises(ValueError, match="timezone"):
        _build(no_zone, "x")
    with pytest.raises(KeyError):
        load_law("zz-nope")
    with pytest.raises(KeyError):
        load_law("../laws/us-foia")  # a slug is never a path
    bad_cal = dict(good, calendar="mars")
    with pytest.raises(ValueError, match="x: calendar 'mars'"):
        _build(bad_cal, "x")


def test_exemptions_and_letter_validation() -> None:
    good = {"slug": "x", "name": "X", "jurisdiction": "X", "citation": "c", "calendar": "fl", "timezone": "America/New_York",
            "clocks": {"response": {"label": "r", "length": 5, "unit": "business_days", "citation": "c"}},
            "letter": {"short": "XA", "fee_categories": True},
            "exemptions": [{"code": "§ 1", "label": "§ 1 Privacy"}, {"code": "§ 2", "label": "§ 2 Safety"}]}
    law = _build(good, "x.toml")
    assert law.exemptions == (("§ 1", "§ 1 Privacy"), ("§ 2", "§ 2 Safety"))
    assert dict(law.letter) == {"short": "XA", "fee_categories": True}
    bare = {k: v for k, v in good.items() if k not in ("letter", "exemptions")}
    assert _build(bare, "x.toml").exemptions == () and dict(_build(bare, "x.toml").letter) == {}
    cases = [
        ({"exemptions": {"code": "§ 1"}}, "x.toml: 'exemptions' must be"),
        ({"exemptions": [{"code": "§ 1"}]}, "x.toml exemptions #1: missing 'label'"),
        ({"exemptions": [{"code": "", "label": "l"}]}, "non-empty strings"),
        ({"exemptions": [{"code": "§ 1", "label": "l", "note": "n"}]}, "unknown key"),
        ({"exemptions": [{"code": "§ 1", "label": "a"}, {"code": "§ 1", "label": "b"}]}, "listed twice: § 1"),
        ({"letter": "FOIA"}, r"x.toml: \[letter\] must be a table"),
        ({"letter": {"shortname": "X"}}, "unknown key 'shortname'"),
        ({"letter": {"short": 3}}, r"x.toml \[letter\].short: expected str, got int"),
        ({"letter": {"fee_categories": "yes"}}, "expected bool"),
    ]
    for change, message in cases:
        with pytest.raises(ValueError, match=message):
            _build({**good, **change}, "x.toml")


def test_shipped_laws_carry_exemptions_and_letter_wording() -> None:
    for slug in SLUGS:
        law = load_law(slug)
        assert law.exemptions, slug
        assert law.letter.get("request_heading") and law.letter.get("officer"), slug


def test_ledger_event_validation() -> None:
    with pytest.raises(ValueError):
        LedgerEvent("sent_pigeon", date(2026, 1, 1))
    with pytest.raises(TypeError):
        LedgerEvent("received", "2026-01-01")  # type: ignore[arg-type]


def _json(*args: str) -> dict:
    result = CliRunner().invoke(deadline_command, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_cli_json_us_foia() -> None:
    # See test_statute_cases: us-extension (Feb 18), us-expedited style (+10 CD), us-appeal-filing.
    out = _json("--law", "us-foia", "--received", "2026-01-05", "--extension", "--expedited",
                "--determination", "2026-03-02")
    assert set(out) == {"law", "received", "response_due", "expedited_decision_due", "appeal_due", "explanation"}
    assert out["law"] == "us-foia" and out["received"] == "2026-01-05"
    assert out["response_due"] == "2026-02-18"
    assert out["expedited_decision_due"] == "2026-01-15"
    assert out["appeal_due"] == "2026-05-31"
    assert any("Washington's Birthday" in line for line in out["explanation"])


def test_cli_dhs_agency_and_tolls() -> None:
    out = _json("--law", "us-foia", "--received", "2026-01-05", "--agency", "dhs-cbp",
                "--toll", "2026-01-08:2026-01-12", "--determination", "2026-03-02")
    assert out["response_due"] == "2026-02-05"
    assert out["appeal_due"] == "2026-07-09"
    assert out["expedited_decision_due"] is None


def test_cli_nulls_for_florida_and_california() -> None:
    fl = _json("--law", "fl-prl", "--received", "2026-02-09", "--expedited", "--determination", "2026-02-20")
    assert (fl["response_due"], fl["expedited_decision_due"], fl["appeal_due"]) == (None, None, None)
    ca = _json("--law", "ca-cpra", "--received", "2026-11-20T18:00:00-08:00", "--expedited",
               "--determination", "2026-12-01")
    assert ca["response_due"] == "2026-11-30"  # no after-hours deferral: Fri Nov 20 + 10 (ca-after-hours-friday)
    assert ca["expedited_decision_due"] is None and ca["appeal_due"] is None
    assert ca["received"] == "2026-11-20T18:00:00-08:00"


def test_cli_restart_and_ny() -> None:
    assert _json("--law", "tx-pia", "--received", "2026-02-23", "--restart", "2026-03-11")["response_due"] == "2026-03-25"
    ny = _json("--law", "ny-foil", "--received", "2026-10-30", "--determination", "2026-10-04")
    assert ny["response_due"] == "2026-11-09" and ny["appeal_due"] == "2026-11-04"


def test_cli_table_output() -> None:
    result = CliRunner().invoke(deadline_command, ["--law", "pa-rtkl", "--received", "2026-11-23", "--extension"])
    assert result.exit_code == 0, result.output
    assert "response" in result.output and "2027-01-04" in result.output
    assert "Law:       pa-rtkl" in result.output


@pytest.mark.parametrize("args", [
    ["--law", "us-foia", "--received", "Jan 5"],
    ["--law", "us-foia", "--received", "2026-01-05T10:00:00"],  # no offset
    ["--law", "us-foia", "--received", "2026-01-05", "--toll", "2026-01-08"],
    ["--law", "xx-none", "--received", "2026-01-05"],
])
def test_cli_rejects_bad_input(args: list[str]) -> None:
    result = CliRunner().invoke(deadline_command, args)
    assert result.exit_code == 2, result.output


def test_cli_law_option_and_audit_fixes() -> None:
    # nj-commercial-14-days; interior-appeal-90-workdays; ca-saturday-receipt (no deferral).
    assert _json("--law", "nj-opra", "--received", "2026-03-30", "--option", "commercial")["response_due"] == "2026-04-20"
    assert _json("--law", "nj-opra", "--received", "2026-03-30")["response_due"] == "2026-04-09"
    assert _json("--law", "us-foia", "--received", "2026-01-05", "--agency", "interior-blm",
                 "--determination", "2026-03-02")["appeal_due"] == "2026-07-09"
    assert _json("--law", "ca-cpra", "--received", "2026-01-10")["response_due"] == "2026-01-20"
    bad = CliRunner().invoke(deadline_command, ["--law", "us-foia", "--received", "2026-01-05", "--option", "commercial"])
    assert bad.exit_code == 2 and "no option 'commercial'" in bad.output


def test_cli_command_name() -> None:
    assert deadline_command.name == "deadline"


@pytest.mark.parametrize("slug", law_slugs())
def test_the_deadline_command_computes_every_law(slug: str) -> None:
    """`flask foia deadline --law SLUG` for every jurisdiction: a response clock that explains itself, with its date
    or the law's words when it sets no fixed period."""
    out = CliRunner().invoke(deadline_command, ["--law", slug, "--received", "2026-03-02", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["law"] == slug
    law = load_law(slug)
    text = "\n".join(data["explanation"])
    assert law.response.citation in text
    if law.response.unit == "none":
        assert data["response_due"] is None and "no fixed period" in text
    else:
        assert date.fromisoformat(data["response_due"]) > date(2026, 3, 2)
