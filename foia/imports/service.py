"""The import itself: every ready row of a preview becomes a request through the same services as the
web's new-request form and its communication log (create_request, log_event, log_communication,
add_note), so its ledger, clocks, reminders, search entry and audit rows are what typing it in would give.

All rows or none: the caller commits once after `run_import` returns; on any error `run_import` rolls the
session back and raises (`ImportFailed` names the row)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import false, update
from sqlalchemy.orm import Session

from foia.communications.effects import DEFAULT_DIRECTION
from foia.communications.service import log_communication
from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.imports.columns import clean_mapping, guess_mapping, mapping_errors
from foia.imports.preview import CLOSING_LABELS, Preview, RowPlan, build_preview, sent_instant
from foia.imports.reading import read_table
from foia.models import Request, User
from foia.requests.notes import add_note
from foia.requests.service import RequestInput, create_request, log_event, update_request


class ImportFailed(Exception):
    def __init__(self, row: int, reason: str):
        self.row, self.reason = row, reason
        super().__init__(f"row {row}: {reason}")


@dataclass
class ImportResult:
    imported: list[tuple[int, str]] = field(default_factory=list)      # (row, new reference)
    duplicates: list[tuple[int, str]] = field(default_factory=list)    # (row, existing reference or "row N")
    invalid: list[tuple[int, str]] = field(default_factory=list)       # (row, reason)
    refused: bool = False          # invalid rows and not skip_invalid: nothing was imported

    def as_dict(self) -> dict[str, Any]:
        return {"imported": len(self.imported), "refs": [ref for _row, ref in self.imported],
                "duplicates": [{"row": r, "of": ref} for r, ref in self.duplicates],
                "invalid": [{"row": r, "reason": why} for r, why in self.invalid], "refused": self.refused}


def problems(preview: Preview) -> list[tuple[int, str]]:
    return [(p.number, why) for p in preview.rows if p.state in ("invalid", "ask") for why in p.problems()]


def run_import(session: Session, *, actor: User, now: datetime, preview: Preview, skip_invalid: bool,
               timezone: str | None = None, source: str = "") -> ImportResult:
    """Import the preview's ready rows. Without `skip_invalid`, any invalid or unanswered row imports
    nothing (`refused`). Duplicates are always left out and reported. Does not commit."""
    result = ImportResult(invalid=problems(preview),
                          duplicates=[(p.number, p.duplicate_of or "") for p in preview.rows if p.state == "duplicate"])
    if result.invalid and not skip_invalid:
        result.refused = True
        return result
    current = 0
    try:
        _begin_for_real(session)
        for plan in preview.ready:
            current = plan.number
            req = import_row(session, actor=actor, now=now, plan=plan, timezone=timezone, source=source)
            result.imported.append((plan.number, req.ref))
    except ValidationError as exc:
        session.rollback()
        raise ImportFailed(current, " ".join(exc.errors.values())) from exc
    except BaseException:
        session.rollback()
        raise
    return result


def _begin_for_real(session: Session) -> None:
    """Make the database transaction start now, before the first savepoint.

    pysqlite (SQLite's default driver mode) opens a transaction only at the first INSERT/UPDATE/DELETE; a
    SAVEPOINT issued before that (create_request allocates its reference inside one) becomes the outermost
    transaction, and releasing it COMMITS the row: a later rollback would leave the first request behind.
    An UPDATE that matches nothing starts the real transaction first. (The general fix is SQLAlchemy's
    pysqlite recipe in foia/extensions.py: isolation_level=None and an explicit BEGIN; PostgreSQL is unaffected.)"""
    session.execute(update(Request).where(false()).values(updated_at=Request.updated_at))


def import_row(session: Session, *, actor: User, now: datetime, plan: RowPlan, timezone: str | None = None,
               source: str = "") -> Request:
    assert plan.agency is not None and plan.date_sent is not None and plan.law is not None
    req = create_request(session, actor=actor, now=now, timezone=timezone, data=RequestInput(
        title=plan.title, records_sought=plan.records_sought, agency_slug=plan.agency.slug, law=plan.law))
    req.external_id = plan.external_id or None
    where = f"row {plan.number}" + (f" of {source}" if source else "")
    audit(session, actor=actor, now=now, action="import", entity=req,
          after={"source": source, "row": plan.number, "external_id": req.external_id})
    sent_at = sent_instant(plan.date_sent, req.agency.timezone)
    log_event(session, actor=actor, now=now, req=req, kind="sent", occurred_on=plan.date_sent, occurred_at=sent_at,
              notes=f"Sent (imported from a spreadsheet, {where}).", data={"method": "import", "import_row": plan.number})
    req.sent_at = sent_at
    update_request(session, actor=actor, now=now, req=req, status="submitted")
    if plan.date_acknowledged:
        log_communication(session, actor=actor, now=now, req=req, direction="incoming", kind="acknowledgment",
                          occurred_on=plan.date_acknowledged, subject="Acknowledgment (imported)",
                          tracking_number=plan.tracking_number)
    elif plan.tracking_number:
        update_request(session, actor=actor, now=now, req=req, tracking_number=plan.tracking_number)
    if plan.date_closed and plan.closing:
        log_communication(session, actor=actor, now=now, req=req, direction=DEFAULT_DIRECTION[plan.closing],
                          kind=plan.closing, occurred_on=plan.date_closed,
                          subject=f"{CLOSING_LABELS[plan.closing]} (imported"
                                  + (f"; status “{plan.status_text}”" if plan.status_text else "") + ")")
    if plan.notes:
        add_note(session, actor=actor, now=now, req=req, body=plan.notes, mentions=False)
    return req


def preview_file(session: Session, *, actor: User, now: datetime, data: bytes, filename: str,
                 mapping: dict[str, Any] | None = None, choices: dict[str, int] | None = None) -> Preview:
    """Read the file and plan its rows with `mapping` (field -> column index; None: the recognised headers).
    Raises ValidationError for an unreadable file or a mapping without the required columns."""
    table = read_table(data, filename)
    if mapping is None:
        cols = guess_mapping(table.headers)
        errors = mapping_errors(cols)
    else:
        cols, errors = clean_mapping(mapping, table.headers)
    if errors:
        raise ValidationError(errors)
    return build_preview(session, actor=actor, now=now, table=table, mapping=cols, choices=choices)
