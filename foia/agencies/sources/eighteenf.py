"""The 18F federal FOIA contacts (github.com/18F/2015-foia, `contacts/data/*.yaml`; public domain + CC0).

One YAML file per agency: the agency's own contact at the top level (for a few) and its offices under
`departments` (424 in all). Each file becomes one parent row (slug: the agency's abbreviation, e.g. `dhs`)
and one row per office (slug: parent slug + '-' + the office's abbreviation, e.g. `dhs-ice`; or a short
slug of its name when neither 18F nor FOIA.gov gives one, e.g. `doj-antitrust-division`). An agency whose only
office is itself (92 of them) is one row. Keys: the agency's abbreviation ('DHS'), an office 'DHS/ICE', or
'DHS/<office name>' when 18F gives no abbreviation.

Named people are kept out of what letters use: address lines that are a person's name are dropped from the
mailing address (the FOIA officer and public liaison stay in `details`)."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from foia.agencies.sources.records import (
    FEDERAL_DEFAULT_TIMEZONE,
    AgencyRecord,
    SourceData,
    SourceError,
    methods_from,
    short_slug,
    slugify,
    state_timezone,
    valid_email,
)

SOURCE = "18F-2017"
#: The day the 18F data was last regenerated (commit fc2ba3c, "update the latest data").
AS_OF = date(2017, 7, 25)
JURISDICTION = "United States (federal)"
LAW = "us-foia"

#: Slugs kept from before the directory was imported (the demo's, and a few clearer than the abbreviation),
#: by source key. Everything else follows the rule in the module docstring.
SLUG_OVERRIDES: dict[str, str] = {
    "DHS/Headquarters & Privacy Office": "dhs-privacy",
    "DOS": "state",
    "DOS/Department of State": "state-department",
    "DOS/Office of Inspector General": "state-oig",
}

#: Abbreviations for offices 18F lists without one (`abbreviations.csv`: mostly the abbreviation the
#: office uses in its FOIA.gov annual report, matched by name within the same department).
ABBREVIATIONS_FILE = Path(__file__).resolve().parent.parent / "data" / "18f" / "abbreviations.csv"


def load_abbreviations(path: Path = ABBREVIATIONS_FILE) -> dict[str, str]:
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["source_key"]: row["abbreviation"] for row in csv.DictReader(fh) if row.get("abbreviation")}


# ---------------------------------------------------------------------------------------- YAML with lines

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_Base):
    """yaml.safe_load (the C parser when PyYAML has it), with each mapping's line number as '__line__'."""


def _mapping_with_line(loader: Any, node: Any) -> dict[str, Any]:
    mapping = yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor("tag:yaml.org,2002:map", _mapping_with_line)


