"""Corrections to what was logged: void a communication or a ledger event, correct a communication's kind or
date. Nothing is deleted: a voided row stays, marked with who voided it, when and why, and the deadline engine
no longer reads it. After every correction the request's status is re-derived from what is still live, its
clocks are recomputed and its reminders re-planned, and the dates that moved are returned so the page can say
so ("The response deadline moved back from ... to ...").

Like every service: `session`, `actor`, `now` as keyword arguments; ValidationError on bad input with nothing
written; an audit row for each change (filed under the request, so its History shows it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from foia.clocks.service import compute_for, refresh
from foia.communications.effects import status_after
from foia.communications.service import TO_CLASSIFY, log_communication
from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.models import COMMUNICATION_KINDS, STATUSES, Communication, Event, Request, SearchEntry, User
from foia.reminders.planner import plan
from foia.requests.service import lock_request, update_request

MAX_REASON = 500


@dataclass(frozen=True)
class MovedDate:
    """A clock whose date a correction moved."""

    kind: str
    label: str
    before: date | None
    after: date | None

    @property
    def sentence(self) -> str:
        def fmt(d: date | None) -> str:
            return d.strftime("%A, %B %-d, %Y") if d else "no date"

        if self.before and self.after:
            way = "back" if self.after < self.before else "out"
            return f"{self.label}: moved {way} from {fmt(self.before)} to {fmt(self.after)}."
        if self.after:
            return f"{self.label}: now {fmt(self.after)}."
        return f"{self.label}: no longer {fmt(self.before)} (no date now)."

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "before": self.before.isoformat() if self.before else None,
                "after": self.after.isoformat() if self.after else None}


@dataclass
class Correction:
    """What a correction did: the status before and after, and the clock dates that moved."""

    status_before: str
    status_after: str
    moved: list[MovedDate] = field(default_factory=list)
    replacement: Communication | None = None

    @property
    def summary(self) -> str:
        parts = [m.sentence for m in self.moved]
        if self.status_before != self.status_after:
            parts.append(f"Status: {STATUSES.get(self.status_after, self.status_after)} "
                         f"(was {STATUSES.get(self.status_before, self.status_before)}).")
        return " ".join(parts) if parts else "No deadline moved."


def moved_before(result: Correction) -> dict[str, Any]:
    """The moved clock dates as an audit row's `before` (ISO dates by clock kind)."""
    return {m.kind: m.before.isoformat() if m.before else None for m in result.moved}


def moved_after(result: Correction) -> dict[str, Any]:
    """The moved clock dates as an audit row's `after`, with the clocks' labels for the History page."""
    if not result.moved:
        return {}
    return {**{m.kind: m.after.isoformat() if m.after else None for m in result.moved},
            "clock_labels": {m.kind: m.label for m in result.moved}}


def clean_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise ValidationError({"reason": "Say why (for the record), e.g. \"logged on the wrong request\"."})
    if len(text) > MAX_REASON:
        raise ValidationError({"reason": f"Keep the reason under {MAX_REASON} characters (it has {len(text)})."})
    return text


def _dates(clocks: Any) -> dict[str, tuple[str, date | None]]:
    return {c.kind: (c.label, c.due) for c in clocks}


# Ledger events logged by hand (or by a letter recorded as sent), not by a communication, that still say what
# happened: replayed as the communication kind they stand for. ("closed" by hand closes the request.)
EVENT_AS_KIND = {"acknowledged": "acknowledgment", "extension": "extension_notice",
                 "toll_start": "clarification_request", "toll_end": "clarification_reply",
                 "appeal_filed": "appeal_filed", "appeal_decided": "appeal_decision"}


