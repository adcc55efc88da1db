"""foia.agencies.importer: the shipped data into the directory, re-imports, local edits, conflicts, verified
rows, adoption of demo rows, all-or-nothing imports, dry runs and FOIA.gov figures."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from foia.agencies.directory import verify_agency
from foia.agencies.importer import DATA_DIR, import_paths, import_shipped
from foia.agencies.sources import SourceError
from foia.deadlines import load_law
from foia.demo import upsert_agencies
from foia.models import Agency, AgencyReportedStat, AuditLog, Job, User
from tests.clocks.writes import clock_writes
from tests.conftest import NOW

YAML_DIR = DATA_DIR / "18f" / "yaml"
REPORT_CSV = DATA_DIR / "foiagov" / "processing_times_fy2023_fy2024.csv"
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "agency-directory-example.csv"


def agency(session, slug: str) -> Agency:
    found = session.scalar(select(Agency).where(Agency.slug == slug))
    assert found is not None, slug
    return found


def counts(session) -> tuple[int, int, int]:
    return (session.scalar(select(func.count(Agency.id))), session.scalar(select(func.count(AgencyReportedStat.id))),
            session.scalar(select(func.count(AuditLog.id))))


@pytest.fixture
def yaml_dir(tmp_path):
    """A copy of three agencies' files (DHS, DOJ, ABMC) that a test may change."""
    folder = tmp_path / "yaml"
    folder.mkdir()
    for name in ("DHS.yaml", "DOJ.yaml", "ABMC.yaml"):
        shutil.copy(YAML_DIR / name, folder / name)
    return folder


