"""The clause library's pages (issue 19): the organization's clauses with their use counts, add, edit, archive
and restore. Everyone of the organization reads the list; staff (and administrators) change it
(`can_manage_clauses`). Another organization's clause is a 404. Inserting a clause into a letter draft is a
button of the letter form (`foia.letters.views`), offered through `letter_clauses` below."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from foia.clauses.service import (
    MAX_BODY,
    MAX_TITLE,
    TARGETS,
    can_manage_clauses,
    clause_for,
    clauses_for_letter,
    clauses_of,
    create_clause,
    law_names,
    set_archived,
    update_clause,
)
from foia.core.clock import utcnow
from foia.core.errors import ValidationError
from foia.extensions import db
from foia.models import Clause, Request

bp = Blueprint("clauses", __name__, url_prefix="/clauses")


def managers_only(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not can_manage_clauses(current_user):
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def _clause(clause_id: int) -> Clause:
    clause = clause_for(db.session(), current_user, clause_id)
    if clause is None:
        abort(404)
    return clause


def _form_page(clause: Clause | None, *, values: dict | None = None, errors: dict | None = None, status: int = 200):
    if values is None:
        values = {"title": clause.title, "body": clause.body, "laws": list(clause.laws or [])} if clause else \
            {"title": "", "body": "", "laws": []}
    return render_template("clauses/form.html", clause=clause, values=values, errors=errors or {},
                           laws=law_names(), max_title=MAX_TITLE, max_body=MAX_BODY), status


def _posted() -> dict:
    return {"title": request.form.get("title", ""), "body": request.form.get("body", ""),
            "laws": request.form.getlist("laws")}


@bp.route("")
@login_required
def index():
    session = db.session()
    return render_template("clauses/index.html", clauses=clauses_of(session, current_user.organization_id),
                           archived=clauses_of(session, current_user.organization_id, archived=True),
                           laws=law_names(), may_manage=can_manage_clauses(current_user))


@bp.route("/new", methods=["GET", "POST"])
@managers_only
def new():
    if request.method == "GET":
        return _form_page(None)
    values = _posted()
    try:
        clause = create_clause(db.session(), actor=current_user, now=utcnow(), **values)
    except ValidationError as exc:
        db.session.rollback()
        return _form_page(None, values=values, errors=exc.errors, status=400)
    db.session.commit()
    flash(f"Clause \u201c{clause.title}\u201d added to {current_user.organization.name}'s library.", "success")
    return redirect(url_for("clauses.index"), 303)


@bp.route("/<int:clause_id>/edit", methods=["GET", "POST"])
@managers_only
def edit(clause_id: int):
    clause = _clause(clause_id)
    if request.method == "GET":
        return _form_page(clause)
    values = _posted()
    try:
        update_clause(db.session(), actor=current_user, now=utcnow(), clause=clause, **values)
    except ValidationError as exc:
        db.session.rollback()
        return _form_page(clause, values=values, errors=exc.errors, status=400)
    db.session.commit()
    flash(f"Clause \u201c{clause.title}\u201d saved. Letters already drafted keep the text they had.", "success")
    return redirect(url_for("clauses.index"), 303)


def _set_archived(clause_id: int, archived: bool):
    clause = _clause(clause_id)
    try:
        set_archived(db.session(), actor=current_user, now=utcnow(), clause=clause, archived=archived)
    except ValidationError as exc:
        db.session.rollback()
        flash(" ".join(exc.errors.values()), "error")
        return redirect(url_for("clauses.index"), 303)
    db.session.commit()
    flash(f"Clause \u201c{clause.title}\u201d " + ("archived: it is no longer offered on letter drafts."
                                                   if archived else "restored."), "success")
    return redirect(url_for("clauses.index"), 303)


@bp.route("/<int:clause_id>/archive", methods=["POST"])
@managers_only
def archive(clause_id: int):
    return _set_archived(clause_id, True)


@bp.route("/<int:clause_id>/restore", methods=["POST"])
@managers_only
def restore(clause_id: int):
    return _set_archived(clause_id, False)


@bp.app_context_processor
def clause_helpers():
    """For the letter forms (clauses/_insert.html): the clauses offered on a draft of a request, and the boxes
    a clause can go into."""

    def letter_clauses(req: Request) -> list[Clause]:
        if not getattr(current_user, "is_authenticated", False):
            return []
        return clauses_for_letter(db.session(), current_user, req)

    return {"letter_clauses": letter_clauses, "clause_targets": TARGETS}
