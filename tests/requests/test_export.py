"""Downloads of the requests list (CSV and XLSX, web and CLI): the rows a person sees in the list with its
filters and sort, every clock's date and days left as the request page counts them, formula injection
neutralised, dates typed in XLSX, attachments only."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from foia.clocks.service import clock_rows, compute_for, request_calendar
from foia.core.clock import local_today, utcnow
from foia.core.text import FORMULA_STARTS
from foia.requests.export import export_requests, neutralise, write_csv, write_xlsx
from foia.requests.queries import ListQuery, browse_requests
from foia.requests.service import RequestInput, create_request, log_event
from tests.conftest import NOW

NASTY_TITLES = ["=HYPERLINK(\"http://evil.example\",\"Click\")", "+1", "-2", "@SUM(A1:A2)", "\tTabbed", "\rReturn"]


def _send(session, req, actor, on: date, now: datetime) -> None:
    log_event(session, actor=actor, now=now, req=req, kind="sent", occurred_on=on)
    req.sent_at, req.status = datetime.combine(on, datetime.min.time()).replace(hour=20, tzinfo=NOW.tzinfo), "submitted"


@pytest.fixture
def sent(world, session):
    """Three world requests sent (one to ICE with an adverse determination, so an appeal clock runs), dated
    around today, so the web's today and the request page agree with the export."""
    today = local_today(utcnow())
    users, reqs = world["users"], world["requests"]
    now = utcnow()
    _send(session, reqs[("staff", "private")], users["staff"], today - timedelta(days=10), now)  # FOIA: working days
    _send(session, reqs[("reporter", "organization")], users["reporter"], today - timedelta(days=3), now)
    _send(session, reqs[("staff", "organization")], users["staff"], today - timedelta(days=40), now)
    log_event(session, actor=users["staff"], now=now, req=reqs[("staff", "organization")], kind="determination",
              occurred_on=today - timedelta(days=5))
    reqs[("staff", "organization")].status = "denied"
    reqs[("staff", "private")].tracking_number = "2026-ICE-00042"
    session.commit()
    return reqs


def _csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark, for spreadsheet programs
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _xlsx(data: bytes) -> list[dict]:
    ws = load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _export(session, user, lq=None, **kw):
    export = export_requests(session, user, NOW, lq or ListQuery(), chunk=2, **kw)  # several chunks
    return export, [dict(zip(export.header, r, strict=True)) for r in export.rows]


# ---------------------------------------------------------------------------- who sees what, filters, order


@pytest.mark.parametrize("role", ["admin", "staff", "reporter", "outsider"])
def test_rows_are_the_list_of_that_viewer_in_its_order(world, session, sent, role):
    user = world["users"][role]
    for lq in (ListQuery(), ListQuery(desc=True), ListQuery(sort="title", desc=True), ListQuery(sort="agency"),
               ListQuery(sort="status", desc=True), ListQuery(sort="ref"), ListQuery(scope="mine")):
        _, rows = _export(session, user, lq)
        listed = browse_requests(session, user, lq, per_page=100).rows
        assert [r["Reference"] for r in rows] == [r.ref for r in listed]
    _, rows = _export(session, user)
    titles = {r["Title"] for r in rows}
    if role != "admin":  # another organization's private requests never appear
        assert "reporter private request" not in titles or role == "reporter"
        assert "staff private request" not in titles or role == "staff"
    if role == "outsider":
        assert titles == {"staff public request", "reporter public request"}
    if role == "admin":
        assert len(rows) == 6


def test_filters_status_agency_text_and_organization(world, session, sent):
    admin = world["users"]["admin"]
    _, rows = _export(session, admin, ListQuery(status="submitted"))
    assert {r["Title"] for r in rows} == {"staff private request", "reporter organization request"}
    _, rows = _export(session, admin, ListQuery(status="denied"))
    assert [r["Title"] for r in rows] == ["staff organization request"]
    _, rows = _export(session, admin, ListQuery(agency_slug="lasd", status="submitted"))
    assert [r["Title"] for r in rows] == ["reporter organization request"]
    _, rows = _export(session, admin, ListQuery(q="ice-000"))
    assert [r["Tracking number"] for r in rows] == ["2026-ICE-00042"]
    _, rows = _export(session, admin, organization_id=world["orgs"]["news"].id)
    assert {r["Organization"] for r in rows} == {"Los Angeles Ledger"} and len(rows) == 3
    _, rows = _export(session, admin, ListQuery(agency_slug="no-such-agency"))
    assert rows == []


def test_columns_hold_agency_law_status_sent_date_and_last_update(world, session, sent):
    export, rows = _export(session, world["users"]["admin"], ListQuery(q="staff private"))
    (row,) = rows
    req = sent[("staff", "private")]
    assert export.header[:9] == ["Reference", "Title", "Tracking number", "Agency", "Agency slug", "Law", "Law code",
                                 "Status", "Sent"]
    assert export.header[-2:] == ["Organization", "Last updated"]
    assert row["Reference"] == req.ref and row["Agency slug"] == "dhs-ice" and row["Agency"] == req.agency.name
    assert row["Law code"] == "us-foia" and row["Law"] == "Freedom of Information Act" and row["Status"] == "Submitted"
    assert row["Sent"] == local_today(utcnow()) - timedelta(days=10)  # the day it was sent, at the agency
    assert isinstance(row["Last updated"], datetime) and row["Organization"] == "City of Los Angeles"


