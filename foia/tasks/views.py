"""Routes for a request's tasks (the panel templates/tasks/_panel.html on the request page): add, complete,
reopen, delete. Parse, authorize (404 outside the request's organization, 403 for people who may only read it),
call the service, redirect back to the panel."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from foia.core.clock import local_today, utcnow
from foia.core.db import parse_id
from foia.core.errors import ValidationError
from foia.core.web import request_or_404
from foia.deadlines.relative import MAX_OFFSET
from foia.extensions import db
from foia.models import TASK_DIRECTIONS, TASK_UNITS, Request, Task
from foia.tasks.service import (
    INTERNAL,
    TaskInput,
    add_task,
    assignee_choices,
    can_change_tasks,
    can_see_tasks,
    clock_choices,
    complete_task,
    delete_task,
    panel_rows,
    reopen_task,
    tasks_for,
)

bp = Blueprint("tasks", __name__, url_prefix="/requests/<ref>/tasks")


def _back(req: Request):
    return redirect(url_for("requests.show", ref=req.ref) + "#tasks", 303)


def _task(req: Request, task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None or task.request_id != req.id:
        abort(404)
    return task


@bp.route("", methods=["POST"])
@login_required
def add(ref: str):
    req = request_or_404(ref, edit=True, internal=True)
    form = request.form
    data = TaskInput(title=form.get("title", ""), assignee_id=parse_id(form.get("assignee_id")),
                     mode=form.get("mode", "date"), due=form.get("due", ""), days=form.get("days", ""),
                     unit=form.get("unit", "working"), direction=form.get("direction", "before"),
                     clock=form.get("clock", ""))
    try:
        task = add_task(db.session(), actor=current_user, now=utcnow(), req=req, data=data)
    except ValidationError as exc:
        db.session.rollback()
        flash("The task was not added: " + " ".join(exc.errors.values()), "error")
        return _back(req)
    db.session.commit()
    flash(f"Task added: {task.title}.", "success")
    return _back(req)


def _change(ref: str, task_id: int, action, done_message: str, failed: str):
    req = request_or_404(ref, edit=True, internal=True)
    task = _task(req, task_id)
    try:
        action(db.session(), actor=current_user, now=utcnow(), req=req, task=task)
    except ValidationError as exc:
        db.session.rollback()
        flash(f"{failed}: " + " ".join(exc.errors.values()), "error")
        return _back(req)
    db.session.commit()
    flash(done_message, "success")
    return _back(req)


@bp.route("/<int:task_id>/done", methods=["POST"])
@login_required
def done(ref: str, task_id: int):
    return _change(ref, task_id, complete_task, "Task marked done.", "The task was not marked done")


@bp.route("/<int:task_id>/reopen", methods=["POST"])
@login_required
def reopen(ref: str, task_id: int):
    return _change(ref, task_id, reopen_task, "Task reopened.", "The task was not reopened")


@bp.route("/<int:task_id>/delete", methods=["POST"])
@login_required
def delete(ref: str, task_id: int):
    return _change(ref, task_id, delete_task, "Task deleted.", "The task was not deleted")


@bp.app_context_processor
def task_helpers() -> dict[str, Any]:
    def tasks_panel(req: Request) -> dict[str, Any]:
        """What the request page's Tasks panel shows; `visible` False outside the request's organization."""
        if not can_see_tasks(current_user, req):
            return {"visible": False}
        session = db.session()
        may_change = can_change_tasks(current_user, req)
        return {
            "visible": True,
            "can_change": may_change,
            "rows": panel_rows(session, req, tasks_for(session, req)),
            "assignees": assignee_choices(session, req) if may_change else [],
            "clocks": clock_choices(req) if may_change else [],
            "units": TASK_UNITS,
            "directions": TASK_DIRECTIONS,
            "max_offset": MAX_OFFSET,
            "today": local_today(utcnow()),
            "internal": INTERNAL,
        }

    return {"tasks_panel": tasks_panel}
