"""Which column holds what: the fields an import reads, and the headers recognised for each."""

from __future__ import annotations

import re
from collections.abc import Mapping

#: field -> (label, help, headers recognised for it, already normalised: lower case, words only).
FIELDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "agency": ("Agency", "Required. The agency's name, abbreviation (ICE) or FOIA Tracker short name (dhs-ice).",
               ("agency", "agency name", "public body", "public agency", "department", "office", "recipient",
                "sent to", "government body", "to")),
    "title": ("Title or subject", "Required. A short title for the request.",
              ("title", "subject", "request title", "short title", "topic", "name", "request name", "subject line")),
    "records_sought": ("Records sought", "The text of the request; the title is used when this is empty.",
                       ("records sought", "description", "records requested", "request", "request text",
                        "request description", "details", "summary", "records", "what was requested")),
    "date_sent": ("Date sent", "Required. The day the request was sent (filed, submitted).",
                  ("date sent", "sent", "sent on", "date filed", "filed", "filed on", "date submitted", "submitted",
                   "submitted on", "request date", "date requested", "date of request", "requested", "date")),
    "law": ("Law", "The law the request was made under (FOIA, CPRA...); empty: the agency's own law.",
            ("law", "statute", "law type", "under", "act")),
    "tracking_number": ("Tracking number", "The agency's own number for the request.",
                        ("tracking number", "tracking no", "tracking", "agency tracking number", "agency number",
                         "case number", "case no", "foia number", "request number", "agency reference",
                         "control number", "agency id", "agency request id")),
    "status": ("Status", "Used with the date closed: denied, partly denied, no records, withdrawn; anything "
                         "else closed counts as records released.",
               ("status", "state", "outcome", "result", "disposition", "current status")),
    "date_acknowledged": ("Date acknowledged", "The day the agency confirmed receipt.",
                          ("date acknowledged", "acknowledged", "acknowledged on", "ack date", "date of acknowledgment",
                           "date of acknowledgement", "acknowledgment date", "acknowledgement date", "date received",
                           "received by agency")),
    "date_closed": ("Date closed", "The day the agency answered for good (released, denied...).",
                    ("date closed", "closed", "closed on", "close date", "date completed", "completed",
                     "date resolved", "resolved", "date of response", "response date", "date fulfilled")),
    "notes": ("Notes", "Kept as an internal note on the request.",
              ("notes", "note", "comments", "comment", "remarks", "internal notes")),
    "external_id": ("Your id for the row", "Your spreadsheet's own id for the request: a re-import finds it "
                                            "by this and does not create it twice.",
                    ("id", "external id", "row id", "our id", "internal id", "record id", "ref", "reference",
                     "our reference", "log id", "number", "no", "request id")),
}

REQUIRED = ("agency", "title", "date_sent")


def normalise_header(text: str) -> str:
    text = (text or "").lower().replace("#", " number ").replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def guess_mapping(headers: list[str]) -> dict[str, int | None]:
    """field -> column index (None: not in the file). An exact header match wins; then a header that
    contains a recognised phrase (e.g. "Date request sent" for "date sent"). Each column serves one field."""
    norm = [normalise_header(h) for h in headers]
    mapping: dict[str, int | None] = dict.fromkeys(FIELDS)
    used: set[int] = set()
    for field, (_label, _help, names) in FIELDS.items():  # exact first, for every field
        for i, h in enumerate(norm):
            if i not in used and h in names:
                mapping[field] = i
                used.add(i)
                break
    for field, (_label, _help, names) in FIELDS.items():
        if mapping[field] is not None:
            continue
        for i, h in enumerate(norm):
            words = f" {h} "
            if i not in used and any(len(n) > 3 and f" {n} " in words for n in names):
                mapping[field] = i
                used.add(i)
                break
    return mapping


def clean_mapping(raw: Mapping[str, object], headers: list[str]) -> tuple[dict[str, int | None], dict[str, str]]:
    """A mapping from a form or a stored file: known fields only, columns that exist, each used once.
    Returns the mapping and errors by field (a required field without a column, a column chosen twice)."""
    out: dict[str, int | None] = dict.fromkeys(FIELDS)
    errors: dict[str, str] = {}
    used: dict[int, str] = {}
    for field in FIELDS:
        value = raw.get(field)
        text = str(value).strip() if value is not None else ""
        if not text:
            continue
        if not (text.isdigit() and len(text) < 4 and int(text) < len(headers)):
            errors[field] = "Choose a column from the list."
        elif int(text) in used:
            errors[field] = (f"The column “{headers[int(text)]}” is already used for the "
                             f"{FIELDS[used[int(text)]][0].lower()}; choose another or none.")
        else:
            out[field] = int(text)
            used[int(text)] = field
    for field in REQUIRED:
        if out[field] is None and field not in errors:
            errors[field] = f"Choose the column that holds the {FIELDS[field][0].lower()}."
    return out, errors


def mapping_errors(mapping: dict[str, int | None]) -> dict[str, str]:
    """Errors by field for a recognised mapping that lacks a required column."""
    return {f: f"No column was recognised as the {FIELDS[f][0].lower()}; name it." for f in REQUIRED
            if mapping.get(f) is None}