# ---------------------------------------------------------------------------- clocks


def test_every_clock_date_and_days_left_match_the_request_page_figures(world, session, sent):
    export, rows = _export(session, world["users"]["admin"])
    assert export.kinds[0] == "response" and "appeal_filing" in export.kinds
    by_ref = {r["Reference"]: r for r in rows}
    today = local_today(NOW)
    checked = 0
    for req in sent.values():
        clocks = compute_for(session, req)
        page = {row["clock"].kind: row for row in clock_rows(clocks, today, request_calendar(session, req))}
        row = by_ref[req.ref]
        for kind in export.kinds:
            name = {"response": "Response", "appeal_filing": "Appeal filing", "follow_up": "Follow-up",
                    "appeal_decision": "Appeal decision"}.get(kind, kind)
            shown = page.get(kind)
            if shown is None or shown["clock"].due is None:
                assert row[f"{name} due"] is None and row[f"{name} days left"] is None
                continue
            assert row[f"{name} due"] == shown["clock"].due
            assert row[f"{name} days counted"] == shown["left_unit"]
            if shown["clock"].status == "open":
                assert row[f"{name} days left"] == shown["left"]
                checked += 1
            else:
                assert row[f"{name} days left"] is None  # a met clock: its date, no days left
    assert checked >= 3
    ice = by_ref[sent[("staff", "private")].ref]
    assert ice["Response days counted"] == "working days"  # FOIA counts working days
    denied = by_ref[sent[("staff", "organization")].ref]
    assert denied["Appeal filing due"] is not None and isinstance(denied["Appeal filing days left"], int)


def test_web_csv_days_left_is_the_figure_on_the_request_page(world, sent, login_as):
    client = login_as("staff")
    req = sent[("staff", "private")]
    resp = client.get("/requests/export.csv?q=staff+private")
    (row,) = _csv(resp.data)
    html = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    left, unit = int(row["Response days left"]), row["Response days counted"]
    due = date.fromisoformat(row["Response due"])
    assert unit == "working days" and left > 0
    assert re.search(rf'<time datetime="{due.isoformat()}"', html)
    assert f"{left} {unit}" in html


# ---------------------------------------------------------------------------- formula injection, types


@pytest.fixture
def nasty(world, session):
    staff = world["users"]["staff"]
    reqs = [create_request(session, actor=staff, now=NOW, data=RequestInput(
        title=f"Title {n}", records_sought="Records about the thing in question.", agency_slug="dhs-ice"))
        for n in range(len(NASTY_TITLES))]
    for req, title in zip(reqs, NASTY_TITLES, strict=True):
        req.title = title  # as stored by an import or an older version (the form trims leading whitespace)
    reqs[0].tracking_number = "=1+1"
    session.commit()
    return reqs


def test_neutralise():
    for start in FORMULA_STARTS:
        assert neutralise(start + "x") == "'" + start + "x"
    assert neutralise("Police records") == "Police records" and neutralise("") == ""


def test_formula_injection_neutralised_in_csv_and_xlsx(world, session, nasty):
    admin = world["users"]["admin"]
    data = b"".join(write_csv(export_requests(session, admin, NOW, ListQuery(agency_slug="dhs-ice"))))
    csv_titles = {r["Title"] for r in _csv(data)}
    out = io.BytesIO()
    write_xlsx(export_requests(session, admin, NOW, ListQuery(agency_slug="dhs-ice")), out)
    rows = _xlsx(out.getvalue())
    for title in NASTY_TITLES:
        assert "'" + title in csv_titles
    # Whether a carriage return survives the XML round trip depends on openpyxl's XML library (the standard
    # library's parser normalises it to a line feed; lxml writes it as &#13; and keeps it).
    xlsx_titles = {r["Title"].replace("\r", "\n") for r in rows}
    for title in NASTY_TITLES:
        assert "'" + title.replace("\r", "\n") in xlsx_titles, title
    assert "'=1+1" in {r["Tracking number"] for r in rows}
    # No cell in the workbook is a formula.
    ws = load_workbook(io.BytesIO(out.getvalue())).active
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_xlsx_cells_are_typed_dates_numbers_and_text(world, session, sent):
    out = io.BytesIO()
    admin = world["users"]["admin"]
    write_xlsx(export_requests(session, admin, NOW, ListQuery(q="staff private")), out)
    ws = load_workbook(io.BytesIO(out.getvalue())).active
    header = [c.value for c in ws[1]]
    row = dict(zip(header, ws[2], strict=True))
    assert row["Response due"].is_date and isinstance(row["Response due"].value, datetime)
    assert row["Sent"].is_date and row["Sent"].value.date() == local_today(utcnow()) - timedelta(days=10)
    assert row["Last updated"].is_date
    assert row["Response days left"].data_type == "n" and isinstance(row["Response days left"].value, int)
    assert row["Reference"].data_type == "s" and row["Tracking number"].value == "2026-ICE-00042"
    _, domain = _export(session, admin, ListQuery(q="staff private"))
    assert row["Response due"].value.date() == domain[0]["Response due"]


