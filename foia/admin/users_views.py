"""The administrator's people pages: users (invite, role and organization, deactivate) and organizations."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from foia.accounts.password_mail import invite_message
from foia.accounts.passwords import INVITE_HOURS
from foia.admin.users import (
    create_organization,
    deactivate_user,
    invite_user,
    reactivate_user,
    reinvite_user,
    rename_organization,
    update_user,
    user_status,
)
from foia.admin.views import admin_required
from foia.core.clock import utcnow
from foia.core.errors import ValidationError
from foia.extensions import db
from foia.mail import MailError
from foia.models import ROLES, Organization, User
from foia.reminders.dispatch import mailer_for

bp = Blueprint("admin_users", __name__, url_prefix="/admin")
log = logging.getLogger(__name__)

MAX_ID = 2**31 - 1


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id) if user_id <= MAX_ID else None
    if user is None:
        abort(404)
    return user


def _org(raw: str | None) -> Organization | None:
    try:
        org_id = int(raw or "")
    except ValueError:
        return None
    return db.session.get(Organization, org_id) if 0 < org_id <= MAX_ID else None


def _organizations() -> list[Organization]:
    return list(db.session.scalars(select(Organization).order_by(Organization.name)))


def _send_invitation(user: User, token: str, now) -> None:
    msg = invite_message(current_app.config, user=user, inviter=current_user,
                         path=url_for("passwords.invite", token=token), hours=INVITE_HOURS, now=now)
    try:
        mailer_for(current_app.config).send(msg)
    except MailError as exc:
        log.warning("invitation to %s not sent: %s", user.email, exc)
        flash(f"The invitation to {user.email} could not be emailed ({exc}). Use “Send a new invitation” "
              "on their page to try again.", "error")
    else:
        flash(f"Invitation emailed to {user.email}. The link works once, for {INVITE_HOURS} hours.", "success")


@bp.route("/users")
@admin_required
def users():
    rows = list(db.session.scalars(select(User).order_by(User.name, User.email)))
    return render_template("admin/users.html", rows=[(u, user_status(u)) for u in rows], roles=ROLES,
                           organizations=_organizations(), errors={}, form={})


@bp.route("/users/invite", methods=["POST"])
@admin_required
def invite():
    form = request.form
    now = utcnow()
    try:
        user, token = invite_user(db.session(), actor=current_user, email=form.get("email", ""),
                                  name=form.get("name", ""), role=form.get("role", ""),
                                  organization=_org(form.get("organization")), now=now,
                                  lifetime=timedelta(hours=INVITE_HOURS))
    except ValidationError as exc:
        db.session.rollback()
        rows = list(db.session.scalars(select(User).order_by(User.name, User.email)))
        return render_template("admin/users.html", rows=[(u, user_status(u)) for u in rows], roles=ROLES,
                               organizations=_organizations(), errors=exc.errors, form=form), 400
    db.session.commit()
    _send_invitation(user, token, now)
    return redirect(url_for("admin_users.user", user_id=user.id))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user(user_id: int):
    person = _user_or_404(user_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            changed = update_user(db.session(), actor=current_user, user=person, role=request.form.get("role", ""),
                                  organization=_org(request.form.get("organization")), now=utcnow())
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash(f"Saved: {person.email} is {person.role} of {person.organization.name}." if changed
                  else "Nothing changed.", "success")
            return redirect(url_for("admin_users.user", user_id=person.id))
    return render_template("admin/user.html", person=person, status=user_status(person), roles=ROLES,
                           organizations=_organizations(), errors=errors), (400 if errors else 200)


def _action(user_id: int, do, done: str):
    person = _user_or_404(user_id)
    try:
        do(person)
    except ValidationError as exc:
        db.session.rollback()
        for message in exc.errors.values():
            flash(message, "error")
    else:
        db.session.commit()
        if done:
            flash(done.format(email=person.email), "success")
    return redirect(url_for("admin_users.user", user_id=person.id))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@admin_required
def deactivate(user_id: int):
    return _action(user_id, lambda p: deactivate_user(db.session(), actor=current_user, user=p, now=utcnow()),
                   "{email} is deactivated and signed out everywhere.")


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@admin_required
def reactivate(user_id: int):
    return _action(user_id, lambda p: reactivate_user(db.session(), actor=current_user, user=p, now=utcnow()),
                   "{email} can sign in again.")


@bp.route("/users/<int:user_id>/reinvite", methods=["POST"])
@admin_required
def reinvite(user_id: int):
    person = _user_or_404(user_id)
    now = utcnow()
    try:
        token = reinvite_user(db.session(), actor=current_user, user=person, now=now,
                              lifetime=timedelta(hours=INVITE_HOURS))
    except ValidationError as exc:
        db.session.rollback()
        for message in exc.errors.values():
            flash(message, "error")
    else:
        db.session.commit()
        _send_invitation(person, token, now)
    return redirect(url_for("admin_users.user", user_id=person.id))


@bp.route("/organizations", methods=["GET", "POST"])
@admin_required
def organizations():
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            org = create_organization(db.session(), actor=current_user, name=request.form.get("name", ""),
                                      now=utcnow())
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash(f"Organization “{org.name}” created.", "success")
            return redirect(url_for("admin_users.organizations"))
    counts = dict(db.session.execute(select(User.organization_id, func.count(User.id))
                                     .group_by(User.organization_id)).all())
    return render_template("admin/organizations.html", organizations=_organizations(), counts=counts,
                           errors=errors, form=request.form), (400 if errors else 200)


@bp.route("/organizations/<int:org_id>/rename", methods=["POST"])
@admin_required
def rename(org_id: int):
    org = db.session.get(Organization, org_id) if org_id <= MAX_ID else None
    if org is None:
        abort(404)
    try:
        rename_organization(db.session(), actor=current_user, organization=org, name=request.form.get("name", ""),
                            now=utcnow())
    except ValidationError as exc:
        db.session.rollback()
        for message in exc.errors.values():
            flash(f"Not renamed: {message}", "error")
    else:
        db.session.commit()
        flash(f"Organization renamed to “{org.name}”.", "success")
    return redirect(url_for("admin_users.organizations"))
