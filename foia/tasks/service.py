"""Tasks on a request: internal work for a person of its organization, with an INTERNAL due date (issue 19).

An internal date is never a statutory deadline: it is not in the ledger, moves no clock, is never sent to the
agency, and everywhere it appears it is labelled "Internal" in words (pages, digests, calendar feeds).
A task's date is either set by hand or relative to one of the request's clocks ("5 working days before the
response is due"): then it is a cache like the clocks themselves, recomputed whenever the clock's stored date
moves (`foia.clocks.service.follow_tasks`), on the request's own working-day calendar.

Who sees tasks: the people who see the request's internal notes (its organization, `can_see_notes`); who changes
them: whoever may edit the request (`can_edit`). Every change writes an audit row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, joinedload

from foia.clocks.service import lock_clocks, lock_requests, request_calendar
from foia.core.access import can_edit, can_see_internal, can_view, internal_clause
from foia.core.audit import audit, jsonable
from foia.core.errors import ValidationError
from foia.deadlines import Calendar, load_law
from foia.deadlines.relative import DIRECTIONS, MAX_OFFSET, UNITS, describe, relative_date
from foia.models import Request, RequestClock, Task, User

MAX_TITLE = 200
#: What every task date is called, wherever it is shown, so it never looks like a statutory deadline.
INTERNAL = "Internal"


def can_see_tasks(user: User | None, req: Request) -> bool:
    """Members of the request's organization only (`can_see_internal`), as for internal notes."""
    return can_see_internal(user, req)


def can_change_tasks(user: User | None, req: Request) -> bool:
    return user is not None and can_see_tasks(user, req) and can_edit(user, req)


@dataclass
class TaskInput:
    title: str = ""
    assignee_id: int | None = None
    #: "date": `due` set by hand; "relative": `days` `unit` `direction` the clock `clock`.
    mode: str = "date"
    due: str = ""
    days: str = ""
    unit: str = "working"
    direction: str = "before"
    clock: str = ""


def clock_choices(req: Request) -> list[tuple[str, str]]:
    """The statutory clocks of the request's law a task date can be set relative to: (kind, label)."""
    law = load_law(req.law).for_agency(req.agency.slug)
    return [(kind, rule.label) for kind, rule in law.clocks.items()]


def assignee_choices(session: Session, req: Request) -> list[User]:
    """Active people of the request's organization who can see it."""
    people = session.scalars(select(User).where(User.organization_id == req.organization_id, User.active.is_(True))
                             .order_by(User.name, User.id))
    return [u for u in people if can_view(u, req)]


def _clock_due(session: Session, req: Request, kind: str) -> date | None:
    """The clock's stored date, read under the locks a ledger writer and a calendar recompute take (the shared
    clocks lock, then the request's row: as `requests.service.lock_request`), so neither can move the clock between
    this read and our commit without seeing the task and moving it too (`clocks.service.follow_tasks`)."""
    session.flush()
    lock_clocks(session)
    lock_requests(session, [req.id])
    return session.scalar(select(RequestClock.due).where(RequestClock.request_id == req.id, RequestClock.kind == kind))


def _validated(session: Session, req: Request, data: TaskInput) -> dict[str, object]:
    errors: dict[str, str] = {}
    title = " ".join((data.title or "").split())
    if not title:
        errors["title"] = "Say what needs doing (up to 200 characters)."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Keep the task under {MAX_TITLE} characters (it has {len(title)})."
    assignee = session.get(User, data.assignee_id) if data.assignee_id is not None else None
    if assignee is None:
        errors["assignee"] = "Choose who does it, from the list."
    elif assignee.organization_id != req.organization_id or not assignee.active:
        errors["assignee"] = f"Tasks can only be assigned to people in {req.organization.name}."
    elif not can_view(assignee, req):
        errors["assignee"] = f"{assignee.name} cannot see this request; share it with the organization first."
    values: dict[str, object] = {"title": title, "assignee_id": assignee.id if assignee else None,
                                 "relative_clock": None, "relative_days": None, "relative_unit": None,
                                 "relative_direction": None}
    if data.mode == "date":
        try:
            values["due"] = date.fromisoformat((data.due or "").strip())
        except ValueError:
            errors["due"] = "Enter the internal date as a day, month and year (YYYY-MM-DD)."
    elif data.mode == "relative":
        kinds = dict(clock_choices(req))
        raw = (data.days or "").strip()
        days = int(raw) if raw.isdigit() and len(raw) <= 4 else -1
        if not 0 <= days <= MAX_OFFSET:
            errors["days"] = f"Enter a whole number of days from 0 to {MAX_OFFSET}."
        if data.unit not in UNITS:
            errors["unit"] = "Choose working days or calendar days."
        if data.direction not in DIRECTIONS:
            errors["direction"] = "Choose before or after."
        if data.clock not in kinds:
            errors["clock"] = "Choose one of this request's statutory deadlines."
        if not errors:
            values.update(relative_clock=data.clock, relative_days=days, relative_unit=data.unit,
                          relative_direction=data.direction)
            base = _clock_due(session, req, data.clock)
            values["due"] = (relative_date(request_calendar(session, req), base, days, data.unit, data.direction)
                             if base is not None else None)
    else:
        errors["mode"] = "Choose a date, or a date relative to a statutory deadline."
    if errors:
        raise ValidationError(errors)
    return values


