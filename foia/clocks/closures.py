"""Ad-hoc closures (a day an office is closed): adding or removing one recomputes the open requests it moves,
at once (`add_closure`, `remove_closure`: CLI, tests) or in a scheduler job (`*_queued`: the admin page).

The caller re-plans the moved requests' reminders (`reminders.replan_moved`); until it does, they are
flagged `reminders_stale` and the scheduler's sweep re-plans them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.clocks.jobs import queue_recompute
from foia.clocks.service import Moved, recompute_open
from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.deadlines import calendar_ids
from foia.models import Agency, CalendarClosure, Job, User


def add_closure(session: Session, *, actor: User, now: datetime, on: date, name: str,
                calendar_id: str | None = None, agency: Agency | None = None) -> tuple[CalendarClosure, list[Moved]]:
    """Add a closure and recompute the requests it moves now, in this transaction (CLI, tests)."""
    closure = _record_closure(session, actor=actor, now=now, on=on, name=name, calendar_id=calendar_id, agency=agency)
    moved = recompute_open(session, now=now, actor=actor, reason=_added(closure), calendar_id=calendar_id,
                           agency_id=agency.id if agency else None, affected_from=on)
    return closure, moved  # the caller re-plans their reminders (reminders.replan_moved)


def add_closure_queued(session: Session, *, actor: User, now: datetime, on: date, name: str,
                       calendar_id: str | None = None, agency: Agency | None = None) -> tuple[CalendarClosure, Job]:
    """Add a closure and queue the recompute as a scheduler job (`clocks.jobs`), in this transaction: what the
    admin page does, so a calendar change never recomputes thousands of requests inside a web request."""
    closure = _record_closure(session, actor=actor, now=now, on=on, name=name, calendar_id=calendar_id, agency=agency)
    job = queue_recompute(session, now=now, actor=actor, reason=_added(closure), calendar_id=calendar_id,
                          agency_id=agency.id if agency else None, affected_from=on)
    return closure, job


def _added(closure: CalendarClosure) -> str:
    return f"closure added: {closure.closed_on.isoformat()} {closure.name}"


def _record_closure(session: Session, *, actor: User, now: datetime, on: date, name: str,
                    calendar_id: str | None, agency: Agency | None) -> CalendarClosure:
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = "Say why the office is closed (e.g. “Closed by executive order”)."
    elif len(name) > 200:
        errors["name"] = "Keep the reason under 200 characters."
    if (calendar_id is None) == (agency is None):
        errors["scope"] = "Choose either a calendar or an agency."
    elif calendar_id is not None and calendar_id not in calendar_ids():
        errors["scope"] = "Choose a calendar from the list."
    if errors:

        raise ValidationError(errors)
    dupe = select(CalendarClosure.id).where(CalendarClosure.closed_on == on)
    dupe = dupe.where(CalendarClosure.agency_id == agency.id) if agency else dupe.where(CalendarClosure.calendar_id == calendar_id)
    if session.scalar(dupe) is not None:

        raise ValidationError({"on": f"There is already a closure on {on.isoformat()} for this calendar."})
    closure = CalendarClosure(calendar_id=calendar_id, agency_id=agency.id if agency else None, closed_on=on,
                              name=name, created_by_id=actor.id, created_at=now)
    session.add(closure)
    session.flush()
    audit(session, actor=actor, now=now, action="create", entity=closure,
          after={"closed_on": on.isoformat(), "name": name, "calendar_id": calendar_id,
                 "agency": agency.slug if agency else None})
    return closure


def remove_closure(session: Session, *, actor: User, now: datetime, closure: CalendarClosure) -> list[Moved]:
    """Remove a closure and recompute the requests it moves now, in this transaction (CLI, tests)."""
    calendar_id, agency_id, closed_on = closure.calendar_id, closure.agency_id, closure.closed_on
    reason = _delete_closure(session, actor=actor, now=now, closure=closure)
    return recompute_open(session, now=now, actor=actor, reason=reason, calendar_id=calendar_id, agency_id=agency_id,
                          affected_from=closed_on)  # the caller re-plans their reminders (reminders.replan_moved)


def remove_closure_queued(session: Session, *, actor: User, now: datetime, closure: CalendarClosure) -> Job:
    """Remove a closure and queue the recompute as a scheduler job (the admin page)."""
    calendar_id, agency_id, closed_on = closure.calendar_id, closure.agency_id, closure.closed_on
    reason = _delete_closure(session, actor=actor, now=now, closure=closure)
    return queue_recompute(session, now=now, actor=actor, reason=reason, calendar_id=calendar_id,
                           agency_id=agency_id, affected_from=closed_on)


def _delete_closure(session: Session, *, actor: User, now: datetime, closure: CalendarClosure) -> str:
    before = {"closed_on": closure.closed_on.isoformat(), "name": closure.name, "calendar_id": closure.calendar_id,
              "agency_id": closure.agency_id}
    audit(session, actor=actor, now=now, action="delete", entity=closure, before=before)
    session.delete(closure)
    session.flush()
    return f"closure removed: {before['closed_on']} {before['name']}"