def load_yaml(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_LineLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SourceError(f"{path}{line}", f"not valid YAML ({problem})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(str(path), f"cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise SourceError(f"{path}:1", "expected an agency (a mapping with name, abbreviation and departments)")
    return data


# ---------------------------------------------------------------------------------------- people's names

_ROLE_WORDS = frozenset("""
office offices building bldg suite room floor foia foi officer division staff counsel secretary director center centre
command lobby tower box stop region department bureau agency service services records privacy act liaison public
square headquarters headquaters branch unit section team program administration attn assistant deputy acting chief
general management information disclosure freedom legal affairs national federal state united states u.s. us of the
and for to coordinator specialist manager analyst supervisor supervisory associate senior principal executive
operations support library archives archivist mail mailstop plaza street avenue road drive way boulevard lane park
wing north south east west district field local area commission board council corporation foundation institute trust
fund authority court attorney advisor paralegal contact requester vacant solicitor clerk memorial
""".split())  # noqa: SIM905 - a word list reads better as text
_NAME_TOKEN = re.compile(r"^(?:[A-Z]\.(?:[A-Z][a-z]+)?|[A-Z][a-z'’?]+(?:-[A-Z][a-z'’?]+)*|Mc[A-Z][a-z]+|[A-Z][a-z]+[A-Z][a-z]+"
                         r"|Jr\.?|Sr\.?|I{1,3}|Ph\.D\.|Van|de|De|La|Le)$")


def looks_like_person(line: str, known: set[str]) -> bool:
    """An address line that is a person's name ('Jill Eggleston', 'Alice M. Ritter', 'FOIA: Sally Blibo'),
    judged by the names the data gives elsewhere and by shape: two to four capitalised words, no digits, no
    word of an office or a role ('FOIA Officer', 'Room 4458' and 'Liberty Square Building' stay)."""
    text = re.sub(r"^(?:FOIA|Attn|ATTN)\s*:\s*", "", line.strip()).strip().rstrip(",")
    text = re.sub(r",?\s*\(?\b[Aa]cting\)?$", "", text).strip()
    if text.lower() in known:
        return True
    if re.search(r"\d", text):
        return False
    parts = [p.strip() for p in text.split("/")]
    return all(_person_shape(p) for p in parts if p) and bool(parts)


def _person_shape(text: str) -> bool:
    tokens = text.replace(",", " ").split()
    if not 2 <= len(tokens) <= 5:
        return False
    if any(t.lower().strip(".,") in _ROLE_WORDS for t in tokens):
        return False
    return all(_NAME_TOKEN.match(t) for t in tokens)


# ---------------------------------------------------------------------------------------- records

def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value if v is not None)
    return re.sub(r"\s+", " ", str(value)).strip()


def _person(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    name = _text(value.get("name"))
    phones = [_text(p) for p in (value.get("phone") or []) if _text(p)] if isinstance(value.get("phone"), list) \
        else ([_text(value.get("phone"))] if value.get("phone") else [])
    if not name and not phones:
        return None
    return {"name": name, "phone": phones}


def _address(office: dict[str, Any], known_people: set[str], where: str, notes: list[str]) -> tuple[str, str]:
    """(mailing address, state) of an office: its address lines without people's names, the street, and
    'City, ST zip'."""
    addr = office.get("address")
    if not isinstance(addr, dict):
        return "", ""
    lines = []
    raw_lines = addr.get("address_lines") or []
    if not isinstance(raw_lines, list):
        raise SourceError(f"{where.rsplit(':', 1)[0]}:{addr.get('__line__')}", "address_lines must be a list")
    for raw in raw_lines:
        line = _text(raw)
        if not line:
            continue
        if looks_like_person(line, known_people):
            notes.append(f"{where.rsplit(':', 1)[0]}:{addr.get('__line__')}: left out the address line {line!r} "
                         "(a person's name)")
            continue
        lines.append(line)
    street = _text(addr.get("street"))
    if street:
        lines.append(street)
    city, state, zipcode = _text(addr.get("city")), _text(addr.get("state")), _text(addr.get("zip"))
    last = ", ".join(p for p in (city, " ".join(p for p in (state, zipcode) if p)) if p)
    if last:
        lines.append(last)
    return "\n".join(lines), state


def _first_email(office: dict[str, Any], where: str, notes: list[str]) -> str:
    emails = office.get("emails") or []
    if isinstance(emails, str):
        emails = [emails]
    for raw in emails:
        email = _text(raw).removeprefix("mailto:").strip()
        if valid_email(email):
            return email.lower()
        notes.append(f"{where}: left out the email {_text(raw)!r} (not an email address)")
    return ""


def _url(value: Any, field_name: str, where: str, notes: list[str]) -> str:
    url = _text(value)
    if url and not re.match(r"^https?://[^\s/]+", url):
        notes.append(f"{where}: left out the {field_name} {url!r} (not a web address)")
        return ""
    return url


def _office_values(office: dict[str, Any], where: str, known_people: set[str], notes: list[str]) -> dict[str, Any]:
    address, state = _address(office, known_people, where, notes)
    values: dict[str, Any] = {
        "foia_email": _first_email(office, where, notes),
        "portal_url": _url(office.get("request_form"), "request form", where, notes),
        "website": _url(office.get("website"), "website", where, notes),
        "mailing_address": address,
        "phone": _text(office.get("phone"))[:50],
        "fax": _text(office.get("fax"))[:50],
        "timezone": state_timezone(state) or "",
    }
    details: dict[str, Any] = {}
    for key in ("public_liaison", "service_center", "foia_officer"):
        person = _person(office.get(key))
        if person:
            details[key] = person
    rooms = office.get("reading_rooms") or []
    if isinstance(rooms, list):
        kept = [[_text(r[0]), _text(r[1])] for r in rooms
                if isinstance(r, list) and len(r) >= 2 and re.match(r"^https?://", _text(r[1]))]
        if kept:
            details["reading_rooms"] = kept
    if _text(office.get("notes")):
        details["notes"] = _text(office.get("notes"))
    values["details"] = details
    return values


def _people_in(data: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for office in [data, *(data.get("departments") or [])]:
        if isinstance(office, dict):
            for key in ("public_liaison", "foia_officer", "service_center"):
                person = office.get(key)
                if isinstance(person, dict) and _text(person.get("name")):
                    name = re.sub(r",?\s*\(?\b[Aa]cting\)?$", "", _text(person.get("name"))).strip().lower()
                    if len(name.split()) >= 2:
                        out.add(name)
    return out


def _has_contact(office: dict[str, Any]) -> bool:
    return any(office.get(k) for k in ("emails", "address", "request_form", "phone", "website"))


def yaml_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml"))
            if not found:
                raise SourceError(str(path), "no .yaml files in this folder")
            files += found
        else:
            files.append(path)
    return files


def parse(paths: list[Path], *, source: str = SOURCE) -> SourceData:
    files = yaml_files(paths)
    out = SourceData(source=source, kind="18f", paths=[str(p) for p in paths], as_of=AS_OF)
    abbreviations = load_abbreviations()
    slugs: dict[str, str] = {}      # slug -> where, to keep them unique across files
    keys: set[str] = set()
    for path in files:
        data = load_yaml(path)
        _parse_agency(path, data, out, abbreviations, slugs, keys)
    return out


def _require(data: dict[str, Any], key: str, where: str) -> str:
    value = _text(data.get(key))
    if not value:
        raise SourceError(where, f"missing {key!r}")
    return value


def _unique(slug: str, slugs: dict[str, str], where: str) -> str:
    candidate, n = slug, 2
    while candidate in slugs:
        suffix = f"-{n}"
        candidate = slug[:64 - len(suffix)].rstrip("-") + suffix
        n += 1
    slugs[candidate] = where
    return candidate


def _parse_agency(path: Path, data: dict[str, Any], out: SourceData, abbreviations: dict[str, str],
                  slugs: dict[str, str], keys: set[str]) -> None:
    top = f"{path}:{data.get('__line__', 1)}"
    name = _require(data, "name", top)
    abbr = _require(data, "abbreviation", top)
    departments = data.get("departments") or []
    if not isinstance(departments, list) or not all(isinstance(d, dict) for d in departments):
        raise SourceError(top, "'departments' must be a list of offices")
    if abbr in keys:
        raise SourceError(top, f"the abbreviation {abbr!r} is also used by another file")
    keys.add(abbr)
    parent_slug = _unique(SLUG_OVERRIDES.get(abbr) or slugify(abbr), slugs, top)
    people = _people_in(data)
    folded = len(departments) == 1
    base = {"jurisdiction": JURISDICTION, "law": LAW, "appeal_authority": "", "appeal_address": "",
            "appeal_email": ""}
    # The agency's own row: its top-level contact, or (for a single-office agency) its office's, the
    # top level filling what the office lacks.
    own = _office_values(data, top, people, out.notes)
    if folded:
        office = departments[0]
        where = f"{path}:{office.get('__line__', '')}"
        office_values = _office_values(office, where, people, out.notes)
        for key, value in office_values.items():
            if key == "details":
                own["details"] = {**own["details"], **value}
            elif value:
                own[key] = value
    parent_values = {**base, **own, "slug": parent_slug, "name": name[:200], "abbreviation": abbr[:50],
                     "department": ""}
    parent_values["timezone"] = parent_values["timezone"] or FEDERAL_DEFAULT_TIMEZONE
    parent_values["filing_methods"] = methods_from(parent_values)
    parent_values["parent"] = ""
    out.agencies.append(AgencyRecord(source_key=abbr, where=top, values=parent_values))
    if folded:
        return
    for office in departments:
        where = f"{path}:{office.get('__line__', '')}"
        office_name = _require(office, "name", where)
        own_abbr = _text(office.get("abbreviation"))
        key = f"{abbr}/{own_abbr or office_name}"[:200]
        if key in keys:
            n = 2
            while f"{key}#{n}" in keys:
                n += 1
            key = f"{key}#{n}"
        keys.add(key)
        office_abbr = own_abbr or abbreviations.get(key, "")
        slug = SLUG_OVERRIDES.get(key) or (
            f"{parent_slug}-{slugify(office_abbr, limit=63 - len(parent_slug))}" if office_abbr
            else f"{parent_slug}-{short_slug(office_name, limit=63 - len(parent_slug))}")
        slug = _unique(slug, slugs, where)
        values = {**base, **_office_values(office, where, people, out.notes), "slug": slug, "name": office_name[:200],
                  "abbreviation": office_abbr[:50], "department": name[:200], "parent": parent_slug}
        values["timezone"] = values["timezone"] or parent_values["timezone"]
        values["filing_methods"] = methods_from(values)
        out.agencies.append(AgencyRecord(source_key=key, where=where, values=values, parent_key=abbr))