def _state(session: Session, task: Task, req: Request) -> dict[str, object]:
    """What an audit row records of a task, in words a person reads on the request's History."""

    def name(user_id: int | None) -> str | None:
        user = session.get(User, user_id) if user_id is not None else None
        return user.name if user is not None else None

    label = dict(clock_choices(req)).get(task.relative_clock or "", task.relative_clock or "")
    return {"title": task.title, "assignee": name(task.assignee_id), "internal_date": jsonable(task.due),
            "internal_date_rule": relative_text(task, label) or "set by hand",
            "done_at": jsonable(task.done_at), "done_by": name(task.done_by_id)}


def _require_editor(actor: User, req: Request) -> None:
    if not can_change_tasks(actor, req):
        raise ValidationError({"task": "Only people who can edit this request can change its tasks."})


def _own(req: Request, task: Task) -> None:
    if task.request_id != req.id:
        raise ValidationError({"task": "That task belongs to another request."})


def add_task(session: Session, *, actor: User, now: datetime, req: Request, data: TaskInput) -> Task:
    _require_editor(actor, req)
    values = _validated(session, req, data)
    task = Task(request_id=req.id, created_by_id=actor.id, created_at=now, updated_at=now, **values)
    session.add(task)
    session.flush()
    audit(session, actor=actor, now=now, action="task:add", entity=task,
          after={"request": req.ref, **_state(session, task, req)})
    return task


def complete_task(session: Session, *, actor: User, now: datetime, req: Request, task: Task) -> Task:
    _require_editor(actor, req)
    _own(req, task)
    if task.done_at is not None:
        raise ValidationError({"task": "That task is already done."})
    before = _state(session, task, req)
    task.done_at, task.done_by_id, task.updated_at = now, actor.id, now
    audit(session, actor=actor, now=now, action="task:done", entity=task, before=before,
          after={"request": req.ref, **_state(session, task, req)})
    session.flush()
    return task


def reopen_task(session: Session, *, actor: User, now: datetime, req: Request, task: Task) -> Task:
    """Open a done task again; a relative date is recomputed from its clock as it is now (a done task does not
    follow its clock)."""
    _require_editor(actor, req)
    _own(req, task)
    if task.done_at is None:
        raise ValidationError({"task": "That task is not done."})
    before = _state(session, task, req)
    task.done_at, task.done_by_id, task.updated_at = None, None, now
    if task.relative_clock is not None:
        base = _clock_due(session, req, task.relative_clock)
        if base is not None:
            task.due = relative_date(request_calendar(session, req), base, task.relative_days or 0,
                                     task.relative_unit or "working", task.relative_direction or "before")
    audit(session, actor=actor, now=now, action="task:reopen", entity=task, before=before,
          after={"request": req.ref, **_state(session, task, req)})
    session.flush()
    return task


def delete_task(session: Session, *, actor: User, now: datetime, req: Request, task: Task) -> None:
    """Delete a task; its audit row keeps what it was."""
    _require_editor(actor, req)
    _own(req, task)
    audit(session, actor=actor, now=now, action="task:delete", entity=task,
          before={"request": req.ref, **_state(session, task, req)})
    session.delete(task)
    session.flush()


