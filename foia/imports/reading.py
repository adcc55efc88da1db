"""Reading a spreadsheet into rows of cells, within caps.

CSV: UTF-8 with or without a byte-order mark, UTF-16 with one, else Windows-1252 (what Excel on Windows
saves), the delimiter sniffed among comma, semicolon, tab and pipe. XLSX: openpyxl in read-only mode with
cached values (data_only), the first sheet; real date cells arrive as dates. Every refusal is a
`ValidationError({"file": message})` in plain words."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from foia.core.errors import ValidationError

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 50
MAX_CELL = 10_000
#: An XLSX is a zip: refuse one that would inflate past this (a zip bomb) before openpyxl reads it.
MAX_XLSX_UNCOMPRESSED = 100 * 1024 * 1024
#: Rows of a sheet looked at (formatted empty rows included) before giving up.
MAX_XLSX_SCANNED_ROWS = 200_000

Cell = str | int | float | date | datetime | None


@dataclass
class Table:
    """The header row and the data rows (each as long as the header), with each row's number in the file
    (1-based, as a spreadsheet program shows it)."""

    headers: list[str]
    rows: list[list[Cell]]
    row_numbers: list[int] = field(default_factory=list)
    kind: str = "csv"
    encoding: str = ""
    delimiter: str = ""


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": message})


def read_table(data: bytes, filename: str, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS,
               max_columns: int = MAX_COLUMNS, max_cell: int = MAX_CELL) -> Table:
    """The table in `data` (a CSV or XLSX file called `filename`). Raises ValidationError."""
    if not data:
        raise _refuse("The file is empty.")
    if len(data) > max_bytes:
        raise _refuse(f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is {max_bytes // 1024 // 1024} MB. "
                      "Split it or remove columns you do not need.")
    name = (filename or "").lower()
    if data[:4] == b"PK\x03\x04":
        if name.endswith(".xls"):
            raise _refuse("This is an old Excel (.xls) file. Save it as .xlsx or .csv and upload that.")
        table = _read_xlsx(data, max_rows=max_rows, max_columns=max_columns, max_cell=max_cell)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _refuse("This is an old Excel (.xls) file. Save it as .xlsx or .csv and upload that.")
    elif name.endswith((".xlsx", ".xlsm")):
        raise _refuse("The file is named .xlsx but is not an Excel workbook. Save it again from your spreadsheet "
                      "program as .xlsx or .csv.")
    else:
        table = _read_csv(data, max_rows=max_rows, max_columns=max_columns, max_cell=max_cell)
    return table


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "UTF-8 (with BOM)"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise _refuse("The file says it is UTF-16 but is not readable as such. Save it as CSV UTF-8.") from exc
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def _sniff(text: str) -> str:
    sample = text[:16384]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        counts = {d: first.count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _read_csv(data: bytes, *, max_rows: int, max_columns: int, max_cell: int) -> Table:
    text, encoding = _decode(data)
    if "\x00" in text:
        raise _refuse("The file contains NUL characters: it is not a text CSV. Save it as CSV (or .xlsx) and "
                      "upload that.")
    delimiter = _sniff(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    raw: list[tuple[int, list[Cell]]] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # blank lines count for nothing
            _check_row(len(raw), len(cells), reader.line_num, max_rows=max_rows, max_columns=max_columns)
            raw.append((reader.line_num, list(cells)))
    except csv.Error as exc:
        raise _refuse(f"The CSV cannot be read near line {reader.line_num}: {exc}. Check for an unclosed "
                      "quotation mark.") from exc
    table = _table(raw, max_cell=max_cell)
    table.kind, table.encoding, table.delimiter = "csv", encoding, delimiter
    return table


def _check_row(count: int, width: int, number: int, *, max_rows: int, max_columns: int) -> None:
    if count > max_rows:  # the header row plus max_rows rows
        raise _refuse(f"The file has more than {max_rows:,} rows; import it in parts of up to {max_rows:,}.")
    if width > max_columns:
        raise _refuse(f"Row {number} has {width} columns; the limit is {max_columns}. Remove the columns you "
                      "do not need.")


def _read_xlsx(data: bytes, *, max_rows: int, max_columns: int, max_cell: int) -> Table:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            inflated = sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile as exc:
        raise _refuse("The workbook is damaged (not a readable .xlsx). Save it again and retry.") from exc
    if inflated > MAX_XLSX_UNCOMPRESSED:
        raise _refuse("The workbook unpacks to more than 100 MB; save only the request log as .xlsx or .csv.")
    from openpyxl import load_workbook  # only when a workbook is uploaded

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, InvalidFileException, XML errors)
        raise _refuse("The workbook cannot be read as .xlsx. Save it again from your spreadsheet program.") from exc
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            raise _refuse("The workbook has no sheet.")
        raw: list[tuple[int, list[Cell]]] = []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if number > MAX_XLSX_SCANNED_ROWS:
                raise _refuse(f"The sheet runs past row {MAX_XLSX_SCANNED_ROWS:,}; delete the empty rows under the "
                              "requests (or save the log as .csv) and upload it again.")
            cells = list(values)
            while cells and cells[-1] in (None, ""):
                cells.pop()
            if not any(_text(c) for c in cells):
                continue  # empty (often only formatted) rows count for nothing
            _check_row(len(raw), len(cells), number, max_rows=max_rows, max_columns=max_columns)
            raw.append((number, [_xlsx_cell(v) for v in cells]))
    finally:
        wb.close()
    table = _table(raw, max_cell=max_cell)
    table.kind = "xlsx"
    return table


def _xlsx_cell(value: Any) -> Cell:
    if value is None or isinstance(value, (str, int, float, date, datetime)):
        if isinstance(value, bool):
            return str(value).upper()
        return value
    if isinstance(value, time):
        return value.isoformat()
    return str(value)


def _table(raw: list[tuple[int, list[Cell]]], *, max_cell: int) -> Table:
    # The header is the first row with any text; rows with nothing in them are left out.
    rows = [(n, cells) for n, cells in raw if any(_text(c) for c in cells)]
    if not rows:
        raise _refuse("The file has no rows.")
    _header_number, header_cells = rows[0]
    headers = [(_text(c) or f"Column {i + 1}")[:200] for i, c in enumerate(header_cells)]
    width = max(len(headers), *(len(cells) for _n, cells in rows[1:])) if len(rows) > 1 else len(headers)
    headers += [f"Column {i + 1}" for i in range(len(headers), width)]
    body: list[list[Cell]] = []
    numbers: list[int] = []
    for number, cells in rows[1:]:
        for i, cell in enumerate(cells):
            if isinstance(cell, str) and len(cell) > max_cell:
                raise _refuse(f"Row {number}, column “{headers[i]}” holds {len(cell):,} characters; the limit is "
                              f"{max_cell:,}.")
        body.append([c.strip() if isinstance(c, str) else c for c in cells] + [None] * (width - len(cells)))
        numbers.append(number)
    if not body:
        raise _refuse("The file has a header row but no requests under it.")
    return Table(headers=headers, rows=body, row_numbers=numbers)


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    return cell.strip() if isinstance(cell, str) else str(cell)
