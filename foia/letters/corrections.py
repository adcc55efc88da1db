"""Undo "recorded as sent" on a letter: for a click on the wrong letter or the wrong day, on the same local day
it was recorded (in the agency's time zone), and only when it was recorded by hand (portal, post, fax). An email
that went out from the app cannot be unsent.

The ledger's "sent" event is voided (kept, marked, with the reason), the letter's sent date and method are
cleared (and, for the request letter, the request's), the status is re-derived, the clocks recomputed and the
reminders re-planned; an audit row says what was undone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from foia.communications.corrections import Correction, moved_after, moved_before, settle, snapshot_clocks
from foia.core.audit import audit
from foia.core.clock import local_today
from foia.core.errors import ValidationError
from foia.models import SEND_METHODS, Delivery, Event, LetterVersion, Request, User

UNDO_REASON = "Undo \"recorded as sent\""


def sent_event(session: Session, version: LetterVersion) -> Event | None:
    """The live ledger event that recording this letter as sent wrote."""
    rows = session.scalars(select(Event).where(Event.request_id == version.request_id, Event.voided_at.is_(None))
                           .order_by(Event.id.desc()))
    return next((e for e in rows if (e.data or {}).get("letter_version") == version.id), None)


def undo_refusal(session: Session, version: LetterVersion, *, now: datetime) -> str | None:
    """Why "recorded as sent" cannot be undone on this letter now (None: it can)."""
    if version.sent_at is None:
        return "This letter is not recorded as sent."
    emailed = session.scalar(select(exists().where(Delivery.letter_version_id == version.id,
                                                   Delivery.status != "failed")))
    if version.sent_method == "email" or emailed:
        return ("This letter was sent by email; an email that went out cannot be unsent. If something about it "
                "was wrong, write a follow-up letter.")
    event = sent_event(session, version)
    if event is None:
        return "Its \"sent\" entry in the ledger was already voided."
    req = session.get_one(Request, version.request_id)
    tz = req.agency.timezone or None
    recorded = local_today(event.created_at, tz)
    if recorded != local_today(now, tz):
        return (f"It was recorded as sent on {recorded.strftime('%b %-d, %Y')}; \"recorded as sent\" can only be "
                "undone on the day it was recorded. Log a note saying what really happened.")
    return None


def undo_sent(session: Session, *, actor: User | None, now: datetime, version: LetterVersion) -> Correction:
    """Undo "recorded as sent" (see the module docstring). Raises ValidationError saying why it cannot."""
    problem = undo_refusal(session, version, now=now)
    if problem:
        raise ValidationError({"status": problem})
    event = sent_event(session, version)
    assert event is not None
    req = session.get_one(Request, version.request_id)
    before_clocks, status_before = snapshot_clocks(session, req), req.status
    before = {"sent_at": version.sent_at.isoformat() if version.sent_at else None, "sent_method": version.sent_method,
              "event_id": event.id, "status": status_before}
    # (the moved dates are added to `before` once known, below)
    event.voided_at, event.voided_by_id, event.void_reason = now, actor.id if actor else None, UNDO_REASON
    method = version.sent_method
    version.sent_at, version.sent_method = None, None
    if version.kind == "request":
        req_before = req.sent_at
        req.sent_at = session.scalar(select(LetterVersion.sent_at).where(
            LetterVersion.request_id == req.id, LetterVersion.kind == "request", LetterVersion.id != version.id,
            LetterVersion.sent_at.is_not(None)).order_by(LetterVersion.sent_at).limit(1))
        if req.sent_at != req_before:
            audit(session, actor=actor, now=now, action="update", entity=req,
                  before={"sent_at": req_before.isoformat() if req_before else None},
                  after={"sent_at": req.sent_at.isoformat() if req.sent_at else None})
    session.flush()
    result = settle(session, actor=actor, now=now, req=req, before_clocks=before_clocks, status_before=status_before)
    before.update(moved_before(result))
    audit(session, actor=actor, now=now, action="undo_sent", entity=version, before=before,
          after={"sent_at": None, "sent_method": None, "method_was": SEND_METHODS.get(method or "", method),
                 "voided_event": event.id, "status": result.status_after,
                 **moved_after(result)})
    session.flush()
    return result
