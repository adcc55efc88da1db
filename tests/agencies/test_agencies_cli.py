"""`flask foia agencies import|list|show|verify`: JSON outputs, text tables and exit status 2 on bad input."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import func, select

from foia.agencies.importer import DATA_DIR
from foia.models import Agency, AgencyReportedStat
from foia.requests.service import RequestInput, create_request, log_event
from tests.conftest import NOW

YAML_DIR = DATA_DIR / "18f" / "yaml"
REPORT_CSV = DATA_DIR / "foiagov" / "processing_times_fy2023_fy2024.csv"


@pytest.fixture
def small(tmp_path):
    folder = tmp_path / "yaml"
    folder.mkdir()
    for name in ("DHS.yaml", "DOJ.yaml", "DOI.yaml"):
        shutil.copy(YAML_DIR / name, folder / name)
    return folder


def run_json(cli, *args):
    result = cli.invoke(args=["foia", "agencies", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_import_json_dry_run_then_real(cli, session, small):
    dry = run_json(cli, "import", str(small), str(REPORT_CSV), "--dry-run", "--json")
    assert dry["dry_run"] is True
    assert session.scalar(select(func.count(Agency.id))) == 0
    federal, reported = dry["sources"]
    assert federal["source"] == "18F-2017" and federal["as_of"] == "2017-07-25"
    assert federal["counts"] == {"added": 3 + 15 + 38 + 13, "updated": 0, "unchanged": 0, "conflicts": 0,
                                 "skipped": 0}
    assert reported["kind"] == "foiagov" and reported["reported"]["added"] > 100
    assert reported["skipped_reasons"]["the agency is not in the directory"] > 0
    real = run_json(cli, "import", str(small), str(REPORT_CSV), "--json")
    assert real["sources"][0]["counts"] == federal["counts"]
    assert session.scalar(select(func.count(Agency.id))) == 69
    again = run_json(cli, "import", str(small), "--json")
    assert again["sources"][0]["counts"]["unchanged"] == 69


def test_import_text_and_source_override(cli, session, small):
    result = cli.invoke(args=["foia", "agencies", "import", str(small / "DHS.yaml"), "--source", "18F-copy"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("18F-copy: 16 added, 0 updated, 0 unchanged, 0 conflicts, 0 skipped")
    assert session.scalar(select(Agency.source).where(Agency.slug == "dhs-ice")) == "18F-copy"


def test_import_refuses_a_malformed_file_with_its_line(cli, session, small, tmp_path):
    bad = tmp_path / "state.csv"
    bad.write_text("slug,name,jurisdiction,law\nst-a,A,State,ca-cpra\nst-b,B,,ca-cpra\n")
    result = cli.invoke(args=["foia", "agencies", "import", str(small), str(bad)])
    assert result.exit_code == 2
    assert f"Error: {bad}:3: jurisdiction is required (nothing was imported)" in result.output
    assert session.scalar(select(func.count(Agency.id))) == 0
    missing = cli.invoke(args=["foia", "agencies", "import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "no such file or folder" in missing.output


def test_list_json_filters_and_table(cli, small):
    run_json(cli, "import", str(small), str(DATA_DIR / "nyc" / "agencies.csv"), "--json")
    everything = run_json(cli, "list", "--json")
    assert everything["total"] == 3 + 15 + 38 + 13 + 31
    dhs = run_json(cli, "list", "--json", "--parent", "dhs")
    assert dhs["total"] == 16 and {a["parent"] for a in dhs["agencies"]} == {None, "dhs"}
    fbi = run_json(cli, "list", "--json", "--q", "fbi")
    assert [a["slug"] for a in fbi["agencies"]] == ["doj-fbi"]
    assert fbi["agencies"][0]["label"] == "Federal Bureau of Investigation (FBI) — Department of Justice"
    assert fbi["agencies"][0]["filing_methods"] == ["email", "portal", "mail", "fax"]
    nyc = run_json(cli, "list", "--json", "--law", "ny-foil")
    assert nyc["total"] == 31 and all(a["slug"].startswith("nyc-") for a in nyc["agencies"])
    table = cli.invoke(args=["foia", "agencies", "list", "--q", "immigration customs"])
    assert table.exit_code == 0 and "dhs-ice" in table.output and table.output.startswith("SLUG")
    for args, message in ((["--law", "xx"], "no law 'xx'"), (["--parent", "nope"], "no agency 'nope'")):
        bad = cli.invoke(args=["foia", "agencies", "list", *args])
        assert bad.exit_code == 2 and message in bad.output


def test_show_json_has_fields_provenance_reported_and_measured(cli, session, small, world):
    run_json(cli, "import", str(small), str(REPORT_CSV), "--json")
    # world's staff requests go to dhs-ice: one answered, so FOIA Tracker has a measured figure.
    staff = world["users"]["staff"]
    req = create_request(session, actor=staff, now=NOW, data=RequestInput(
        title="Measured", records_sought="Records about something specific.", agency_slug="dhs-ice"))
    log_event(session, actor=staff, now=NOW, req=req, kind="sent", occurred_on=NOW.date())
    log_event(session, actor=staff, now=NOW, req=req, kind="acknowledged", occurred_on=NOW.date())
    session.commit()
    data = run_json(cli, "show", "dhs-ice", "--json")
    assert data["slug"] == "dhs-ice" and data["parent"] == "dhs" and data["abbreviation"] == "ICE"
    assert data["source"] == "18F-2017" and data["source_key"] == "DHS/ICE" and data["verified_at"] is None
    assert data["provenance"].startswith("Unverified contact details (from the 18F federal FOIA contacts (2017)")
    years = {r["fiscal_year"]: r for r in data["reported"]}
    assert sorted(years) == [2023, 2024]
    assert (years[2024]["received"], years[2024]["processed"], years[2024]["pending_end"],
            years[2024]["complex_median_days"]) == (59300, 69270, 22246, 203)
    assert years[2023]["received"] == 44401
    assert data["measured"]["scope"] == "all organizations"
    assert data["measured"]["definition"].startswith("Working days to first response")
    assert data["measured"]["figures"]["responses"] >= 1
    assert data["reported_definition"]
    dhs = run_json(cli, "show", "dhs", "--json")
    assert "dhs-ice" in dhs["components"] and {r["fiscal_year"] for r in dhs["reported"]} == {2023, 2024}
    text = cli.invoke(args=["foia", "agencies", "show", "doj-fbi"])
    assert text.exit_code == 0 and "foiparequest@ic.fbi.gov" in text.output and "reported FY2024" in text.output
    missing = cli.invoke(args=["foia", "agencies", "show", "nope"])
    assert missing.exit_code == 2 and "no agency 'nope'" in missing.output
    assert session.scalar(select(func.count(AgencyReportedStat.id))) > 0


def test_verify_needs_an_administrator(cli, session, small, world):
    run_json(cli, "import", str(small), "--json")
    refused = cli.invoke(args=["foia", "agencies", "verify", "doj-fbi", "--as", "clerk@lacity.example"])
    assert refused.exit_code == 2 and "not an administrator" in refused.output
    ok = cli.invoke(args=["foia", "agencies", "verify", "doj-fbi", "--as", "admin@lacity.example"])
    assert ok.exit_code == 0 and "Contact details confirmed on" in ok.output
    data = run_json(cli, "show", "doj-fbi", "--json")
    assert data["verified_at"] and data["verified_by"] == "admin@lacity.example"
    withdrawn = cli.invoke(args=["foia", "agencies", "verify", "doj-fbi", "--as", "admin@lacity.example",
                                 "--withdraw"])
    assert withdrawn.exit_code == 0 and "Unverified" in withdrawn.output
    nobody = cli.invoke(args=["foia", "agencies", "verify", "doj-fbi", "--as", "nobody@x.example"])
    assert nobody.exit_code == 2
