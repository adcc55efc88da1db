"""Pages reached from an email, signed out: "forgot your password", the reset link and the invitation link.

The links carry their token in the query string (`/reset?token=…`, `/invite?token=…`), like the calendar
feeds: the access log records the path only (gunicorn.conf.py), so a live token never reaches a log file.

Rate limits (Flask-Limiter, as for sign-in): asking for a reset link per address and per email address,
and using a link per address.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from email.message import EmailMessage

from flask import Blueprint, after_this_request, current_app, flash, redirect, render_template, request, url_for

from foia.accounts.password_mail import reset_message
from foia.accounts.passwords import RESET_MINUTES, check_token, request_reset, set_password_with_token
from foia.core.clock import utcnow
from foia.core.errors import ValidationError
from foia.extensions import db, limiter
from foia.mail import MailError
from foia.reminders.dispatch import mailer_for

bp = Blueprint("passwords", __name__)
log = logging.getLogger(__name__)

#: The page a link that no longer works shows, by the link's state.
LINK_PROBLEMS = {
    "unknown": ("This link does not work", "The link is not complete or was never valid. Copy the whole link "
                "from the email, or ask for a new one."),
    "used": ("This link was already used", "Each link works once. If you still need to set your password, "
             "ask for a new link."),
    "expired": ("This link has expired", "For your safety the link worked for a limited time only. Ask for a "
                "new link."),
    "inactive": ("This account is not active", "The account this link was for has been deactivated. Ask your "
                 "administrator."),
}


def send_after_response(msg: EmailMessage) -> None:
    """Send `msg` once the response has gone out: the person sees the same page at the same speed
    whether or not a message is sent (the mail server's time is not in the response)."""
    mailer = mailer_for(current_app.config)

    @after_this_request
    def _later(response):
        def _send() -> None:
            try:
                mailer.send(msg)
            except MailError as exc:
                log.warning("account email %s to %s not sent: %s", msg["Message-ID"], msg["To"], exc)
        response.call_on_close(_send)
        return response


#: A person who forgot a password asks once or twice; more from one address, or for one account, is abuse.
FORGOT_PER_ADDRESS = "5 per minute; 30 per hour"
FORGOT_PER_ACCOUNT = "3 per 15 minutes"
#: Setting a password from a link: a person types it a few times at most.
LINK_PER_ADDRESS = "10 per minute; 60 per hour"


def _forgot_email_key() -> str:
    return "forgot:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(FORGOT_PER_ADDRESS, methods=["POST"])
@limiter.limit(FORGOT_PER_ACCOUNT, methods=["POST"], key_func=_forgot_email_key)
def forgot():
    error = None
    if request.method == "POST":
        email = (request.form.get("email") or "").strip()
        if not email or len(email) > 254:
            error = "Enter the email address of your account."
        else:
            now = utcnow()
            found = request_reset(db.session(), email, now=now, lifetime=timedelta(minutes=RESET_MINUTES))
            if found is not None:
                user, token = found
                msg = reset_message(current_app.config, user=user, path=url_for("passwords.reset", token=token),
                                    minutes=RESET_MINUTES, now=now)
                db.session.commit()
                send_after_response(msg)
            return render_template("passwords/forgot_sent.html", minutes=RESET_MINUTES)
    return render_template("passwords/forgot.html", error=error), (400 if error else 200)


def _set_password(purpose: str, template: str, done_message: str):
    token = request.args.get("token", "")
    now = utcnow()
    found = check_token(db.session(), token, purpose=purpose, now=now)
    if found.state != "ok" or found.user is None:
        title, message = LINK_PROBLEMS[found.state]
        return render_template("passwords/link_problem.html", title=title, message=message, purpose=purpose), \
            (404 if found.state == "unknown" else 410)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            set_password_with_token(db.session(), token, purpose=purpose, password=request.form.get("password", ""),
                                    confirm=request.form.get("confirm", ""), now=now)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash(done_message, "success")
            return redirect(url_for("auth.login"))
    return render_template(template, user=found.user, errors=errors), (400 if errors else 200)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(LINK_PER_ADDRESS, methods=["POST"])
def reset():
    return _set_password("reset", "passwords/reset.html",
                         "Your new password is set and every earlier session was signed out. Sign in with it.")


@bp.route("/invite", methods=["GET", "POST"])
@limiter.limit(LINK_PER_ADDRESS, methods=["POST"])
def invite():
    return _set_password("invite", "passwords/invite.html",
                         "Your password is set. Sign in with your email address and that password.")
