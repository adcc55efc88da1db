"""The directory's source parsers on the shipped files, and malformed files refused with file and line."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from foia.agencies.importer import DATA_DIR
from foia.agencies.sources import SourceError, detect, eighteenf, foiagov, layout, nyc, read_paths
from foia.agencies.sources.eighteenf import looks_like_person
from foia.agencies.sources.records import normalise_name, short_slug, slugify, state_timezone

YAML_DIR = DATA_DIR / "18f" / "yaml"
REPORT_CSV = DATA_DIR / "foiagov" / "processing_times_fy2023_fy2024.csv"
ZIPS = [DATA_DIR / "foiagov" / "2023-FOIASetFull.zip", DATA_DIR / "foiagov" / "2024-FOIASetFull.zip"]
NYC_CSV = DATA_DIR / "nyc" / "agencies.csv"
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "agency-directory-example.csv"


@pytest.fixture(scope="module")
def federal():
    return eighteenf.parse([YAML_DIR])


def by_slug(data):
    return {r.slug: r for r in data.agencies}


# ---------------------------------------------------------------------------------------- 18F

def test_18f_one_parent_per_file_and_one_row_per_office(federal):
    files = sorted(YAML_DIR.glob("*.yaml"))
    assert len(files) == 116
    parents = [r for r in federal.agencies if not r.parent_key]
    components = [r for r in federal.agencies if r.parent_key]
    assert len(parents) == 116
    # 424 offices, of which 92 belong to single-office agencies and fold into the agency's own row.
    assert len(components) == 424 - 92 == 332
    slugs = [r.slug for r in federal.agencies]
    assert len(set(slugs)) == len(slugs) == 448
    assert all(len(s) <= 64 for s in slugs)
    parent_slug = {r.source_key: r.slug for r in parents}
    for c in components:   # a component's slug starts with its parent's, so law overrides attach by parent
        assert c.slug.startswith(parent_slug[c.parent_key] + "-"), c.slug
        assert c.values["parent"] == parent_slug[c.parent_key]
    assert federal.source == "18F-2017" and federal.as_of.isoformat() == "2017-07-25"


def test_18f_slugs_and_keys(federal):
    rows = by_slug(federal)
    for slug in ("dhs", "doj", "doi", "state", "dhs-ice", "dhs-cbp", "dhs-uscis", "doj-fbi", "doj-oip",
                 "dhs-privacy", "doi-blm", "dhs-fema"):
        assert slug in rows, slug
    assert rows["dhs-ice"].source_key == "DHS/ICE"
    assert rows["doj-fbi"].source_key == "DOJ/Federal Bureau of Investigation"   # 18F has no abbreviation for it
    assert rows["doj-fbi"].values["abbreviation"] == "FBI"                      # abbreviations.csv gives one
    assert rows["dhs-privacy"].source_key == "DHS/Headquarters & Privacy Office"
    assert rows["doe-ch"].values["abbreviation"] == "CH"
    assert rows["doj-antitrust-division"].values["abbreviation"] == ""          # no abbreviation: a short name
    assert rows["dhs"].source_key == "DHS" and rows["dhs"].values["parent"] == ""
    # A single-office agency is one row carrying its office's contact.
    abmc = rows["abmc"]
    assert not any(r.parent_key == "ABMC" for r in federal.agencies)
    assert abmc.values["name"] == "American Battle Monuments Commission" and abmc.values["mailing_address"]


def test_18f_fields_of_ice_and_the_fbi(federal):
    ice = by_slug(federal)["dhs-ice"].values
    assert ice["foia_email"] == "ice-foia@dhs.gov"
    assert ice["name"] == "U.S. Immigration & Customs Enforcement"
    assert ice["department"] == "Department of Homeland Security" and ice["abbreviation"] == "ICE"
    assert ice["mailing_address"] == "FOIA Officer\nMail Stop 5009\n500 12th Street, SW\nWashington, DC 20536-5009"
    assert ice["portal_url"] == "http://www.ice.gov/webform/foia-request-form"
    assert ice["jurisdiction"] == "United States (federal)" and ice["law"] == "us-foia"
    assert ice["timezone"] == "America/New_York"
    assert ice["filing_methods"] == "email,portal,mail,fax"
    assert ice["details"]["public_liaison"]["phone"]
    fbi = by_slug(federal)["doj-fbi"].values
    assert fbi["foia_email"] == "foiparequest@ic.fbi.gov"
    assert "Winchester, VA 22602-4843" in fbi["mailing_address"]
    assert fbi["timezone"] == "America/New_York"
    uscis = by_slug(federal)["dhs-uscis"].values
    assert uscis["timezone"] == "America/Chicago"            # Lee's Summit, MO
    assert "Jill Eggleston" not in uscis["mailing_address"]  # a person's name is not part of the address
    assert uscis["details"]["foia_officer"]["name"] == "Jill Eggleston"
    cbp = by_slug(federal)["dhs-cbp"].values
    assert cbp["foia_email"] == "" and cbp["filing_methods"] == "portal,mail,fax"


def test_18f_cleaned_values_are_noted(federal):
    assert any("left out the email 'dorothy.riehle.rl.doe.gov'" in n for n in federal.notes)
    assert any("DHS.yaml:45" in n or "DHS.yaml:47" in n for n in federal.notes)


@pytest.mark.parametrize(("line", "person"), [
    ("Jill Eggleston", True), ("Alice M. Ritter", True), ("Catrina Pavlick-Keenan", True),
    ("Michael Toland, Ph.D.", True), ("FOIA: Sally Blibo", True),
    ("FOIA Officer", False), ("Deputy, FOIA Officer", False), ("Liberty Square Building", False),
    ("Room 4458", False), ("Supervisory Attorney", False), ("U.S. Department of Homeland Security", False),
])
def test_people_left_out_of_addresses(line, person):
    assert looks_like_person(line, set()) is person


def test_helpers():
    assert slugify("U.S. Fish & Wildlife Service") == "u-s-fish-wildlife-service"
    assert short_slug("Office of the Inspector General (OIG)", limit=60) == "office-inspector-general"
    assert len(short_slug("Region IV (Atlanta, Birmingham, Caribbean, Columbia, Greensboro)", limit=20)) <= 20
    assert normalise_name("U.S. Immigration & Customs Enforcement") == normalise_name(
        "US Immigration and Customs Enforcement")
    assert state_timezone("DC") == "America/New_York" and state_timezone("mo") == "America/Chicago"
    assert state_timezone("") is None


# ---------------------------------------------------------------------------------------- FOIA.gov

def test_foiagov_zips_and_csv_give_the_same_figures():
    from_zips = foiagov.parse(ZIPS).reported
    from_csv = foiagov.parse([REPORT_CSV]).reported
    assert len(from_zips) == len(from_csv) == 905

    def key(r):
        return (r.fiscal_year, r.agency, r.component, r.component_name, r.is_agency_total)

    assert {key(r): r.figures for r in from_zips} == {key(r): r.figures for r in from_csv}
    assert {r.fiscal_year for r in from_zips} == {2023, 2024}
    ice = {r.fiscal_year: r for r in from_zips if r.agency == "DHS" and r.component == "ICE"}
    assert ice[2024].figures["received"] == 59300 and ice[2024].figures["processed"] == 69270
    assert ice[2024].figures["pending_end"] == 22246 and ice[2024].figures["complex_median_days"] == 203
    assert ice[2023].figures["received"] == 44401
    assert ice[2024].source_file == "dhs-2024.xml" and not ice[2024].is_agency_total
    totals = [r for r in from_zips if r.agency == "DHS" and r.is_agency_total]
    assert {r.fiscal_year for r in totals} == {2023, 2024}


def test_foiagov_empty_and_na_values_are_no_figure():
    rows = foiagov.parse([REPORT_CSV]).reported
    assert any(r.figures["simple_median_days"] is None for r in rows)     # '' in the file
    na = [r for r in rows if r.where.endswith(":456")]
    assert na and na[0].figures["expedited_average_days"] is None          # 'N.A' in the file


# ---------------------------------------------------------------------------------------- NYC

def test_nyc_active_agencies_and_skipped_inactive():
    data = nyc.parse(NYC_CSV, NYC_CSV.read_text(encoding="utf-8"))
    assert len(data.agencies) == 31 and len(data.skipped) == 43
    assert all("inactive" in s.reason for s in data.skipped)
    assert any("NYPD" in s.key or "New York City Police" in s.key for s in data.skipped)
    rows = by_slug(data)
    doe = rows["nyc-doe"].values
    assert doe["foia_email"] == "foil@schools.nyc.gov" and doe["law"] == "ny-foil"
    assert doe["jurisdiction"] == "New York — City of New York" and doe["timezone"] == "America/New_York"
    assert rows["nyc-mocj"].values["department"] == "Mayor's Office"
    assert rows["nyc-mocj"].values["appeal_email"] == "foilappeal@cityhall.nyc.gov"
    assert data.as_of.isoformat() == "2021-10-07" and data.source == "nyc-openrecords"
    # Rows without an acronym get a short slug of their name.
    assert "nyc-mayor-s-advisory-committee-judiciary" in rows or any(
        s.startswith("nyc-mayor") for s in rows)


# ---------------------------------------------------------------------------------------- layout

def test_layout_example_file_parses():
    data = layout.parse(EXAMPLE, EXAMPLE.read_text(encoding="utf-8"))
    rows = by_slug(data)
    assert list(rows) == ["exampleville", "exampleville-pd", "exampleville-water"]
    assert rows["exampleville-pd"].parent_key == "exampleville"
    assert rows["exampleville"].values["timezone"] == "America/Los_Angeles"   # the law's, when empty
    assert rows["exampleville"].values["filing_methods"] == "portal,email,mail"
    assert rows["exampleville"].values["mailing_address"].count("\n") == 2
    assert data.source == "csv:agency-directory-example"


# ---------------------------------------------------------------------------------------- detection

def test_detect_by_path_and_header(tmp_path):
    assert detect(YAML_DIR) == "18f" and detect(YAML_DIR / "DHS.yaml") == "18f"
    assert detect(ZIPS[0]) == "foiagov" and detect(REPORT_CSV) == "foiagov"
    assert detect(NYC_CSV) == "nyc" and detect(EXAMPLE) == "layout"
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n")
    with pytest.raises(SourceError, match=r"odd.csv:1: a CSV file of no known layout"):
        detect(odd)
    with pytest.raises(SourceError, match="no such file"):
        detect(tmp_path / "missing.yaml")
    data = read_paths([YAML_DIR / "DHS.yaml", NYC_CSV], source="my-label")
    assert [d.source for d in data] == ["my-label", "my-label"]


# ---------------------------------------------------------------------------------------- malformed files

def test_malformed_yaml_names_file_and_line(tmp_path):
    bad = tmp_path / "BAD.yaml"
    bad.write_text("abbreviation: BAD\nname: Bad Agency\ndepartments:\n- name: [unclosed\n  emails: x\n")
    with pytest.raises(SourceError) as err:
        eighteenf.parse([bad])
    assert err.value.where.startswith(f"{bad}:") and "not valid YAML" in str(err.value)
    assert err.value.where.split(":")[-1].isdigit()


def test_yaml_office_without_a_name_names_its_line(tmp_path):
    bad = tmp_path / "BAD.yaml"
    bad.write_text("abbreviation: BAD\nname: Bad Agency\ndepartments:\n- name: First\n- emails: [a@b.gov]\n"
                   "  phone: 555\n")
    with pytest.raises(SourceError, match=r"BAD.yaml:5: missing 'name'"):
        eighteenf.parse([bad])


def test_malformed_report_csv_names_line(tmp_path):
    bad = tmp_path / "report.csv"
    lines = REPORT_CSV.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",27,", ",twenty,", 1) if ",27," in lines[3] else lines[3] + "x"
    lines[3] = ",".join(lines[3].split(",")[:7] + ["lots"] + lines[3].split(",")[8:])
    bad.write_text("\n".join(lines[:6]) + "\n")
    with pytest.raises(SourceError, match=r"report.csv:4: received is 'lots', not a number"):
        foiagov.parse([bad])


def test_malformed_xml_and_zip(tmp_path):
    xml = tmp_path / "dhs-2024.xml"
    xml.write_text('<?xml version="1.0"?>\n<iepd:FoiaAnnualReport xmlns:iepd="x">\n<broken>\n</iepd:FoiaAnnualReport>\n')
    with pytest.raises(SourceError, match=r"dhs-2024.xml:4: not well-formed XML"):
        foiagov.parse([xml])
    bomb = tmp_path / "entities.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>')
    with pytest.raises(SourceError, match="entities or DTDs are not allowed"):
        foiagov.parse([bomb])
    zipped = tmp_path / "2024-FOIASetFull.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("abmc-2024.xml", xml.read_text())
    with pytest.raises(SourceError, match=r"2024-FOIASetFull.zip!abmc-2024.xml:4"):
        foiagov.parse([zipped])
    not_zip = tmp_path / "x.zip"
    not_zip.write_text("hello")
    with pytest.raises(SourceError, match="not a readable zip file"):
        foiagov.parse([not_zip])


def test_malformed_nyc_csv_names_line(tmp_path):
    bad = tmp_path / "agencies.csv"
    lines = NYC_CSV.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace('"True"', '"Maybe"')
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(SourceError, match=r"agencies.csv:3: is_active is 'Maybe'"):
        nyc.parse(bad, bad.read_text())


@pytest.mark.parametrize(("content", "message"), [
    ("slug,name,jurisdiction\nx-a,A,Somewhere\n", r":1: missing required column\(s\) law"),
    ("slug,name,jurisdiction,law,colour\nx-a,A,S,ca-cpra,red\n", r":1: unknown column\(s\) colour"),
    ("slug,name,jurisdiction,law\nx-a,A,S,ca-cpra\nx-b,,S,ca-cpra\n", r":3: name is required"),
    ("slug,name,jurisdiction,law,filing_methods\nx-a,A,S,ca-cpra,pigeon\n", r":2: Unknown way to file: pigeon"),
    ("slug,name,jurisdiction,law,parent\nx-a,A,S,ca-cpra,\nother,B,S,ca-cpra,x-a\n", r":3: slug 'other' must start"),
    ("slug,name,jurisdiction,law\nx-a,A,S,ca-cpra\nx-a,B,S,ca-cpra\n", r":3: the slug 'x-a' is also on"),
    ("slug,name,jurisdiction,law\nx-a,A,S,ca-cpra,extra\n", r":2: more values than columns"),
])
def test_malformed_layout_rows_name_their_line(tmp_path, content, message):
    path = tmp_path / "state.csv"
    path.write_text(content)
    with pytest.raises(SourceError, match=message):
        layout.parse(path, content)


def test_a_copy_of_the_shipped_folder_parses_alike(tmp_path):
    folder = tmp_path / "yaml"
    folder.mkdir()
    for name in ("DHS.yaml", "DOJ.yaml"):
        shutil.copy(YAML_DIR / name, folder / name)
    data = eighteenf.parse([folder])
    assert len([r for r in data.agencies if not r.parent_key]) == 2
    assert {"dhs-ice", "doj-fbi"} <= {r.slug for r in data.agencies}
