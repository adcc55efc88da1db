"""Test data for the request-log import: a small directory with parents and abbreviations (as the 18F
import makes them), padded with look-alike agencies, and a messy request log as CSV and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from sqlalchemy import select

from foia.models import Agency
from tests.conftest import NOW

AGENCIES = [
    # slug, name, abbreviation, parent slug, law, time zone
    ("dhs", "U.S. Department of Homeland Security", "DHS", None, "us-foia", "America/New_York"),
    ("dhs-ice", "U.S. Immigration and Customs Enforcement", "ICE", "dhs", "us-foia", "America/New_York"),
    ("dhs-cbp", "U.S. Customs and Border Protection", "CBP", "dhs", "us-foia", "America/New_York"),
    ("doj", "U.S. Department of Justice", "DOJ", None, "us-foia", "America/New_York"),
    ("doj-fbi", "Federal Bureau of Investigation", "FBI", "doj", "us-foia", "America/New_York"),
    ("lasd", "Los Angeles County Sheriff's Department", "LASD", None, "ca-cpra", "America/Los_Angeles"),
    ("sdsd", "San Diego County Sheriff's Department", "SDSD", None, "ca-cpra", "America/Los_Angeles"),
    ("lapd", "Los Angeles Police Department", "LAPD", None, "ca-cpra", "America/Los_Angeles"),
    ("la-county-oig", "Los Angeles County Office of Inspector General", "", None, "ca-cpra", "America/Los_Angeles"),
]


def make_directory(session, fillers: int = 60) -> dict[str, Agency]:
    """The agencies above (created or updated) plus `fillers` look-alike offices."""
    out: dict[str, Agency] = {}
    rows = list(AGENCIES) + [(f"town-{i}", f"Town of Springfield {i} Police Department", "", None, "ca-cpra",
                              "America/Los_Angeles") for i in range(fillers)]
    for slug, name, abbr, parent, law, tz in rows:
        agency = session.scalar(select(Agency).where(Agency.slug == slug))
        if agency is None:
            agency = Agency(slug=slug, name=name, jurisdiction="test", law=law, timezone=tz, created_at=NOW,
                            updated_at=NOW)
            session.add(agency)
        agency.name, agency.abbreviation, agency.law, agency.timezone = name, abbr, law, tz
        agency.parent_id = out[parent].id if parent else None
        session.flush()
        out[slug] = agency
    return out


HEADERS = ["ID", "Agency", "Subject", "Description", "Date Filed", "Tracking #", "Status", "Date Acknowledged",
           "Date Closed", "Notes"]
DESC = "All records, including emails, memos and spreadsheets, about {}."

# (id, agency as written, subject, date filed, tracking, status, acknowledged, closed, notes); dates as text here,
# XLSX turns some into real date cells and serial numbers (see `xlsx_bytes`).
ROWS = [
    ("R-001", "ICE", "ICE detention contracts", "2025-06-20", "2025-ICFO-41231", "Acknowledged", "6/25/2025", "",
     "Called the FOIA office on July 1."),
    ("R-002", "Immigration & Customs Enforcement", "ICE charter flights", "June 20, 2025", "", "Processing", "", "", ""),
    ("R-003", "LA County Sheriff", "Jail deaths 2024", "20 June 2025", "LASD-55", "Released", "7/1/2025",
     "12/20/2025", ""),
    ("R-004", "FBI", "FBI surveillance of protests", "45828", "FBI-1642", "Denied", "", "10/25/2025", ""),
    ("R-005", "Los Angeles County Sheriff\u2019s Department", "Use-of-force reports", "2025-11-03", "", "Open", "", "",
     ""),
    ("R-006", "LAPD", "Overtime records", "next Tuesday", "", "", "", "", ""),                    # bad date
    ("R-007", "Department of Redundancy Department", "Everything", "2025-07-01", "", "", "", "", ""),  # unknown
    ("R-008", "Sheriff's Department", "Body cameras", "2025-08-01", "", "", "", "", ""),         # ambiguous
    ("R-009", "Dept. of Homeland Security", "DHS travel records", "07/15/2025", "2025-HQFO-9", "Acknowledged",
     "7/20/2025", "", ""),
]
GOOD = ("R-001", "R-002", "R-003", "R-004", "R-005", "R-009")
BAD_ROWS = {7: "date", 8: "unknown", 9: "ambiguous"}  # file row numbers (the header is row 1)


def _row(r: tuple) -> list[str]:
    ext, agency, subject, filed, tracking, status, ack, closed, notes = r
    return [ext, agency, subject, DESC.format(subject.lower()), filed, tracking, status, ack, closed, notes]


def csv_bytes(rows=ROWS, encoding: str = "cp1252", delimiter: str = ";") -> bytes:
    """As Excel on Windows saves "CSV": Windows-1252 (the curly apostrophe is byte 0x92), semicolons."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for r in rows:
        writer.writerow(_row(r))
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows=ROWS) -> bytes:
    """The same log as a workbook: ISO and US dates become real date cells, "45828" a serial number."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for r in rows:
        cells: list[object] = _row(r)
        for i in (4, 7, 8):
            value = cells[i]
            if isinstance(value, str) and value.isdigit():
                cells[i] = int(value)
            elif isinstance(value, str) and len(value) == 10 and value[4] == "-":
                cells[i] = datetime.fromisoformat(value)
            elif isinstance(value, str) and value.count("/") == 2:
                m, d, y = (int(x) for x in value.split("/"))
                cells[i] = date(y, m, d)
        ws.append(cells)
    for row in ws.iter_rows(min_row=2, min_col=5, max_col=9):
        for cell in row:
            if isinstance(cell.value, (date, datetime)):
                cell.number_format = "m/d/yyyy"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
