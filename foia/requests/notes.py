"""Internal notes on a request: private remarks for colleagues.

A note is not a communication: it is never sent to the agency, never shown as correspondence ("From the
agency"), never written to the ledger (so it moves no clock). Who sees notes: people who may see the request AND belong
to its organization, administrators included only when they belong to it (issue 19: "visible only inside the
organization"). A public request is visible to every signed-in user, but its notes stay with the organization
that keeps the request; they are left out of its History for everyone else and out of the evidence bundle.
A note may @mention colleagues (foia.requests.mentions): each gets one email with a link, sent by the
scheduler. Removing a note hides it (removed_at) and keeps the row; both writes are audited.
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
from foia.requests.mentions import add_mentions, resolve

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


def add_note(session: Session, *, actor: User, now: datetime, req: Request, body: str,
             mentions: bool = True) -> InternalNote:
    """Add a note; with `mentions`, the colleagues it @mentions are resolved (or the note refused whole) and
    queued for one email each. Imported notes pass mentions=False: an import mails nobody."""
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError({"body": "Write the note (up to 5,000 characters)."})
    if len(text) > MAX_NOTE:
        raise ValidationError({"body": f"Keep the note under {MAX_NOTE:,} characters (it has {len(text):,})."})
    if "\x00" in text:
        raise ValidationError({"body": "The note contains a NUL character, which cannot be saved."})
    if not can_see_notes(actor, req):
        raise ValidationError({"body": "Only people of the request's organization can add notes to it."})
    mentioned = resolve(session, actor=actor, req=req, text=text) if mentions else []  # before any write
    note = InternalNote(request_id=req.id, author_id=actor.id, body=text, created_at=now)
    session.add(note)
    session.flush()
    add_mentions(session, note=note, mentioned=mentioned, now=now)
    after: dict[str, object] = {"request": req.ref, "body": text}
    if mentioned:
        after["mentions"] = [user.email for _, user in mentioned]
    audit(session, actor=actor, now=now, action="note:add", entity=note, after=after)
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
