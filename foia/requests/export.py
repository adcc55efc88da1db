"""The requests list as a table for downloads (CSV, XLSX) and `flask foia export-requests`.

`export_requests(session, actor, now, lq)` returns the header and a generator of rows: exactly the requests the
list shows for that query string (its filters, its sort, the viewer's visibility), every row, however many,
read from the database in chunks (a streamed query plus one query for each chunk's clocks), so memory stays
bounded. Each row holds typed cells: text, whole numbers, dates and date-times, or None for empty.

Deadlines come from the stored clocks (`request_clocks`, recomputed on every ledger event and calendar
change), one group of columns per clock kind that any exported request has a date for: the date, the days
left while the clock is open (working or calendar days, as that clock counts them; negative when overdue,
the same figure as the request page) and which days those are. A met clock keeps its date and has no days
left.

`write_csv` and `write_xlsx` turn the table into a file. Text that a spreadsheet would read as a formula
(starting with =, +, -, @, a tab or a carriage return; OWASP "CSV injection") is prefixed with a single
quote in both formats; numbers and dates are never text, so a negative "days left" stays a number.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from foia.clocks.service import agency_calendar, request_options
from foia.core.clock import default_timezone, local_today, zone
from foia.core.names import law_name
from foia.core.text import spreadsheet_safe
from foia.deadlines import Calendar, load_law
from foia.deadlines.laws import closures_count_on
from foia.models import STATUSES, Agency, Organization, Request, RequestClock, User
from foia.requests.queries import ListQuery, list_filters, list_order

if TYPE_CHECKING:  # openpyxl is imported when a workbook is written: `flask foia` commands start without it
    from openpyxl.styles import Font

Cell = str | int | date | datetime | None

#: How each clock kind is named in the column headings (other kinds: their key in words).
CLOCK_NAMES: dict[str, str] = {
    "response": "Response",
    "expedited_decision": "Expedited-processing decision",
    "follow_up": "Follow-up",
    "appeal_filing": "Appeal filing",
    "appeal_decision": "Appeal decision",
    "estimated_completion": "Agency's estimated completion",
}
#: Clock kinds first in this order, then any other kind alphabetically, the agency's estimate last.
_KIND_ORDER = ("response", "expedited_decision", "follow_up", "appeal_filing", "appeal_decision")

LEADING_COLUMNS = ("Reference", "Title", "Tracking number", "Agency", "Agency slug", "Law", "Law code", "Status",
                   "Sent")
TRAILING_COLUMNS = ("Organization", "Last updated")
DAYS_UNITS = {"business_days": "working days"}  # every other unit counts calendar days

CHUNK = 500  # requests read (and their clocks looked up) at a time


def clock_name(kind: str) -> str:
    return CLOCK_NAMES.get(kind) or kind.replace("_", " ").capitalize()


def _kind_key(kind: str) -> tuple[int, str]:
    if kind in _KIND_ORDER:
        return (_KIND_ORDER.index(kind), "")
    return (len(_KIND_ORDER) + (1 if kind == "estimated_completion" else 0), kind)


neutralise = spreadsheet_safe


@dataclass
class RequestExport:
    header: list[str]
    rows: Iterator[list[Cell]]
    kinds: list[str]  # the clock kinds with columns, in column order


def export_requests(session: Session, actor: User, now: datetime, lq: ListQuery, *,
                    organization_id: int | None = None, tz: str | None = None,
                    chunk: int = CHUNK, request_ids: list[int] | None = None) -> RequestExport:
    """The requests `actor` sees in the list for `lq` (every page, in the list's order), as a header and a
    generator of rows. `organization_id` narrows them to one organization (the CLI's --org); `tz` is the
    zone whose "today" counts the days left and in which "Last updated" is given (default: the
    installation's). `request_ids` narrows them to those requests (a bulk export of the list's selection). The
    rows are read while the generator is consumed: keep the session open until then."""
    filters = list_filters(session, actor, lq)
    if organization_id is not None:
        filters.append(Request.organization_id == organization_id)
    if request_ids is not None:
        filters.append(Request.id.in_(request_ids))
    ids = select(Request.id).where(*filters)
    kinds = sorted(session.scalars(select(RequestClock.kind).distinct()
                                   .where(RequestClock.due.is_not(None), RequestClock.request_id.in_(ids))),
                   key=_kind_key)
    header = list(LEADING_COLUMNS)
    for kind in kinds:
        name = clock_name(kind)
        header += [f"{name} due", f"{name} days left", f"{name} days counted"]
    header += TRAILING_COLUMNS
    return RequestExport(header, _rows(session, filters, lq, kinds, today=local_today(now, tz), tz=tz or
                                       default_timezone(), chunk=chunk), kinds)


class _Calendars:
    """Working-day calendars by (calendar, agency), as the request page builds them (`agency_calendar`),
    built once per export; closures only matter where the law counting on that calendar says so."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[tuple[str, int | None], Calendar] = {}

    def get(self, calendar_id: str, agency_id: int) -> Calendar:
        key = (calendar_id, agency_id if closures_count_on(calendar_id) else None)
        cal = self.cache.get(key)
        if cal is None:
            if len(self.cache) > 1000:  # an export across thousands of agencies: keep memory bounded
                self.cache.clear()
            cal = self.cache[key] = agency_calendar(self.session, calendar_id, agency_id)
        return cal


def _rows(session: Session, filters: list, lq: ListQuery, kinds: Sequence[str], *, today: date, tz: str,
          chunk: int) -> Iterator[list[Cell]]:
    agency = aliased(Agency)  # the agency sort's own subquery on agencies must not correlate with this join
    stmt = (select(Request.id, Request.ref, Request.title, Request.tracking_number, agency.name, agency.slug,
                   agency.timezone, Request.agency_id, Request.law, Request.status, Request.sent_at,
                   Request.fee_category, Organization.name, Request.updated_at)
            .join(agency, agency.id == Request.agency_id)
            .join(Organization, Organization.id == Request.organization_id)
            .where(*filters).execution_options(yield_per=chunk))  # PostgreSQL: a server-side cursor
    if lq.sort == "due":
        # Dated rows off the (next_due, id) index, then undated ones by id, as the list's pages read them: one
        # ORDER BY with "undated last" would make the database sort every row first.
        def d(col):
            return col.desc() if lq.desc else col.asc()
        statements = [stmt.where(Request.next_due.is_not(None)).order_by(d(Request.next_due), d(Request.id)),
                      stmt.where(Request.next_due.is_(None)).order_by(d(Request.id))]
    else:
        statements = [stmt.order_by(*list_order(lq))]
    calendars = _Calendars(session)
    local = zone(tz)
    parts = (part for statement in statements for part in session.execute(statement).partitions())
    for part in parts:
        clocks: dict[int, dict[str, tuple[date | None, str]]] = defaultdict(dict)
        if kinds:
            for rid, kind, due, status in session.execute(
                    select(RequestClock.request_id, RequestClock.kind, RequestClock.due, RequestClock.status)
                    .where(RequestClock.request_id.in_([r[0] for r in part]), RequestClock.kind.in_(kinds))):
                clocks[rid][kind] = (due, status)
        for (rid, ref, title, tracking, agency_name, agency_slug, agency_tz, agency_id, law_slug, status, sent_at,
             fee_category, org_name, updated_at) in part:
            sent = sent_at.astimezone(zone(agency_tz)).date() if sent_at is not None else None
            row: list[Cell] = [ref, title, tracking or None, agency_name, agency_slug, law_name(law_slug), law_slug,
                               STATUSES.get(status, status), sent]
            mine = clocks.get(rid, {})
            law = None
            for kind in kinds:
                due, clock_status = mine.get(kind, (None, ""))
                if due is None:
                    row += [None, None, None]
                    continue
                if law is None:
                    law = load_law(law_slug).for_agency(agency_slug)
                rule = law.with_options(request_options(fee_category)).clocks.get(kind)
                unit = rule.unit if rule is not None else "calendar_days"  # the agency's estimate: a date
                left = None
                if clock_status == "open":
                    left = (calendars.get(law.calendar, agency_id).working_days_between(today, due)
                            if unit == "business_days" else (due - today).days)
                row += [due, left, DAYS_UNITS.get(unit, "calendar days")]
            row += [org_name, updated_at.astimezone(local).replace(tzinfo=None, microsecond=0)]
            yield row


# ---------------------------------------------------------------------------- files


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return neutralise(value)


def write_csv(export: RequestExport, *, rows_per_chunk: int = 200) -> Iterator[bytes]:
    """The table as UTF-8 CSV (with a byte-order mark, so spreadsheet programs read it as UTF-8), yielded in
    pieces for a streamed response or a file."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    buf.write("\ufeff")
    writer.writerow([_csv_cell(h) for h in export.header])
    for n, row in enumerate(export.rows, start=1):
        writer.writerow([_csv_cell(v) for v in row])
        if n % rows_per_chunk == 0:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode("utf-8")


def _xlsx_cells(ws: Any, values: Iterable[Cell], *, bold: Font | None = None) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cells = []
    for value in values:
        if isinstance(value, str):
            # Control characters XML cannot hold are dropped; the text is always a string cell, never a formula.
            cell = WriteOnlyCell(ws, value=neutralise(ILLEGAL_CHARACTERS_RE.sub("", value)))
            cell.data_type = "s"
        else:
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
        if bold is not None:
            cell.font = bold
        cells.append(cell)
    return cells


def write_xlsx(export: RequestExport, out: IO[bytes]) -> None:
    """The table as an XLSX workbook written to `out`: openpyxl's write-only mode keeps rows on disk, not in
    memory. Text cells are strings, dates real dates, days left numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Requests")
    widths = {"Reference": 14, "Title": 40, "Tracking number": 18, "Agency": 30, "Organization": 24,
              "Last updated": 17}
    for n, name in enumerate(export.header, start=1):
        ws.column_dimensions[get_column_letter(n)].width = widths.get(name, 12 if " due" in name else 14)
    ws.freeze_panes = "B2"
    ws.append(_xlsx_cells(ws, export.header, bold=Font(bold=True)))
    for row in export.rows:
        ws.append(_xlsx_cells(ws, row))
    wb.save(out)
