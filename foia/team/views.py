"""Routes for working as a team: a request's assignee and tags (its page's Team panel), saved list views, and
the list's bulk actions. Parse, authorize, call `team.service` / `team.bulk`, commit once, render or redirect."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import parse_qsl

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from foia.core.access import can_edit
from foia.core.clock import local_today, utcnow
from foia.core.db import parse_id
from foia.core.errors import ValidationError
from foia.core.paths import blob_root, letter_cache_dir
from foia.core.web import request_or_404, temp_download
from foia.extensions import db
from foia.models import VISIBILITIES, Request, SavedView, User
from foia.team.bulk import BULK_ACTIONS, MAX_EXPORT, bulk_apply, export_bundles
from foia.team.mail import queue_assignment
from foia.team.service import (
    add_tag,
    assign,
    assignable_users,
    can_see_team,
    delete_view,
    organization_members,
    organization_tags,
    remove_tag,
    save_view,
    tags_by_request,
    tags_for,
    visible_views,
)

log = logging.getLogger(__name__)

bp = Blueprint("team", __name__)


def _emailed(assignee: User) -> str:
    return "" if assignee.id == current_user.id else ", who will get an email about it"


def _back(req: Request):
    return redirect(url_for("requests.show", ref=req.ref) + "#team", 303)


@bp.route("/requests/<ref>/assignee", methods=["POST"])
@login_required
def set_assignee(ref: str):
    req = request_or_404(ref, edit=True, internal=True)
    raw = request.form.get("user_id", "")
    assignee = None
    if raw:
        user_id = parse_id(raw)
        assignee = db.session.get(User, user_id) if user_id is not None else None
        if assignee is None:
            flash("Not assigned: choose a person from the list.", "error")
            return _back(req)
    now = utcnow()
    try:
        changed = assign(db.session(), actor=current_user, now=now, req=req, assignee=assignee)
        if changed and assignee is not None:  # the email is a row the scheduler sends (team.mail), committed with this
            queue_assignment(db.session(), actor=current_user, assignee=assignee, requests=[req], now=now)
    except ValidationError as exc:
        db.session.rollback()
        flash("Not assigned: " + " ".join(exc.errors.values()), "error")
        return _back(req)
    db.session.commit()
    if not changed:
        flash("Nothing changed.", "info")
    elif assignee is None:
        flash(f"{req.ref} is now unassigned.", "success")
    else:
        flash(f"{req.ref} is now assigned to {assignee.name}{_emailed(assignee)}.", "success")
    return _back(req)


@bp.route("/requests/<ref>/tags", methods=["POST"])
@login_required
def add_tag_view(ref: str):
    req = request_or_404(ref, edit=True, internal=True)
    try:
        tag = add_tag(db.session(), actor=current_user, now=utcnow(), req=req, name=request.form.get("name", ""))
    except ValidationError as exc:
        db.session.rollback()
        flash("Tag not added: " + " ".join(exc.errors.values()), "error")
        return _back(req)
    db.session.commit()
    flash(f"Tagged \u201c{tag.name}\u201d.", "success")
    return _back(req)


@bp.route("/requests/<ref>/tags/<int:tag_id>/remove", methods=["POST"])
@login_required
def remove_tag_view(ref: str, tag_id: int):
    req = request_or_404(ref, edit=True, internal=True)
    try:
        tag = remove_tag(db.session(), actor=current_user, now=utcnow(), req=req, tag_id=tag_id)
    except ValidationError as exc:
        db.session.rollback()
        flash("Tag not removed: " + " ".join(exc.errors.values()), "error")
        return _back(req)
    db.session.commit()
    flash(f"Removed the tag \u201c{tag.name}\u201d.", "success")
    return _back(req)


# ---------------------------------------------------------------------------- saved views

def _list_url(query: str = ""):
    return url_for("requests.index") + (f"?{query}" if query else "")


@bp.route("/saved-views", methods=["POST"])
@login_required
def save_view_route():
    args = dict(parse_qsl(request.form.get("query", ""), keep_blank_values=False))
    try:
        view = save_view(db.session(), actor=current_user, now=utcnow(), name=request.form.get("name", ""),
                         args=args, shared=bool(request.form.get("shared")))
    except ValidationError as exc:
        db.session.rollback()
        flash("View not saved: " + " ".join(exc.errors.values()), "error")
        return redirect(_list_url(request.form.get("query", "")[:1000]) + "#saved-views", 303)
    db.session.commit()
    flash(f"Saved the view \u201c{view.name}\u201d" + (", shared with your organization." if view.shared else "."),
          "success")
    return redirect(_list_url(view.query) + "#saved-views", 303)


@bp.route("/saved-views/<int:view_id>/delete", methods=["POST"])
@login_required
def delete_view_route(view_id: int):
    view = db.session.get(SavedView, view_id)
    if view is None or view not in visible_views(db.session(), current_user):
        abort(404)
    try:
        delete_view(db.session(), actor=current_user, now=utcnow(), view=view)
    except ValidationError as exc:
        db.session.rollback()
        flash("View not deleted: " + " ".join(exc.errors.values()), "error")
    else:
        db.session.commit()
        flash("View deleted.", "success")
    return redirect(_list_url() + "#saved-views", 303)


# ---------------------------------------------------------------------------- bulk actions

def _person(field: str) -> User | None:
    user_id = parse_id(request.form.get(field))
    return db.session.get(User, user_id) if user_id is not None else None


@bp.route("/requests/bulk", methods=["POST"])
@login_required
def bulk():
    back = _list_url(request.form.get("back", "")[:1000])
    ids = [i for i in (parse_id(v) for v in request.form.getlist("request_id")) if i is not None]
    action = request.form.get("action", "")
    now = utcnow()
    if action == "export":
        return _bulk_export(ids, back)
    try:
        result = bulk_apply(db.session(), actor=current_user, now=now, ids=ids, action=action,
                            assignee=_person("assignee_id"), tag=request.form.get("tag", ""),
                            visibility=request.form.get("visibility", ""), watcher=_person("watcher_id"))
    except ValidationError as exc:
        db.session.rollback()
        flash(" ".join(exc.errors.values()), "error")
        return redirect(back, 303)
    db.session.commit()
    n = len(result.requests)
    what = f"{n} request{'s' if n != 1 else ''}"
    if action == "assign" and result.assignee is not None and not result.changed:
        flash(f"Nothing changed: {'it was' if n == 1 else f'all {n} were'} already assigned to {result.assignee.name}.",
              "info")
    elif action == "assign" and result.assignee is not None:
        already = n - len(result.changed)
        flash(f"Assigned {what} to {result.assignee.name}{_emailed(result.assignee)}."
              + (f" {already} of them already were." if already else ""), "success")
    elif action == "unassign":
        flash(f"Removed the assignee of {what}.", "success")
    elif action == "tag":
        flash(f"Tagged {what} \u201c{' '.join(request.form.get('tag', '').split())}\u201d.", "success")
    elif action == "visibility":
        flash(f"{what[0].upper() + what[1:]} now visible to: {VISIBILITIES[request.form['visibility']]}.", "success")
    elif action == "watch" and result.watcher is not None:
        flash(f"{result.watcher.name} now gets the reminders of {what}.", "success")
    return redirect(back, 303)


def _bulk_export(ids: list[int], back: str):
    path = temp_download("foia-bulk-export-")

    now = utcnow()
    try:
        export_bundles(db.session(), actor=current_user, now=now, ids=ids, out_path=path,
                       storage_root=blob_root(current_app.config), letter_cache=letter_cache_dir(current_app.config),
                       mail_from=current_app.config["FOIA_MAIL_FROM"])
    except ValidationError as exc:
        db.session.rollback()
        flash(" ".join(exc.errors.values()), "error")
        return redirect(back, 303)
    return send_file(path, mimetype="application/zip", as_attachment=True,
                     download_name=f"requests-{local_today(now).isoformat()}-evidence.zip")


@bp.app_context_processor
def team_helpers():
    """For templates: a request's Team panel and the list's filters, saved views and bulk form."""

    def team_panel(req: Request) -> dict | None:
        if not can_see_team(current_user, req):
            return None
        session = db.session()
        return {"tags": tags_for(session, req), "may_edit": can_edit(current_user, req),
                "candidates": assignable_users(session, req),
                "org_tags": organization_tags(session, req.organization_id)}

    def team_list(rows: Sequence[Request]) -> dict:
        session = db.session()
        own = [r.id for r in rows if can_see_team(current_user, r)]
        return {"views": visible_views(session, current_user),
                "members": organization_members(session, current_user.organization_id),
                "tags": organization_tags(session, current_user.organization_id),
                "row_tags": tags_by_request(session, own), "team_rows": set(own),
                "actions": BULK_ACTIONS, "visibilities": VISIBILITIES, "max_export": MAX_EXPORT}

    return {"team_panel": team_panel, "team_list": team_list}
