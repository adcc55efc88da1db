"""The FOIA.gov annual FOIA reports (github.com/usdoj/foia.gov, `www.foia.gov/20YY-FOIASetFull.zip`;
US Government work, public domain + CC0): one NIEM XML file per agency per fiscal year.

Read from the zips, from loose XML files, or from the CSV `foiaset_to_csv.py` extracts from them (same
columns as `ReportedRecord`). Per component (and per agency, its total): requests received, processed and
pending at the end of the year (section V.A), median and average days for simple, complex and expedited
requests (section VII.A), and the median days for appeals (section VI.C(5)). XML is parsed with defusedxml."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element  # only the type: parsing goes through defusedxml

from defusedxml import ElementTree as SafeET  # type: ignore[import-untyped]
from defusedxml.common import DefusedXmlException  # type: ignore[import-untyped]

from foia.agencies.sources.records import (
    REPORTED_FLOAT_FIELDS,
    REPORTED_INT_FIELDS,
    ReportedRecord,
    SourceData,
    SourceError,
)

SOURCE = "FOIA.gov annual report"
STRUCTURES = "{http://niem.gov/niem/structures/2.0}"

CSV_COLUMNS = ("fiscal_year", "source_file", "agency", "agency_name", "component", "component_name", "is_agency_total",
               *REPORTED_INT_FIELDS, *REPORTED_FLOAT_FIELDS)


def _local(tag: str) -> str:
    return tag.split("}", 1)[1] if "}" in tag else tag


def _child(elem: Element | None, name: str) -> Element | None:
    if elem is None:
        return None
    for c in elem:
        if _local(c.tag) == name:
            return c
    return None


def _text(elem: Element | None, name: str) -> str | None:
    c = _child(elem, name)
    return c.text.strip() if c is not None and c.text and c.text.strip() else None


def _number(value: str | None, kind: type, where: str, name: str) -> float | int | None:
    """'59300' -> 59300, '203' -> 203.0, '' or None -> None; 'N/A' and the like are no figure."""
    if value is None:
        return None
    text = value.strip().replace(",", "")
    if not text or text.upper().rstrip(".") in ("N/A", "NA", "N.A", "-"):
        return None
    try:
        number = float(text)
    except ValueError:
        raise SourceError(where, f"{name} is {value!r}, not a number") from None
    if number < 0:
        raise SourceError(where, f"{name} is {value!r}, a negative number")
    if kind is int:
        if not number.is_integer():
            raise SourceError(where, f"{name} is {value!r}, not a whole number")
        return int(number)
    return number


def _figures(raw: dict[str, str | None], where: str) -> dict[str, float | int | None]:
    out: dict[str, float | int | None] = {}
    for name in REPORTED_INT_FIELDS:
        out[name] = _number(raw.get(name), int, where, name)
    for name in REPORTED_FLOAT_FIELDS:
        out[name] = _number(raw.get(name), float, where, name)
    return out


# ---------------------------------------------------------------------------------------- XML

def parse_xml(data: bytes, *, where: str, source_file: str) -> list[ReportedRecord]:
    """One agency's annual report: a record per component and one for the agency's total."""
    try:
        root = SafeET.fromstring(data)
    except SafeET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else ""
        raise SourceError(f"{where}:{line}".rstrip(":"), f"not well-formed XML ({exc})") from None
    except DefusedXmlException as exc:
        raise SourceError(where, f"refused: {exc.__class__.__name__} (entities or DTDs are not allowed)") from None
    if _local(root.tag) != "FoiaAnnualReport":
        raise SourceError(where, f"not a FOIA annual report (root element {_local(root.tag)!r})")
    year_text = None
    orgs: dict[str, tuple[str, str]] = {}
    agency_org: str | None = None
    for elem in root.iter():
        tag = _local(elem.tag)
        if tag == "DocumentFiscalYearDate" and elem.text:
            year_text = elem.text.strip()
        elif tag in ("Organization", "OrganizationSubUnit"):
            org_id = elem.get(STRUCTURES + "id") or ""
            orgs[org_id] = (_text(elem, "OrganizationAbbreviationText") or "",
                            " ".join((_text(elem, "OrganizationName") or "").split()))
            if tag == "Organization" and agency_org is None:
                agency_org = org_id
    if not year_text or not year_text[:4].isdigit():
        raise SourceError(where, "no fiscal year (DocumentFiscalYearDate)")
    if agency_org is None:
        raise SourceError(where, "no agency (nc:Organization)")
    year = int(year_text[:4])

    def section(name: str) -> Element | None:
        return _child(root, name)

    def associations(sec: Element | None, kind: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for assoc in sec if sec is not None else []:
            if _local(assoc.tag) == kind:
                data_ref = org_ref = None
                for c in assoc:
                    if _local(c.tag) == "ComponentDataReference":
                        data_ref = c.get(STRUCTURES + "ref")
                    elif _local(c.tag) == "OrganizationReference":
                        org_ref = c.get(STRUCTURES + "ref")
                if data_ref and org_ref:
                    out[data_ref] = org_ref
        return out

    raw: dict[str, dict[str, str | None]] = {}
    sec = section("ProcessedRequestSection")
    links = associations(sec, "ProcessingStatisticsOrganizationAssociation")
    for ps in sec if sec is not None else []:
        if _local(ps.tag) == "ProcessingStatistics":
            v = raw.setdefault(links.get(ps.get(STRUCTURES + "id") or "", ""), {})
            v["received"] = _text(ps, "ProcessingStatisticsReceivedQuantity")
            v["processed"] = _text(ps, "ProcessingStatisticsProcessedQuantity")
            v["pending_end"] = _text(ps, "ProcessingStatisticsPendingAtEndQuantity")
    sec = section("ProcessedResponseTimeSection")
    links = associations(sec, "ProcessedResponseTimeOrganizationAssociation")
    for prt in sec if sec is not None else []:
        if _local(prt.tag) == "ProcessedResponseTime":
            v = raw.setdefault(links.get(prt.get(STRUCTURES + "id") or "", ""), {})
            for kind in ("Simple", "Complex", "Expedited"):
                times = _child(prt, kind + "ResponseTime")
                v[kind.lower() + "_median_days"] = _text(times, "ResponseTimeMedianDaysValue")
                v[kind.lower() + "_average_days"] = _text(times, "ResponseTimeAverageDaysValue")
    sec = section("AppealResponseTimeSection")
    links = associations(sec, "ResponseTimeOrganizationAssociation")
    for rt in sec if sec is not None else []:
        if _local(rt.tag) == "ResponseTime":
            raw.setdefault(links.get(rt.get(STRUCTURES + "id") or "", ""), {})["appeal_median_days"] = \
                _text(rt, "ResponseTimeMedianDaysValue")
    agency_abbr, agency_name = orgs[agency_org]
    out = []
    for org_id, values in raw.items():
        if org_id and org_id not in orgs:
            raise SourceError(where, f"figures refer to an unknown organization {org_id!r}")
        abbr, name = orgs.get(org_id, ("", ""))  # '': figures the report links to no component
        out.append(ReportedRecord(fiscal_year=year, agency=agency_abbr, agency_name=agency_name, component=abbr,
                                  component_name=name, is_agency_total=org_id == agency_org,
                                  source_file=source_file, where=f"{where} ({abbr or name})",
                                  figures=_figures(values, f"{where} ({abbr or name})")))
    return out


def parse_zip(path: Path) -> list[ReportedRecord]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(str(path), f"not a readable zip file ({exc})") from None
    out: list[ReportedRecord] = []
    with archive:
        names = sorted(n for n in archive.namelist() if n.lower().endswith(".xml") and not n.startswith("__MACOSX"))
        if not names:
            raise SourceError(str(path), "no .xml files in this zip")
        for name in names:
            info = archive.getinfo(name)
            if info.file_size > 50 * 1024 * 1024:
                raise SourceError(f"{path}!{name}", "larger than 50 MB; not a FOIA annual report")
            out += parse_xml(archive.read(name), where=f"{path}!{name}", source_file=Path(name).name)
    return out


# ---------------------------------------------------------------------------------------- CSV

def is_report_csv(header: list[str]) -> bool:
    return {"fiscal_year", "agency", "component", "is_agency_total"} <= set(header)


def parse_csv(path: Path, text: str) -> list[ReportedRecord]:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise SourceError(f"{path}:1", f"missing column(s) {', '.join(missing)}")
    out = []
    for row in reader:
        where = f"{path}:{reader.line_num}"
        if None in row:
            raise SourceError(where, "more values than columns")
        year = (row.get("fiscal_year") or "").strip()
        if not (year.isdigit() and len(year) == 4):
            raise SourceError(where, f"fiscal_year is {year!r}, not a year such as 2024")
        total = (row.get("is_agency_total") or "").strip().lower()
        if total not in ("true", "false", "1", "0", "yes", "no"):
            raise SourceError(where, f"is_agency_total is {row.get('is_agency_total')!r}; use True or False")
        if not (row.get("agency") or "").strip():
            raise SourceError(where, "agency is empty")
        raw: dict[str, Any] = {k: row.get(k) for k in (*REPORTED_INT_FIELDS, *REPORTED_FLOAT_FIELDS)}
        out.append(ReportedRecord(fiscal_year=int(year), agency=row["agency"].strip(),
                                  agency_name=" ".join((row.get("agency_name") or "").split()),
                                  component=(row.get("component") or "").strip(),
                                  component_name=" ".join((row.get("component_name") or "").split()),
                                  is_agency_total=total in ("true", "1", "yes"),
                                  source_file=(row.get("source_file") or "").strip(), where=where,
                                  figures=_figures(raw, where)))
    return out


def parse(paths: list[Path], *, source: str = SOURCE, texts: dict[Path, str] | None = None) -> SourceData:
    out = SourceData(source=source, kind="foiagov", paths=[str(p) for p in paths])
    for path in paths:
        suffix = path.suffix.lower()
        if path.is_dir():
            files = sorted(path.glob("*.xml")) + sorted(path.glob("*.zip"))
            if not files:
                raise SourceError(str(path), "no .xml or .zip files in this folder")
            out.reported += parse(files, source=source).reported
        elif suffix == ".zip":
            out.reported += parse_zip(path)
        elif suffix == ".xml":
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise SourceError(str(path), f"cannot be read ({exc})") from None
            out.reported += parse_xml(data, where=str(path), source_file=path.name)
        else:
            text = (texts or {}).get(path)
            if text is None:
                text = path.read_text(encoding="utf-8-sig")
            out.reported += parse_csv(path, text)
    return out