def edit_yaml(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def admin(session):
    from foia.accounts.service import create_user, get_or_create_organization

    org = get_or_create_organization(session, "City", now=NOW)
    return create_user(session, email="admin@city.example", name="Admin", role="admin", organization=org,
                       password="correct horse battery", now=NOW)


# ---------------------------------------------------------------------------------------- the shipped data

def test_shipped_data_loads_every_federal_office_and_reimports_unchanged(session):
    upsert_agencies(session, NOW)          # the demo's agencies first, as `flask foia demo` does
    report = import_shipped(session, now=NOW)
    session.commit()
    by_source = {s.source: s for s in report.sources}
    federal = by_source["18F-2017"]
    # 116 departments + 332 offices; four of them (dhs-ice, dhs-cbp, dhs-privacy, doj-oip) were demo rows, adopted.
    assert federal.counts()["added"] == 444 and sorted(federal.adopted) == ["dhs-cbp", "dhs-ice", "dhs-privacy",
                                                                            "doj-oip"]
    assert session.scalar(select(func.count(Agency.id)).where(Agency.law == "us-foia")) == 448
    assert session.scalar(select(func.count(Agency.id)).where(Agency.parent_id.is_not(None),
                                                              Agency.law == "us-foia")) == 332
    nyc = by_source["nyc-openrecords"]
    assert nyc.counts()["added"] == 31 and nyc.counts()["skipped"] == 43
    reported = by_source["FOIA.gov annual report"]
    assert reported.reported["added"] > 700
    assert {"the component is not in the directory", "the agency is not in the directory"} <= set(
        reported.skipped_reasons())

    ice = agency(session, "dhs-ice")
    assert ice.parent is not None and ice.parent.slug == "dhs"
    assert ice.source == "18F-2017" and ice.source_key == "DHS/ICE" and ice.verified_at is None
    assert ice.foia_email == "ice-foia@ice.dhs.gov"            # the demo's value stays (a conflict, reported)
    assert ice.source_values["foia_email"] == "ice-foia@dhs.gov"
    assert ice.fax == "202-732-4265"                            # the demo had none: filled
    assert any(c.slug == "dhs-ice" and c.field == "foia_email" for c in federal.conflicts)
    fbi = agency(session, "doj-fbi")
    assert fbi.foia_email == "foiparequest@ic.fbi.gov" and "Winchester, VA" in fbi.mailing_address
    assert fbi.parent.slug == "doj" and fbi.abbreviation == "FBI" and fbi.filing_methods == "email,portal,mail,fax"
    assert agency(session, "nyc-doe").law == "ny-foil"

    stats = {s.fiscal_year: s for s in session.scalars(select(AgencyReportedStat).where(
        AgencyReportedStat.agency_id == ice.id))}
    assert sorted(stats) == [2023, 2024]
    assert (stats[2024].received, stats[2024].processed, stats[2024].pending_end,
            stats[2024].complex_median_days) == (59300, 69270, 22246, 203)
    assert stats[2023].received == 44401 and stats[2024].source_file == "dhs-2024.xml"
    dhs_years = session.scalars(select(AgencyReportedStat.fiscal_year).where(
        AgencyReportedStat.agency_id == agency(session, "dhs").id)).all()
    assert sorted(dhs_years) == [2023, 2024]                    # the department's totals

    # The demo slugs still pick up the DHS and Interior rules (overrides attach by parent slug).
    us = load_law("us-foia")
    assert us.for_agency("dhs-ice").clocks["appeal_filing"].length == 90
    assert us.for_agency("dhs-privacy").clocks["appeal_filing"].length == 90
    assert us.for_agency("doi-blm").receipt.day_counts is True
    assert us.for_agency("interior-blm").receipt.day_counts is True

    before = counts(session)
    again = import_shipped(session, now=NOW + timedelta(days=1))
    session.commit()
    for s in again.sources:
        c = s.counts()
        assert c["added"] == c["updated"] == c["conflicts"] == 0, (s.source, c)
        if s.kind == "foiagov":
            assert s.reported["added"] == s.reported["updated"] == 0
    assert counts(session) == before                            # nothing written, not even an audit row


# ---------------------------------------------------------------------------------------- merging

def test_local_edit_survives_and_source_changes_apply(session, yaml_dir):
    import_paths(session, [yaml_dir], now=NOW)
    session.commit()
    ice = agency(session, "dhs-ice")
    ice.foia_email = "foia@ice.example"                          # a local correction
    session.commit()
    edit_yaml(yaml_dir, "DHS.yaml", "202-732-4265", "202-555-0100")     # the source changes ICE's fax
    report = import_paths(session, [yaml_dir], now=NOW)
    session.commit()
    assert report.sources[0].updated == ["dhs-ice"] and report.sources[0].conflicts == []
    session.refresh(ice)
    assert ice.foia_email == "foia@ice.example" and ice.fax == "202-555-0100"
    audit_row = session.scalars(select(AuditLog).where(AuditLog.entity_type == "agencies",
                                                       AuditLog.entity_id == str(ice.id))
                                .order_by(AuditLog.id.desc())).first()
    assert audit_row.action == "update" and audit_row.after["fax"] == "202-555-0100"

    # Now the source changes the email too: the local value stays, and it is a conflict.
    edit_yaml(yaml_dir, "DHS.yaml", "ice-foia@dhs.gov", "new-ice-foia@dhs.gov")
    report = import_paths(session, [yaml_dir], now=NOW)
    session.commit()
    session.refresh(ice)
    assert ice.foia_email == "foia@ice.example"
    [conflict] = report.sources[0].conflicts
    assert (conflict.slug, conflict.field, conflict.local, conflict.source) == (
        "dhs-ice", "foia_email", "foia@ice.example", "new-ice-foia@dhs.gov")
    # Reported once: the next import knows the source's value and the local one differs on purpose.
    assert import_paths(session, [yaml_dir], now=NOW).sources[0].conflicts == []


def test_verified_agency_is_never_overwritten(session, yaml_dir, admin):
    import_paths(session, [yaml_dir], now=NOW)
    fbi = agency(session, "doj-fbi")
    verify_agency(session, actor=admin, now=NOW, agency=fbi)
    session.commit()
    edit_yaml(yaml_dir, "DOJ.yaml", "foiparequest@ic.fbi.gov", "fbi-foia@fbi.example")
    report = import_paths(session, [yaml_dir], now=NOW)
    session.commit()
    session.refresh(fbi)
    assert fbi.foia_email == "foiparequest@ic.fbi.gov"
    assert [(c.slug, c.field) for c in report.sources[0].conflicts] == [("doj-fbi", "foia_email")]
    assert "doj-fbi" not in report.sources[0].updated


def test_adopting_a_hand_typed_agency(session, yaml_dir):
    upsert_agencies(session, NOW)
    session.commit()
    report = import_paths(session, [yaml_dir], now=NOW)
    session.commit()
    s = report.sources[0]
    assert {"dhs-ice", "dhs-cbp", "dhs-privacy", "doj-oip"} <= set(s.adopted)
    cbp = agency(session, "dhs-cbp")
    assert cbp.name == "U.S. Customs and Border Protection"      # '&' vs 'and' is no conflict; the local name stays
    assert cbp.fax and cbp.parent.slug == "dhs" and cbp.source == "18F-2017"
    assert not any(c.slug == "dhs-cbp" and c.field in ("phone", "department") for c in s.conflicts)  # same value
    assert any(c.slug == "dhs-cbp" and c.field == "mailing_address" for c in s.conflicts)
    again = import_paths(session, [yaml_dir], now=NOW).sources[0]
    assert again.counts()["updated"] == again.counts()["conflicts"] == 0


def test_slug_change_queues_a_recompute_of_open_requests(session, tmp_path):
    """A new slug or time zone queues a `recompute_clocks` job for the agency (issue 18: never recomputed inside
    the import, which the web may run); the scheduler runs it."""
    path = tmp_path / "state.csv"
    path.write_text("slug,name,jurisdiction,law,timezone\nst-a,Agency A,State,ca-cpra,America/Los_Angeles\n")
    import_paths(session, [path], now=NOW)
    recomputes = select(Job).where(Job.kind == "recompute_clocks")
    assert session.scalars(recomputes).all() == []
    path.write_text("slug,name,jurisdiction,law,timezone\nst-a,Agency A,State,ca-cpra,America/Denver\n")
    with clock_writes() as writes:
        report = import_paths(session, [path], now=NOW)
    assert report.sources[0].updated == ["st-a"] and writes == []
    (job,) = session.scalars(recomputes).all()
    assert job.status == "queued" and job.payload["agency_id"] == agency(session, "st-a").id


# ---------------------------------------------------------------------------------------- all or nothing

def test_a_malformed_file_writes_nothing(session, yaml_dir, tmp_path):
    bad = tmp_path / "state.csv"
    bad.write_text("slug,name,jurisdiction,law\nst-a,Agency A,State,ca-cpra\nst-b,Agency B,State,xx-nolaw\n")
    before = counts(session)
    with pytest.raises(SourceError, match=r"state.csv:3: law: Choose the public-records law"):
        import_paths(session, [yaml_dir, bad], now=NOW)   # the YAML rows were already written in the savepoint
    session.commit()
    assert counts(session) == before
    broken = tmp_path / "broken.yaml"
    broken.write_text("abbreviation: X\nname: X\ndepartments: [\n")
    with pytest.raises(SourceError, match=r"broken.yaml:\d+: not valid YAML"):
        import_paths(session, [yaml_dir, broken, REPORT_CSV], now=NOW)
    assert counts(session) == before


def test_dry_run_reports_the_same_and_writes_nothing(session, yaml_dir):
    before = counts(session)
    dry = import_paths(session, [yaml_dir, REPORT_CSV], now=NOW, dry_run=True)
    session.commit()
    assert counts(session) == before and dry.dry_run
    real = import_paths(session, [yaml_dir, REPORT_CSV], now=NOW)
    assert [s.counts() for s in dry.sources] == [s.counts() for s in real.sources]
    assert real.sources[0].counts()["added"] == 3 + 15 + 38   # DHS, DOJ, ABMC and their offices (ABMC: one, folded)


# ---------------------------------------------------------------------------------------- FOIA.gov figures

def test_reported_figures_match_components_and_update(session, yaml_dir, tmp_path):
    report = import_paths(session, [yaml_dir, REPORT_CSV], now=NOW).sources[1]
    ice = agency(session, "dhs-ice")
    assert {s.fiscal_year for s in session.scalars(select(AgencyReportedStat).where(
        AgencyReportedStat.agency_id == ice.id))} == {2023, 2024}
    # FBI: matched by its name within DOJ; OIP by abbreviation; ABMC (single office) by its total.
    for slug in ("doj-fbi", "doj-oip", "abmc", "dhs-privacy"):
        assert session.scalar(select(func.count(AgencyReportedStat.id)).where(
            AgencyReportedStat.agency_id == agency(session, slug).id)) == 2, slug
    skipped = {s.key for s in report.skipped}
    assert any("DHS/CISA" in k for k in skipped)                 # not in the 2017 directory
    assert any(k.startswith("FY2024 ACHP") for k in skipped)     # an agency not in these three files
    lines = REPORT_CSV.read_text(encoding="utf-8").splitlines()
    changed = [ln.replace(",59300,69270,", ",59301,69270,") for ln in lines]
    edited = tmp_path / "report.csv"
    edited.write_text("\n".join(changed) + "\n")
    again = import_paths(session, [yaml_dir, edited], now=NOW).sources[1]
    assert again.reported == {"added": 0, "updated": 1, "unchanged": report.reported["added"] - 1}
    stat = session.scalar(select(AgencyReportedStat).where(AgencyReportedStat.agency_id == ice.id,
                                                           AgencyReportedStat.fiscal_year == 2024))
    assert stat.received == 59301


def test_layout_example_imports_with_parents(session):
    report = import_paths(session, [EXAMPLE], now=NOW).sources[0]
    assert report.added == ["exampleville", "exampleville-pd", "exampleville-water"]
    pd = agency(session, "exampleville-pd")
    assert pd.parent.slug == "exampleville" and pd.source == "csv:agency-directory-example"
    assert pd.source_key == "exampleville-pd" and pd.abbreviation == "EPD" and pd.filing_methods == "email"
    assert agency(session, "exampleville-water").timezone == "America/Los_Angeles"
    assert session.scalar(select(func.count(AuditLog.id)).where(AuditLog.entity_type == "agencies",
                                                                AuditLog.action == "create")) == 3
    assert session.scalar(select(User.id)) is None    # imports need no account: audited as the system
