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
    session,
    url_for,
)
from flask_login import current_user, login_required

from foia.accounts import two_factor as totp
from foia.accounts.password_mail import changed_message
from foia.accounts.password_views import send_after_response
from foia.accounts.passwords import change_password
from foia.accounts.service import regenerate_calendar_token, update_preferences
from foia.core.clock import utcnow
from foia.core.errors import ValidationError
from foia.extensions import db, limiter
from foia.models import REMINDER_KINDS, UserSession
from foia.reminders.feeds import build_feed, user_for_token

bp = Blueprint("account", __name__)
log = logging.getLogger(__name__)

#: Calendar apps poll every few minutes; far more than that from one address is guessing tokens.
FEED_PER_ADDRESS = "60 per minute"
#: Flask-session key of the secret being enrolled (kept server-side only once confirmed).
ENROL_KEY = "totp_enrol_secret"
#: Endpoints a person who must enrol in two-factor sign-in may still reach.
ENROL_EXEMPT = {"account.two_factor", "auth.logout", "auth.login", "auth.login_code", "static", "ops.healthz"}


@bp.before_app_request
def require_two_factor():
    """Roles in FOIA_REQUIRE_2FA_ROLES must enrol before anything else."""
    roles = current_app.config.get("FOIA_REQUIRE_2FA_ROLES") or ()
    if isinstance(roles, str):
        roles = tuple(r.strip() for r in roles.split(",") if r.strip())
    if not roles or request.endpoint is None or request.endpoint in ENROL_EXEMPT:
        return None
    if current_user.is_authenticated and current_user.role in roles and current_user.totp_enabled_at is None:
        flash("Your account must use two-factor sign-in. Set it up to continue.", "info")
        return redirect(url_for("account.two_factor"))
    return None


@bp.route("/settings/two-factor", methods=["GET", "POST"])
@login_required
def two_factor():
    """Enrol (scan the QR code or type the secret, confirm with a code, see the recovery codes once) or,
    when on, turn it off with a current code."""
    errors: dict[str, str] = {}
    enabled = current_user.totp_enabled_at is not None
    if request.method == "POST":
        action = request.form.get("action", "")
        try:
            if action == "disable" and enabled:
                totp.disable(db.session(), actor=current_user, code=request.form.get("code", ""), now=utcnow())
                db.session.commit()
                flash("Two-factor sign-in is off.", "success")
                return redirect(url_for("account.two_factor"))
            if action == "enable" and not enabled and session.get(ENROL_KEY):
                codes = totp.enable(db.session(), actor=current_user, secret=session[ENROL_KEY],
                                          code=request.form.get("code", ""), now=utcnow())
                db.session.commit()
                session.pop(ENROL_KEY, None)
                return render_template("settings/two_factor_codes.html", codes=codes)
            errors = {"code": "Start again: reload this page."}
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
    if enabled:
        return render_template("settings/two_factor.html", enabled=True, errors=errors,
                               codes_left=len(current_user.recovery_code_hashes or [])), (400 if errors else 200)
    secret = session.get(ENROL_KEY) or totp.new_secret()
    session[ENROL_KEY] = secret
    uri = totp.provisioning_uri(secret, current_user.email)
    return render_template("settings/two_factor.html", enabled=False, errors=errors, secret=secret,
                           qr=totp.qr_data_uri(uri)), (400 if errors else 200)

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
    """The server-side session row of this request, which a password change keeps (the sign-in code,
    auth_views.load_signed_in_user, sets `g.user_session` when it loads the row)."""
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
            # The notice goes out once the page has: the person never waits for the mail server.
            send_after_response(changed_message(current_app.config, user=current_user, how="changed", now=now))
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
@limiter.limit(FEED_PER_ADDRESS)
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
