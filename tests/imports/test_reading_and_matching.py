"""The parts of the import: reading files, recognising headers, dates, and matching agency names."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from foia.core.errors import ValidationError
from foia.imports.columns import guess_mapping
from foia.imports.dates import UnreadableDate, parse_date
from foia.imports.matching import AgencyMatcher, normalise
from foia.imports.reading import read_table
from tests.imports.import_data import make_directory


@pytest.mark.parametrize("raw, expected", [
    ("2025-06-20", date(2025, 6, 20)), ("2025-06-20T09:30:00", date(2025, 6, 20)), ("6/20/2025", date(2025, 6, 20)),
    ("06/20/25", date(2025, 6, 20)), ("3/4/2025", date(2025, 3, 4)),  # month first: March 4
    ("June 20, 2025", date(2025, 6, 20)), ("Jun 20 2025", date(2025, 6, 20)), ("20 June 2025", date(2025, 6, 20)),
    ("20-Jun-2025", date(2025, 6, 20)), ("Sept. 3, 2025", date(2025, 9, 3)), ("45828", date(2025, 6, 20)),
    (45828, date(2025, 6, 20)), (45828.75, date(2025, 6, 20)), (datetime(2025, 6, 20, 0, 0), date(2025, 6, 20)),
    (date(2025, 6, 20), date(2025, 6, 20)), ("", None), (None, None),
])
def test_dates_in_the_usual_spreadsheet_forms(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["20/6/2025", "2/30/2025", "next Tuesday", "12345", "June 40, 2025", "TBD"])
def test_unreadable_dates_are_refused_not_guessed(raw):
    with pytest.raises(UnreadableDate):
        parse_date(raw)


@pytest.mark.parametrize("data, encoding, delimiter", [
    ("\ufeffAgency,Title\nICE,Café records\n".encode(), "UTF-8 (with BOM)", ","),
    ("Agency;Title\nICE;Café records\n".encode("cp1252"), "Windows-1252", ";"),
    ("Agency\tTitle\nICE\tCafé records\n".encode("utf-16"), "UTF-16", "\t"),
    ("Agency|Title\nICE|Café records\n".encode(), "UTF-8", "|"),
])
def test_csv_encodings_and_delimiters(data, encoding, delimiter):
    table = read_table(data, "log.csv")
    assert (table.encoding, table.delimiter) == (encoding, delimiter)
    assert table.headers == ["Agency", "Title"] and table.rows == [["ICE", "Café records"]]


def test_caps_and_messages():
    with pytest.raises(ValidationError, match="more than 3 rows"):
        read_table(b"a,b\n" + b"1,2\n" * 5, "x.csv", max_rows=3)
    with pytest.raises(ValidationError, match="the limit is 5"):
        read_table(b"a,b\n1," + b"x" * 6 + b"\n", "x.csv", max_cell=5)
    with pytest.raises(ValidationError, match="limit is 1 MB"):
        read_table(b"a\n" + b"x" * (1024 * 1024 + 1), "x.csv", max_bytes=1024 * 1024)
    with pytest.raises(ValidationError, match="unclosed quotation"):
        read_table(b'a,b\n"1,2\n' + b"x" * 200_000, "x.csv")


def test_headers_are_recognised():
    mapping = guess_mapping(["Public Body", "Request Subject", "Records requested", "Date request submitted",
                             "Agency tracking #", "Current status", "Ack date", "Date completed", "Comments", "Log ID"])
    assert mapping == {"agency": 0, "title": 1, "records_sought": 2, "date_sent": 3, "law": None, "tracking_number": 4,
                       "status": 5, "date_acknowledged": 6, "date_closed": 7, "notes": 8, "external_id": 9}


def test_normalise():
    assert normalise("U.S. Immigration & Customs Enforcement") == "immigration and customs enforcement"
    assert normalise("LA County Sheriff’s Dept.") == "los angeles county sheriff department"


@pytest.mark.parametrize("text, slug", [
    ("ICE", "dhs-ice"), ("ice", "dhs-ice"), ("Immigration & Customs Enforcement", "dhs-ice"),
    ("U.S. Immigration and Customs Enforcement", "dhs-ice"), ("DHS ICE", "dhs-ice"), ("dhs-ice", "dhs-ice"),
    ("Immigration and Customs Enforcement (DHS)", "dhs-ice"), ("Immigration & Custom Enforcment", "dhs-ice"),
    ("LA County Sheriff", "lasd"), ("Los Angeles County Sheriff's Department", "lasd"), ("LASD", "lasd"),
    ("FBI", "doj-fbi"), ("Federal Bureau of Investigation", "doj-fbi"), ("Dept. of Homeland Security", "dhs"),
    ("LAPD", "lapd"), ("Los Angeles Police Dept", "lapd"),
])
def test_agency_names_in_several_spellings(session, text, slug):
    make_directory(session, fillers=200)
    m = AgencyMatcher(session).match(text)
    assert m.status == "matched" and m.agency.slug == slug, (m.status, m.candidates)


@pytest.mark.parametrize("text, slugs", [
    ("Sheriff's Department", {"lasd", "sdsd"}), ("County Sheriff", {"lasd", "sdsd"}),
])
def test_ambiguous_names_are_asked(session, text, slugs):
    make_directory(session, fillers=200)
    m = AgencyMatcher(session).match(text)
    assert m.status == "ask" and {c.slug for c in m.candidates} == slugs


@pytest.mark.parametrize("text", ["Department of Redundancy Department", "Ministry of Magic", ""])
def test_unknown_agencies_are_unmatched(session, text):
    make_directory(session, fillers=200)
    assert AgencyMatcher(session).match(text).status == "unmatched"


def test_a_general_word_is_asked_among_many(session):
    make_directory(session, fillers=200)
    m = AgencyMatcher(session).match("Police Department")
    assert m.status == "ask" and len(m.candidates) == 5


def test_blank_and_formatted_empty_rows_count_for_nothing():
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Agency", "Title"])
    ws.append(["ICE", "Detention contracts"])
    for row in range(3, 40):  # formatted but empty, as spreadsheets often carry below the data
        ws.cell(row=row, column=1).number_format = "m/d/yyyy"
    ws.append([])
    ws.append(["FBI", "Surveillance"])
    out = io.BytesIO()
    wb.save(out)
    table = read_table(out.getvalue(), "log.xlsx", max_rows=2)
    assert table.rows == [["ICE", "Detention contracts"], ["FBI", "Surveillance"]]
    assert table.row_numbers[0] == 2
    table = read_table(b"Agency,Title\n\n,\nICE,Contracts\n\n", "log.csv", max_rows=1)
    assert table.rows == [["ICE", "Contracts"]] and table.row_numbers == [4]
