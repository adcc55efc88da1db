"""Internal notes on a request: private remarks for colleagues.

A note is not a communication: it is never sent to the agency, never shown as correspondence ("From the
agency"), never written to the ledger (so it moves no clock) and not emailed. Who sees notes: people who
may see the request AND belong to its organization (or an admin). A public request is visible to every
signed-in user, but its notes stay with the organization that keeps the request ("for colleagues").
Removing a note hides it (removed_at) and keeps the row; both writes are audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from foia.core.access import can_edit, can_see_internal
from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.models import Request, User
from foia.models.communication import InternalNote

MAX_NOTE = 5000


def can_see_notes(user: User | None, req: Request) -> bool:
    return can_see_internal(user, req)


def can_remove_note(user: User | None, req: Request, note: InternalNote) -> bool:
    if user is None or not can_see_notes(user, req):
        return False
    return note.author_id == user.id or can_edit(user, req)


def notes_for(session: Session, req: Request) -> list[InternalNote]:
    """The request's notes still shown, oldest first."""
    return list(session.scalars(select(InternalNote).options(joinedload(InternalNote.author))
                                .where(InternalNote.request_id == req.id, InternalNote.removed_at.is_(None))
                                .order_by(InternalNote.created_at, InternalNote.id)))


def add_note(session: Session, *, actor: User, now: datetime, req: Request, body: str) -> InternalNote:
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError({"body": "Write the note (up to 5,000 characters)."})
    if len(text) > MAX_NOTE:
        raise ValidationError({"body": f"Keep the note under {MAX_NOTE:,} characters (it has {len(text):,})."})
    if "\x00" in text:
        raise ValidationError({"body": "The note contains a NUL character, which cannot be saved."})
    if not can_see_notes(actor, req):
        raise ValidationError({"body": "Only people of the request's organization can add notes to it."})
    note = InternalNote(request_id=req.id, author_id=actor.id, body=text, created_at=now)
    session.add(note)
    session.flush()
    audit(session, actor=actor, now=now, action="note:add", entity=note,
          after={"request": req.ref, "body": text})
    return note


def remove_note(session: Session, *, actor: User, now: datetime, req: Request, note: InternalNote) -> InternalNote:
    if note.request_id != req.id:
        raise ValidationError({"note": "That note belongs to another request."})
    if note.removed_at is not None:
        raise ValidationError({"note": "That note was already removed."})
    if not can_remove_note(actor, req, note):
        raise ValidationError({"note": "Only the note's author or an editor of the request can remove it."})
    note.removed_at, note.removed_by_id = now, actor.id
    audit(session, actor=actor, now=now, action="note:remove", entity=note,
          before={"body": note.body}, after={"request": req.ref, "removed_at": now.isoformat()})
    session.flush()
    return note