# ---------------------------------------------------------------------------- reading


def tasks_for(session: Session, req: Request) -> list[Task]:
    """The request's tasks: open ones by internal date (undated last), then done ones, latest done first."""
    rows = list(session.scalars(select(Task).options(joinedload(Task.assignee), joinedload(Task.done_by))
                                .where(Task.request_id == req.id).order_by(Task.id)))
    open_ = sorted((t for t in rows if t.done_at is None), key=lambda t: (t.due is None, t.due or date.min, t.id))
    done = sorted((t for t in rows if t.done_at is not None), key=lambda t: t.done_at or datetime.min, reverse=True)
    return open_ + done


def relative_text(task: Task, clock_label: str) -> str:
    """"5 working days before Determination due" (empty for a date set by hand)."""
    if task.relative_clock is None:
        return ""
    return describe(task.relative_days or 0, task.relative_unit or "working", task.relative_direction or "before",
                    clock_label)


@dataclass
class TaskRow:
    """A task as a page shows it."""

    task: Task
    relative: str  # how its date is set, or ""
    anchor_note: str  # why a relative date is not following its clock right now, or ""


def panel_rows(session: Session, req: Request, tasks: Sequence[Task]) -> list[TaskRow]:
    labels = dict(clock_choices(req))
    clocks = {c.kind: c for c in session.scalars(select(RequestClock).where(RequestClock.request_id == req.id))}
    rows = []
    for t in tasks:
        note = ""
        if t.relative_clock is not None:
            label = labels.get(t.relative_clock, t.relative_clock)
            clock = clocks.get(t.relative_clock)
            if clock is None or clock.due is None:
                note = (f"{label} has no date yet, so neither has this task." if t.due is None else
                        f"{label} has no date now (the clock is {clock.status if clock else 'not running'}): "
                        f"this internal date was computed from its last date.")
            elif clock.status != "open":
                note = (f"{label} is closed ({'met' if clock.status == 'met' else clock.status}): "
                        f"this internal date no longer matters for it.")
            rows.append(TaskRow(t, relative_text(t, label), note))
        else:
            rows.append(TaskRow(t, "", ""))
    return rows


@dataclass(frozen=True)
class DueTask:
    """One open task of a person, for the dashboard and the digest."""

    id: int
    title: str
    due: date
    working_days: int  # working days left (negative: overdue), on the request's calendar
    ref: str
    request_title: str
    relative: str


def open_tasks_of(session: Session, user: User, *, today: date, horizon: int,
                  calendar_of: Callable[[Request], Calendar] | None = None, limit: int = 50) -> list[DueTask]:
    """`user`'s open tasks with an internal date no later than `horizon` working days from today (overdue ones
    included), on requests they may still see inside their organization, soonest first."""
    stmt = (select(Task, Request).join(Request, Request.id == Task.request_id)
            .options(joinedload(Request.agency))
            .where(Task.assignee_id == user.id, Task.done_at.is_(None), Task.due.is_not(None),
                   internal_clause(user))
            .order_by(Task.due, Task.id))
    cal_of = calendar_of or (lambda r: request_calendar(session, r))
    out: list[DueTask] = []
    for task, req in session.execute(stmt):
        if task.due is None:  # (the query leaves out undated tasks)
            continue
        left = cal_of(req).working_days_between(today, task.due)
        if left > horizon:
            break  # ordered by date: every later task is further away
        labels = dict(clock_choices(req)) if task.relative_clock else {}
        out.append(DueTask(task.id, task.title, task.due, left, req.ref, req.title,
                           relative_text(task, labels.get(task.relative_clock or "", task.relative_clock or ""))))
        if len(out) >= limit:
            break
    return out


def feed_tasks(session: Session, user: User, scope: str) -> list[tuple[Task, Request]]:
    """Open dated tasks for a calendar feed: "mine" the tasks assigned to `user`; "organization" every open task
    on the requests of their organization they may see."""
    cond = [Task.done_at.is_(None), Task.due.is_not(None), internal_clause(user)]
    if scope != "organization":
        cond.append(Task.assignee_id == user.id)
    stmt = (select(Task, Request).join(Request, Request.id == Task.request_id)
            .where(and_(*cond))
            .order_by(Task.due, Task.id))
    return [(t, r) for t, r in session.execute(stmt)]
