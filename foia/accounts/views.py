"""A person's own settings (reminders, calendar feed) and the calendar feeds themselves."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from foia.accounts.password_mail import changed_message
from foia.accounts.passwords import change_password
from foia.accounts.service import regenerate_calendar_token, update_preferences
from foia.core.clock import utcnow
from foia.core.errors import ValidationError
from foia.extensions import db
from foia.mail import MailError
from foia.models import REMINDER_KINDS, UserSession
from foia.reminders.dispatch import mailer_for
from foia.reminders.feeds import build_feed, user_for_token

bp = Blueprint("account", __name__)
log = logging.getLogger(__name__)

TIMEZONES = ("America/Los_Angeles", "America/Denver", "America/Phoenix", "America/Chicago", "America/New_York",
             "America/Anchorage", "Pacific/Honolulu")


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            update_preferences(db.session(), actor=current_user, now=utcnow(), mode=request.form.get("mode", ""),
                               kinds_off=[k for k in REMINDER_KINDS if not request.form.get(f"kind_{k}")],
                               timezone_name=request.form.get("timezone", ""))
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash("Your reminder settings are saved.", "success")
            return redirect(url_for("account.settings"))
    base = current_app.config["FOIA_BASE_URL"].rstrip("/")
    token = current_user.calendar_token
    feeds = None
    if token:
        feeds = {"mine": f"{base}{url_for('account.feed', scope='mine')}?token={token}"}
        if current_user.is_staff:
            feeds["organization"] = f"{base}{url_for('account.feed', scope='organization')}?token={token}"
    return render_template("settings/index.html", kinds=REMINDER_KINDS, timezones=TIMEZONES, errors=errors,
                           feeds=feeds), (400 if errors else 200)


def this_session() -> UserSession | None:
    """The server-side session row of this request, which a password change keeps. The sign-in code
    (auth_views) sets `g.user_session` when it loads that row; until it does this is None, and a password
    change ends every session of the person, this one included."""
    row = g.get("user_session")
    return row if isinstance(row, UserSession) else None


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
def password():
    errors: dict[str, str] = {}
    if request.method == "POST":
        now = utcnow()
        try:
            ended = change_password(db.session(), actor=current_user, current=request.form.get("current", ""),
                                    new=request.form.get("new", ""), confirm=request.form.get("confirm", ""),
                                    now=now, keep=this_session())
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            try:
                mailer_for(current_app.config).send(
                    changed_message(current_app.config, user=current_user, how="changed", now=now))
            except MailError as exc:
                log.warning("password change notice to %s not sent: %s", current_user.email, exc)
            others = f" {ended} other session{'s' if ended != 1 else ''} signed out." if ended else ""
            flash("Your password is changed." + others, "success")
            return redirect(url_for("account.settings"))
    return render_template("settings/password.html", errors=errors), (400 if errors else 200)


@bp.route("/settings/calendar-token", methods=["POST"])
@login_required
def calendar_token():
    regenerate_calendar_token(db.session(), actor=current_user, now=utcnow())
    db.session.commit()
    flash("Your calendar feed has a new secret address. The old address no longer works.", "success")
    return redirect(url_for("account.settings") + "#calendar")


@bp.route("/feeds/<any(mine, organization):scope>.ics")
def feed(scope: str):
    """Calendar apps cannot sign in: the secret token in the query string is the credential.
    It is in the query string so access logs (which record the path only) never contain it."""
    user = user_for_token(db.session(), request.args.get("token"))
    if user is None:
        abort(404)
    if scope == "organization" and not user.is_staff:
        abort(404)
    body = build_feed(db.session(), user, scope=scope, base_url=current_app.config["FOIA_BASE_URL"], now=utcnow())
    resp = Response(body, mimetype="text/calendar")
    resp.headers["Content-Disposition"] = f'inline; filename="foia-deadlines-{scope}.ics"'
    resp.headers["Cache-Control"] = "private, max-age=300"
    return resp