# ---------------------------------------------------------------------------- web


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_downloads_are_attachments_with_the_date_and_the_viewers_rows(world, sent, login_as, fmt):
    client = login_as("outsider")
    resp = client.get(f"/requests/export.{fmt}?status=&sort=title&dir=desc&per_page=10&page=3")
    assert resp.status_code == 200
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "inline" not in disposition
    assert f"requests-{local_today(utcnow()).isoformat()}.{fmt}" in disposition
    assert resp.headers["X-Content-Type-Options"] == "nosniff" and resp.headers["Cache-Control"] == "no-store"
    if fmt == "csv":
        assert resp.mimetype == "text/csv"
        rows = _csv(resp.data)
    else:
        assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        rows = _xlsx(resp.data)
    # Another organization's private and organization-only requests never appear; the list's sort is kept
    # and every row is there (page and rows per page do not apply).
    assert [r["Title"] for r in rows] == ["staff public request", "reporter public request"]


def test_downloads_need_sign_in(client, world):
    for fmt in ("csv", "xlsx"):
        resp = client.get(f"/requests/export.{fmt}")
        assert resp.status_code in (302, 303) and "/login" in resp.headers["Location"]


def test_list_links_to_downloads_with_its_filters(world, sent, login_as):
    client = login_as("admin")
    html = client.get("/requests?status=submitted&agency=lasd&sort=title&dir=desc&per_page=10").get_data(as_text=True)
    links = re.findall(r'<a href="(/requests/export\.(?:csv|xlsx)\?[^"]*)" download>([^<]+)</a>', html)
    assert [text for _, text in links] == ["Download CSV", "Download spreadsheet (XLSX)"]
    for href, _ in links:
        query = href.split("?", 1)[1].replace("&amp;", "&")
        assert set(query.split("&")) == {"status=submitted", "agency=lasd", "sort=title", "dir=desc"}
    rows = _csv(client.get(links[0][0].replace("&amp;", "&")).data)
    assert [r["Title"] for r in rows] == ["reporter organization request"]
    assert "Download CSV" not in client.get("/requests?q=nothing-matches-this").get_data(as_text=True)


# ---------------------------------------------------------------------------- CLI


def test_cli_writes_csv_and_xlsx(world, sent, nasty, cli, tmp_path):
    out_csv, out_xlsx = tmp_path / "all.csv", tmp_path / "ledger.xlsx"
    result = cli.invoke(args=["foia", "export-requests", "-o", str(out_csv)])
    assert result.exit_code == 0, result.output
    assert f"Wrote 12 requests to {out_csv}" in result.output
    rows = _csv(out_csv.read_bytes())
    assert len(rows) == 12 and "'=1+1" in {r["Tracking number"] for r in rows}
    result = cli.invoke(args=["foia", "export-requests", "-o", str(out_xlsx), "--as", "outsider@other.example",
                              "--q", "request"])
    assert result.exit_code == 0, result.output
    rows = _xlsx(out_xlsx.read_bytes())
    assert {r["Title"] for r in rows} == {"staff public request", "reporter public request"}
    result = cli.invoke(args=["foia", "export-requests", "-o", str(out_csv), "--status", "submitted",
                              "--agency", "lasd", "--org", "los angeles ledger"])
    assert result.exit_code == 0, result.output
    assert [r["Title"] for r in _csv(out_csv.read_bytes())] == ["reporter organization request"]
    assert not list(tmp_path.glob(".*part"))  # nothing half-written left behind


@pytest.mark.parametrize(("args", "message"), [
    (["-o", "requests.txt"], "must end in .csv or .xlsx"),
    (["-o", "{tmp}/no/such/folder/x.csv"], "is not a folder"),
    (["-o", "{tmp}/x.csv", "--status", "lost"], "unknown status 'lost'"),
    (["-o", "{tmp}/x.csv", "--agency", "nope"], "no agency with the short name 'nope'"),
    (["-o", "{tmp}/x.csv", "--org", "Nobody"], "no organization named 'Nobody'"),
    (["-o", "{tmp}/x.csv", "--as", "ghost@example.org"], "no active account"),
])
def test_cli_refuses_bad_input_with_exit_2(world, cli, tmp_path, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = cli.invoke(args=["foia", "export-requests", *args])
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "x.csv").exists()


def test_cli_needs_an_output_file(world, cli):
    result = cli.invoke(args=["foia", "export-requests"])
    assert result.exit_code == 2 and "-o" in result.output
