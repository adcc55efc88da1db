"""Dates as spreadsheets hold them.

Read: ISO (2025-06-20, also with a time), US month-first with slashes or dashes (6/20/2025, 06-20-25:
month first, always — 3/4/2025 is March 4), month names (June 20, 2025; Jun 20 2025; 20 June 2025;
20-Jun-2025), Excel serial numbers (45828 is 2025-06-20, the 1900 date system) and real date cells of a
workbook. Anything else raises `UnreadableDate` with what was found, never a guess."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from foia.imports.reading import Cell

#: Excel's day 0 in the 1900 date system (it counts 1900-02-29, which never was: serials from 61 on are
#: right when counted from 1899-12-30).
EXCEL_EPOCH = date(1899, 12, 30)
#: Serial numbers taken as dates: 1967-01-01 (the FOIA took effect) to 2100-12-31.
SERIAL_MIN, SERIAL_MAX = 24473, 73415

MONTHS = {name: i for i, names in enumerate((
    (), ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
    ("november", "nov"), ("december", "dec"))) for name in names}

FORMATS_HELP = ("Write dates as 2025-06-20, 6/20/2025 (month first), June 20, 2025 or 20 June 2025; "
                "Excel date cells and serial numbers work too.")

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
_SLASHED = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?(?: ?[AaPp][Mm])?)?")
_YMD_SLASHED = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")
_MONTH_FIRST = re.compile(r"([A-Za-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})")
_DAY_FIRST = re.compile(r"(\d{1,2})(?:st|nd|rd|th)? ([A-Za-z]+)\.?,? (\d{4})")
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")


class UnreadableDate(ValueError):
    pass


def _make(y: int, m: int, d: int, raw: str) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        hint = " (slashed dates are read month first: 6/20/2025)" if m > 12 else ""
        raise UnreadableDate(f"“{raw}” is not a real date{hint}.") from None


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:  # 25 -> 2025, 99 -> 1999 (Excel's own two-digit rule pivots at 29/30)
        y += 2000 if y < 30 else 1900
    return y


def from_serial(serial: float, raw: str = "") -> date:
    if not SERIAL_MIN <= serial <= SERIAL_MAX:
        raise UnreadableDate(f"“{raw or serial}” is a number, not a date in the years 1967–2100.")
    return EXCEL_EPOCH + timedelta(days=int(serial))


def parse_date(value: Cell) -> date | None:
    """The date in a cell, None for an empty cell; raises UnreadableDate."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise UnreadableDate(f"“{value}” is not a date.")
    if isinstance(value, (int, float)):
        return from_serial(float(value))
    raw = " ".join(str(value).split())
    if not raw:
        return None
    text = " ".join(raw.replace(",", ", ").split())  # "June 20,2025" -> "June 20, 2025"
    if m := _ISO.fullmatch(raw):
        return _make(int(m[1]), int(m[2]), int(m[3]), raw)
    if m := _YMD_SLASHED.fullmatch(raw):
        return _make(int(m[1]), int(m[2]), int(m[3]), raw)
    if m := _SLASHED.fullmatch(raw):
        return _make(_year(m[3]), int(m[1]), int(m[2]), raw)
    if m := _MONTH_FIRST.fullmatch(text):
        month = MONTHS.get(m[1].lower())
        if month:
            return _make(int(m[3]), month, int(m[2]), raw)
    if m := _DAY_FIRST.fullmatch(text.replace("-", " ")):
        month = MONTHS.get(m[2].lower())
        if month:
            return _make(int(m[3]), month, int(m[1]), raw)
    if m := re.fullmatch(r"(\d{1,2})-([A-Za-z]{3,9})-(\d{2}|\d{4})", raw):  # 20-Jun-25
        month = MONTHS.get(m[2].lower())
        if month:
            return _make(_year(m[3]), month, int(m[1]), raw)
    if _SERIAL.fullmatch(raw):
        return from_serial(float(raw), raw)
    raise UnreadableDate(f"“{raw[:60]}” is not a date we can read. {FORMATS_HELP}")
