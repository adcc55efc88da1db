from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from foia.core.access import can_edit
from foia.core.clock import utcnow
from foia.core.db import parse_id
from foia.core.errors import ValidationError
from foia.core.web import request_or_404
from foia.extensions import db
from foia.models import User, Watcher
from foia.reminders.watchers import add_watcher, remove_watcher

bp = Blueprint("watchers", __name__, url_prefix="/requests/<ref>/watchers")


@bp.route("", methods=["POST"])
@login_required
def add(ref: str):
    req = request_or_404(ref, edit=True)
    user_id = parse_id(request.form.get("user_id"))
    user = db.session.get(User, user_id) if user_id is not None else None
    try:
        if user is None:
            raise ValidationError({"user": "Choose a person from the list."})
        add_watcher(db.session(), actor=current_user, now=utcnow(), req=req, user=user)
    except ValidationError as exc:
        db.session.rollback()
        flash(" ".join(exc.errors.values()), "error")
        return redirect(url_for("requests.show", ref=req.ref) + "#watchers"), 303
    db.session.commit()
    flash(f"{user.name} now gets this request's reminders.", "success")
    return redirect(url_for("requests.show", ref=req.ref) + "#watchers")


@bp.route("/<int:user_id>/delete", methods=["POST"])
@login_required
def delete(ref: str, user_id: int):
    req = request_or_404(ref, edit=True)
    try:
        remove_watcher(db.session(), actor=current_user, now=utcnow(), req=req, user_id=user_id)
    except ValidationError as exc:
        db.session.rollback()
        flash(" ".join(exc.errors.values()), "error")
    else:
        db.session.commit()
        flash("Removed.", "success")
    return redirect(url_for("requests.show", ref=req.ref) + "#watchers")


@bp.app_context_processor
def watcher_helpers():
    def watchers_for(req):
        return list(db.session.scalars(select(Watcher).where(Watcher.request_id == req.id).order_by(Watcher.id)))

    def watch_candidates(req):
        taken = select(Watcher.user_id).where(Watcher.request_id == req.id)
        return list(db.session.scalars(select(User).where(User.organization_id == req.organization_id, User.active.is_(True),
                                                          User.id != req.requester_id, User.id.not_in(taken))
                                       .order_by(User.name)))

    return {"watchers_for": watchers_for, "watch_candidates": watch_candidates, "can_edit_request": can_edit}
