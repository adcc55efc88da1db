"""Importing a messy request log (CSV and XLSX) from the command line and through the services: the
requests, their ledger events, tracking numbers and deadlines; duplicates on re-import; all or nothing."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from foia.clocks.service import compute_for
from foia.imports import service as import_service
from foia.imports.service import ImportFailed, preview_file, run_import
from foia.models import AuditLog, Communication, Event, InternalNote, Request, RequestClock
from tests.conftest import NOW
from tests.imports.import_data import BAD_ROWS, GOOD, ROWS, csv_bytes, make_directory, xlsx_bytes

NOW_ARG = ["--now", NOW.isoformat()]
FORMATS = {"csv": ("log.csv", csv_bytes), "xlsx": ("log.xlsx", xlsx_bytes)}


@pytest.fixture
def directory(session, world):
    agencies = make_directory(session)
    session.commit()
    return agencies


def _write(tmp_path, fmt: str):
    name, make = FORMATS[fmt]
    path = tmp_path / name
    path.write_bytes(make())
    return path


def _invoke(cli, path, *extra):
    return cli.invoke(args=["foia", "import-requests", str(path), "--org", "City of Los Angeles",
                            "--as", "clerk@lacity.example", *NOW_ARG, *extra])


def _count(session, model=Request) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_by_default_a_file_with_bad_rows_imports_nothing_and_lists_every_problem(cli, session, directory, tmp_path, fmt):
    before = _count(session)
    result = _invoke(cli, _write(tmp_path, fmt))
    assert result.exit_code == 2, result.output
    out = result.output
    for row in BAD_ROWS:
        assert f"row {row}:" in out
    assert "“next Tuesday” is not a date we can read" in out
    assert "No agency in the directory matches “Department of Redundancy Department”" in out
    assert "Los Angeles County Sheriff's Department (lasd)" in out and "San Diego County Sheriff's Department (sdsd)" in out
    assert "Nothing was imported" in out
    assert _count(session) == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_skip_invalid_imports_the_good_rows_with_their_events_tracking_numbers_and_deadlines(
        cli, session, directory, tmp_path, fmt):
    before = _count(session)
    result = _invoke(cli, _write(tmp_path, fmt), "--skip-invalid", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["imported"] == len(GOOD) and len(data["refs"]) == len(GOOD)
    assert sorted(i["row"] for i in data["invalid"]) == sorted(BAD_ROWS)
    assert data["duplicates"] == [] and data["dry_run"] is False
    assert _count(session) == before + len(GOOD)

    reqs = {r.external_id: r for r in session.scalars(select(Request).where(Request.external_id.is_not(None)))}
    assert set(reqs) == set(GOOD)
    assert sorted(r.ref for r in reqs.values()) == sorted(data["refs"])

    def ledger(req):
        return [(e.kind, e.occurred_on) for e in session.scalars(
            select(Event).where(Event.request_id == req.id, Event.kind != "created").order_by(Event.occurred_on, Event.id))]

    ice = reqs["R-001"]
    assert ice.agency.slug == "dhs-ice" and ice.law == "us-foia"
    assert ledger(ice) == [("sent", date(2025, 6, 20)), ("acknowledged", date(2025, 6, 25))]
    assert ice.tracking_number == "2025-ICFO-41231" and ice.status == "acknowledged"
    assert ice.sent_at is not None
    # 20 working days from the day after receipt (Juneteenth 2025 was the day before): 2025-07-21.
    assert ice.response_due == date(2025, 7, 21)
    assert session.scalar(select(RequestClock.due).where(RequestClock.request_id == ice.id,
                                                         RequestClock.kind == "response")) == date(2025, 7, 21)
    assert session.scalar(select(InternalNote.body).where(InternalNote.request_id == ice.id)) == \
        "Called the FOIA office on July 1."
    ack = session.scalar(select(Communication).where(Communication.request_id == ice.id))
    assert ack.kind == "acknowledgment" and ack.tracking_number == "2025-ICFO-41231"

    flights = reqs["R-002"]  # "Immigration & Customs Enforcement", "June 20, 2025"
    assert flights.agency.slug == "dhs-ice" and flights.status == "submitted"
    assert ledger(flights) == [("sent", date(2025, 6, 20))]

    jail = reqs["R-003"]  # "LA County Sheriff", "20 June 2025", released 12/20/2025
    assert jail.agency.slug == "lasd" and jail.law == "ca-cpra" and jail.status == "released"
    assert ledger(jail) == [("sent", date(2025, 6, 20)), ("acknowledged", date(2025, 7, 1)),
                            ("closed", date(2025, 12, 20))]
    assert jail.tracking_number == "LASD-55" and jail.next_due is None

    fbi = reqs["R-004"]  # an Excel serial number sent date, denied on 10/25/2025
    assert fbi.agency.slug == "doj-fbi" and fbi.status == "denied"
    assert ledger(fbi) == [("sent", date(2025, 6, 20)), ("determination", date(2025, 10, 25))]
    assert fbi.tracking_number == "FBI-1642"  # kept without an acknowledgment
    clocks = {c.kind: c for c in compute_for(session, fbi)}
    assert clocks["appeal_filing"].status == "open" and clocks["appeal_filing"].due == date(2026, 1, 23)

    assert reqs["R-005"].agency.slug == "lasd"  # curly apostrophe, read from Windows-1252
    assert reqs["R-009"].agency.slug == "dhs"   # "Dept. of Homeland Security"
    audits = session.scalars(select(AuditLog).where(AuditLog.action == "import")).all()
    assert len(audits) == len(GOOD)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_re_import_finds_every_duplicate(cli, session, directory, tmp_path, fmt):
    path = _write(tmp_path, fmt)
    assert _invoke(cli, path, "--skip-invalid").exit_code == 0
    count = _count(session)
    again = _invoke(cli, path, "--skip-invalid", "--json")
    assert again.exit_code == 0, again.output
    data = json.loads(again.output)
    assert data["imported"] == 0 and data["refs"] == []
    assert sorted(d["row"] for d in data["duplicates"]) == sorted(n + 2 for n, r in enumerate(ROWS) if r[0] in GOOD)
    assert _count(session) == count


def test_duplicates_without_an_id_are_found_by_agency_title_and_date_sent(cli, session, directory, tmp_path):
    rows = [("", *r[1:]) for r in ROWS if r[0] in GOOD]
    path = tmp_path / "noid.csv"
    path.write_bytes(csv_bytes(rows))
    first = json.loads(_invoke(cli, path, "--json").output)
    assert first["imported"] == len(GOOD)
    second = json.loads(_invoke(cli, path, "--json").output)
    assert second["imported"] == 0 and len(second["duplicates"]) == len(GOOD)
    # the same new row twice in one file: the first is imported, the second is its duplicate
    new = ("R-100", "FBI", "FBI drone purchases", "2025-09-02", "", "", "", "", "")
    twice = tmp_path / "twice.csv"
    twice.write_bytes(csv_bytes([new, new]))
    data = json.loads(_invoke(cli, twice, "--json").output)
    assert data["imported"] == 1 and data["duplicates"] == [{"row": 3, "of": "row 2"}]


def test_dry_run_saves_nothing(cli, session, directory, tmp_path):
    before = _count(session), _count(session, Event)
    result = _invoke(cli, _write(tmp_path, "csv"), "--skip-invalid", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"Would import {len(GOOD)} request(s)" in result.output and "nothing was saved" in result.output
    assert (_count(session), _count(session, Event)) == before


def test_nothing_is_half_imported_when_a_row_fails_mid_way(session, directory, world, monkeypatch):
    staff = world["users"]["staff"]
    preview = preview_file(session, actor=staff, now=NOW, data=csv_bytes(), filename="log.csv")
    before = _count(session), _count(session, Event), _count(session, Communication), _count(session, AuditLog)
    real = import_service.import_row
    calls = []

    def flaky(session, **kw):
        calls.append(kw["plan"].number)
        if len(calls) == 3:
            from foia.core.errors import ValidationError
            raise ValidationError({"title": "The database said no."})
        return real(session, **kw)

    monkeypatch.setattr(import_service, "import_row", flaky)
    with pytest.raises(ImportFailed) as err:
        run_import(session, actor=staff, now=NOW, preview=preview, skip_invalid=True)
    assert err.value.row == calls[-1] and "The database said no." in err.value.reason
    assert len(calls) == 3  # two rows were written before the failure...
    session.commit()
    # ...and rolled back with it
    assert (_count(session), _count(session, Event), _count(session, Communication), _count(session, AuditLog)) == before


def test_the_preview_shows_the_engine_s_deadlines_and_the_flags(session, directory, world):
    preview = preview_file(session, actor=world["users"]["staff"], now=NOW, data=xlsx_bytes(), filename="log.xlsx")
    rows = {r.values.get("external_id"): r for r in preview.rows}
    ice = rows["R-001"]
    assert [(e.kind, e.on) for e in ice.events] == [("sent", date(2025, 6, 20)), ("acknowledged", date(2025, 6, 25))]
    assert "tracking number 2025-ICFO-41231" in ice.events[1].detail
    response = next(c for c in ice.clocks if c["clock"].kind == "response")
    assert response["clock"].due == date(2025, 7, 21) and response["clock"].explanation
    assert any(f.startswith("overdue") for f in ice.flags)
    assert any(f.startswith("appeal window closing") for f in rows["R-004"].flags)
    assert rows["R-006"].state == "invalid" and "unreadable date" in rows["R-006"].flags
    assert rows["R-007"].state == "invalid"
    ambiguous = rows["R-008"]
    assert ambiguous.state == "ask" and {c.slug for c in ambiguous.match.candidates} == {"lasd", "sdsd"}
    assert [q.rows for q in preview.questions] == [[9]]
    # answering the question (with one of its candidates only) makes the row ready
    sdsd = directory["sdsd"].id
    answered = preview_file(session, actor=world["users"]["staff"], now=NOW, data=xlsx_bytes(), filename="log.xlsx",
                            choices={preview.questions[0].key: sdsd})
    row = next(r for r in answered.rows if r.number == 9)
    assert row.state == "ready" and row.agency.slug == "sdsd"
    forged = preview_file(session, actor=world["users"]["staff"], now=NOW, data=xlsx_bytes(), filename="log.xlsx",
                          choices={preview.questions[0].key: directory["doj-fbi"].id})
    assert next(r for r in forged.rows if r.number == 9).state == "ask"


def test_the_cli_refuses_an_unknown_org_or_a_non_member(cli, directory, tmp_path):
    path = _write(tmp_path, "csv")
    bad_org = cli.invoke(args=["foia", "import-requests", str(path), "--org", "Nope", "--as", "clerk@lacity.example"])
    assert bad_org.exit_code == 2 and "no organization named 'Nope'" in bad_org.output
    other = cli.invoke(args=["foia", "import-requests", str(path), "--org", "Los Angeles Ledger",
                             "--as", "clerk@lacity.example"])
    assert other.exit_code == 2 and "is not a member of Los Angeles Ledger" in other.output


def test_a_title_differing_only_in_case_is_a_duplicate_even_outside_ascii(session, directory, world):
    staff = world["users"]["staff"]
    first = ("", "FBI", "ÉCOLE records of the bureau", "2025-09-02", "", "", "", "", "")
    again = ("", "Federal Bureau of Investigation", "école records of the bureau", "9/2/2025", "", "", "", "", "")
    pv = preview_file(session, actor=staff, now=NOW, data=csv_bytes([first], encoding="utf-8"), filename="a.csv")
    ref = run_import(session, actor=staff, now=NOW, preview=pv, skip_invalid=False).imported[0][1]
    session.commit()
    pv = preview_file(session, actor=staff, now=NOW, data=csv_bytes([again], encoding="utf-8"), filename="b.csv")
    assert [(r.state, r.duplicate_of) for r in pv.rows] == [("duplicate", ref)]


def test_a_big_import_from_the_command_line_analyzes_the_tables_it_grew(cli, session, directory, tmp_path, monkeypatch):
    """After a bulk load the planner's statistics are stale (review §4.2): an import of at least ANALYZE_AFTER
    requests ANALYZEs requests, events and request_clocks; a smaller one, a dry run or a refused file does not."""
    from sqlalchemy import event

    from foia.extensions import db
    from foia.imports import cli as import_cli

    seen: list[str] = []

    def listen(_conn, _cursor, statement, *_args) -> None:
        if statement.strip().upper().startswith("ANALYZE"):
            seen.append(statement.strip())

    monkeypatch.setattr(import_cli, "ANALYZE_AFTER", 1)
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        path = _write(tmp_path, "csv")
        assert _invoke(cli, path, "--skip-invalid", "--dry-run").exit_code == 0
        assert _invoke(cli, path).exit_code == 2  # refused: bad rows, nothing imported
        assert seen == []
        result = _invoke(cli, path, "--skip-invalid", "--json")
        assert result.exit_code == 0 and json.loads(result.output)["imported"], result.output
        assert seen == ["ANALYZE requests", "ANALYZE events", "ANALYZE request_clocks"]
        seen.clear()
        again = _invoke(cli, path, "--skip-invalid", "--json")  # every row a duplicate: 0 imported, under 1
        assert again.exit_code == 0 and not json.loads(again.output)["imported"], again.output
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert seen == []
