"""Readers for the agency directory's sources, and which reader a path needs.

`read_paths` looks at each path: a folder of .yaml files or a .yaml file is the 18F federal FOIA contacts;
a .zip, an .xml or a folder of them is FOIA.gov annual reports; a .csv is told apart by its header (FOIA.gov
extract: fiscal_year, agency, component...; NYC OpenRecords: ein, default_email, is_active...; otherwise the
directory's own layout, `layout.COLUMNS`). Everything is read (and every malformed file refused, with its
line) before anything is written."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from foia.agencies.sources import eighteenf, foiagov, layout, nyc
from foia.agencies.sources.records import (
    AgencyRecord,
    ReportedRecord,
    Skipped,
    SourceData,
    SourceError,
)

__all__ = ["AgencyRecord", "ReportedRecord", "Skipped", "SourceData", "SourceError", "detect", "read_paths"]


def _csv_header(path: Path) -> tuple[list[str], str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise SourceError(str(path), f"cannot be read ({exc.strerror or exc})") from None
    try:
        header = next(csv.reader(io.StringIO(text)), [])
    except csv.Error as exc:
        raise SourceError(f"{path}:1", f"not a CSV file ({exc})") from None
    return [h.strip() for h in header], text


def detect(path: Path) -> str:
    """'18f', 'foiagov', 'nyc' or 'layout' (raises SourceError for anything else)."""
    if not path.exists():
        raise SourceError(str(path), "no such file or folder")
    if path.is_dir():
        if any(path.glob("*.yaml")) or any(path.glob("*.yml")):
            return "18f"
        if any(path.glob("*.xml")) or any(path.glob("*.zip")):
            return "foiagov"
        raise SourceError(str(path), "a folder with neither .yaml (18F) nor .xml/.zip (FOIA.gov) files")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "18f"
    if suffix in (".zip", ".xml"):
        return "foiagov"
    if suffix == ".csv":
        header, _ = _csv_header(path)
        if foiagov.is_report_csv(header):
            return "foiagov"
        if nyc.is_nyc_csv(header):
            return "nyc"
        if layout.is_layout_csv(header):
            return "layout"
        raise SourceError(f"{path}:1", "a CSV file of no known layout (see docs/agency-directory.md for the "
                                       "columns: slug, name, jurisdiction, law, ...)")
    raise SourceError(str(path), "unknown kind of file: give a folder of 18F .yaml files, a FOIA.gov .zip, .xml "
                                 "or .csv, an NYC OpenRecords agencies.csv or a CSV in the directory's layout")


def read_paths(paths: list[Path], *, source: str | None = None) -> list[SourceData]:
    """Every path read into its source's records: one `SourceData` for all 18F paths, one for all FOIA.gov
    paths, one per NYC or layout CSV. `source` overrides the label stored on the rows."""
    kinds = [(p, detect(p)) for p in paths]
    out: list[SourceData] = []
    yaml_paths = [p for p, k in kinds if k == "18f"]
    if yaml_paths:
        out.append(eighteenf.parse(yaml_paths, source=source or eighteenf.SOURCE))
    for path, kind in kinds:
        if kind == "nyc":
            out.append(nyc.parse(path, _csv_header(path)[1], source=source or nyc.SOURCE))
        elif kind == "layout":
            out.append(layout.parse(path, _csv_header(path)[1], source=source))
    report_paths = [p for p, k in kinds if k == "foiagov"]
    if report_paths:
        out.append(foiagov.parse(report_paths, source=source or foiagov.SOURCE))
    return out