def derive_status(session: Session, req: Request) -> str:
    """The status the request's live record gives it (communications.effects.replay_status): "draft", then
    "submitted" once a live "sent" event exists, then each live classified communication, and each live ledger
    event logged by hand that stands for one (EVENT_AS_KIND), in date order."""
    session.flush()
    live = list(session.scalars(select(Event).where(Event.request_id == req.id, Event.voided_at.is_(None))))
    sent = any(e.kind == "sent" for e in live)
    comm_events = set(session.scalars(select(Communication.event_id).where(Communication.request_id == req.id,
                                                                           Communication.event_id.is_not(None))))
    steps: list[tuple[date, int, int, str, dict | None]] = []
    for c in session.scalars(select(Communication).where(
            Communication.request_id == req.id, Communication.voided_at.is_(None))):
        if c.review_status == TO_CLASSIFY:
            continue
        steps.append((c.occurred_on, 1, c.id, c.kind, dict(c.data or {})))
    for e in live:
        if e.id in comm_events or (e.data or {}).get("communication_id"):
            continue
        if e.kind in EVENT_AS_KIND:
            steps.append((e.occurred_on, 0, e.id, EVENT_AS_KIND[e.kind], dict(e.data or {})))
        elif e.kind == "closed":
            steps.append((e.occurred_on, 0, e.id, "closed", None))
    steps.sort(key=lambda s: (s[0], s[1], s[2]))
    status = "submitted" if sent else "draft"
    for _on, _order, _id, kind, data in steps:
        status = "closed" if kind == "closed" else status_after(kind, status, data)
    return status


def settle(session: Session, *, actor: User | None, now: datetime, req: Request,
           before_clocks: dict[str, tuple[str, date | None]], status_before: str) -> Correction:
    """After a correction: re-derive the status, recompute the clocks, re-plan reminders, and say what moved."""
    status = derive_status(session, req)
    if status != req.status:
        update_request(session, actor=actor, now=now, req=req, status=status)
    clocks = refresh(session, req, now=now)
    plan(session, req, now=now, clocks=clocks)
    after = _dates(clocks)
    moved = []
    for kind in [*before_clocks, *(k for k in after if k not in before_clocks)]:
        label, was = before_clocks.get(kind, (after.get(kind, ("", None))[0], None))
        new_label, now_due = after.get(kind, (label, None))
        if was != now_due:
            moved.append(MovedDate(kind, new_label or label, was, now_due))
    return Correction(status_before=status_before, status_after=req.status, moved=moved)


def snapshot_clocks(session: Session, req: Request) -> dict[str, tuple[str, date | None]]:
    session.flush()
    return _dates(compute_for(session, req))


def _void_event_row(event: Event, *, actor: User | None, now: datetime, reason: str) -> None:
    event.voided_at, event.voided_by_id, event.void_reason = now, actor.id if actor else None, reason


def events_of(session: Session, comm: Communication) -> list[Event]:
    """The ledger events a communication wrote: its main event and any whose data names it."""
    rows = session.scalars(select(Event).where(Event.request_id == comm.request_id).order_by(Event.id))
    return [e for e in rows if e.id == comm.event_id or (e.data or {}).get("communication_id") == comm.id]


def _void_comm(session: Session, *, actor: User | None, now: datetime, comm: Communication, reason: str) -> list[int]:
    if comm.voided_at is not None:
        raise ValidationError({"communication": "This communication was already voided."})
    comm.voided_at, comm.voided_by_id, comm.void_reason = now, actor.id if actor else None, reason
    voided = []
    for e in events_of(session, comm):
        if e.voided_at is None:
            _void_event_row(e, actor=actor, now=now, reason=reason)
            voided.append(e.id)
    session.execute(delete(SearchEntry).where(SearchEntry.source_type == "communication",
                                              SearchEntry.source_id == comm.id))
    return voided


def void_communication(session: Session, *, actor: User | None, now: datetime, comm: Communication,
                       reason: str) -> Correction:
    """Void a communication logged by mistake: it and every ledger event it wrote stay, marked voided; its
    search entry goes; the status, clocks and reminders follow what is left."""
    text = clean_reason(reason)
    req = lock_request(session, session.get_one(Request, comm.request_id))
    session.refresh(comm)  # as committed: another person may have voided it while we waited
    before_clocks, status_before = snapshot_clocks(session, req), req.status
    voided = _void_comm(session, actor=actor, now=now, comm=comm, reason=text)
    result = settle(session, actor=actor, now=now, req=req, before_clocks=before_clocks, status_before=status_before)
    audit(session, actor=actor, now=now, action="void", entity=comm,
          before={"voided_at": None, "status": status_before,
                  **moved_before(result)},
          after={"kind": comm.kind, "occurred_on": comm.occurred_on.isoformat(), "reason": text,
                 "voided_events": voided, "status": result.status_after,
                 **moved_after(result)})
    session.flush()
    return result


def written_by_communication(session: Session, event: Event) -> Communication | None:
    """The communication that wrote this ledger event, if one did."""
    cid = (event.data or {}).get("communication_id")
    if isinstance(cid, int):
        return session.get(Communication, cid)
    return session.scalar(select(Communication).where(Communication.event_id == event.id).limit(1))


def void_refusal(session: Session, event: Event) -> str | None:
    """Why this ledger event cannot be voided by itself (None: it can)."""
    if event.voided_at is not None:
        return "This event was already voided."
    if event.kind == "created":
        return "The request's creation cannot be voided; delete the draft instead if it was never sent."
    if written_by_communication(session, event) is not None:
        return "This event was written by a logged communication: void the communication instead."
    if (event.data or {}).get("letter_version"):
        return ("This event records a letter as sent: undo \"recorded as sent\" on the letter's page "
                "(possible on the day it was recorded).")
    return None


def void_event(session: Session, *, actor: User | None, now: datetime, event: Event, reason: str) -> Correction:
    """Void a ledger event logged by hand (a receipt, a sending, a closure...), not one a communication wrote."""
    problem = void_refusal(session, event)
    if problem:
        raise ValidationError({"event": problem})
    text = clean_reason(reason)
    req = lock_request(session, session.get_one(Request, event.request_id))
    before_clocks, status_before = snapshot_clocks(session, req), req.status
    _void_event_row(event, actor=actor, now=now, reason=text)
    result = settle(session, actor=actor, now=now, req=req, before_clocks=before_clocks, status_before=status_before)
    audit(session, actor=actor, now=now, action="void", entity=event,
          before={"voided_at": None, "status": status_before,
                  **moved_before(result)},
          after={"kind": event.kind, "occurred_on": event.occurred_on.isoformat(), "reason": text,
                 "status": result.status_after,
                 **moved_after(result)})
    session.flush()
    return result


def correct_communication(session: Session, *, actor: User | None, now: datetime, comm: Communication,
                          reason: str, kind: str | None = None, occurred_on: date | str | None = None,
                          **changes: Any) -> Correction:
    """Correct a communication's kind or date: void it (with the reason) and log a new one that names it
    (`replaces_id`), copying its subject, body, tracking number, exemptions and data unless `changes` give
    others. All or nothing: when the new entry is invalid, the void is undone too and ValidationError raised."""
    text = clean_reason(reason)
    if comm.voided_at is not None:
        raise ValidationError({"communication": "This communication was already voided."})
    new_kind = kind or comm.kind
    new_on = occurred_on or comm.occurred_on
    if new_kind not in COMMUNICATION_KINDS:
        raise ValidationError({"kind": "Choose what the communication is from the list."})
    req = lock_request(session, session.get_one(Request, comm.request_id))
    before_clocks, status_before = snapshot_clocks(session, req), req.status
    copied: dict[str, Any] = {
        "direction": comm.direction, "subject": comm.subject, "body": comm.body,
        "tracking_number": comm.tracking_number, "exemptions": list(comm.exemptions or []),
        "data": dict(comm.data or {}), "occurred_at": comm.occurred_at if new_on == comm.occurred_on else None,
        "from_addr": comm.from_addr, "to_addrs": comm.to_addrs, "headers": comm.headers,
        "raw_sha256": comm.raw_sha256,
    }
    copied.update(changes)
    savepoint = session.begin_nested()
    try:
        voided = _void_comm(session, actor=actor, now=now, comm=comm, reason=text)
        new = log_communication(session, actor=actor, now=now, req=req, kind=new_kind, occurred_on=new_on, **copied)
        new.replaces_id = comm.id
        session.flush()
    except ValidationError:
        savepoint.rollback()
        raise
    savepoint.commit()
    result = settle(session, actor=actor, now=now, req=req, before_clocks=before_clocks, status_before=status_before)
    result.replacement = new
    audit(session, actor=actor, now=now, action="correct", entity=comm,
          before={"kind": comm.kind, "occurred_on": comm.occurred_on.isoformat(), "status": status_before,
                  **moved_before(result)},
          after={"kind": new.kind, "occurred_on": new.occurred_on.isoformat(), "reason": text,
                 "replaced_by": new.id, "voided_events": voided, "status": result.status_after,
                 **moved_after(result)})
    session.flush()
    return result
