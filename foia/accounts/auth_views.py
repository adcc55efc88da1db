"""Signing in and out.

The Flask session cookie holds only the token of a server-side session (`accounts.sessions`): signing out,
a password change or a timeout ends the row, and every copy of the cookie stops working. Sign-in clears
the Flask session first (a new CSRF secret; nothing from before survives). With two-factor sign-in on,
the password step only holds the pending user in the session (5 minutes); the session row starts when the
code is right."""

from __future__ import annotations

import math
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from foia.accounts import form_stash, sessions
from foia.accounts.forms import LoginForm
from foia.accounts.signin import check_password, lock_remaining, record_failure, record_success
from foia.accounts.two_factor import check_second_factor
from foia.core.audit import audit
from foia.core.clock import utcnow
from foia.extensions import db, limiter
from foia.models import User

bp = Blueprint("auth", __name__)

DEMO_ACCOUNTS = (
    ("clerk@lacity.example", "Staff, City of Los Angeles"),
    ("reporter@newsroom.example", "Reporter, Los Angeles Ledger newsroom"),
    ("admin@lacity.example", "Administrator"),
)

#: Flask-session keys: the server-side session's token; the user who passed the password step and
#: when (two-factor sign-in).
TOKEN_KEY = "sid"
PENDING_KEY = "2fa_user"
PENDING_AT_KEY = "2fa_at"
PENDING_FOR = timedelta(minutes=5)

#: Throttles (Flask-Limiter) on the sign-in steps, per client address and per account tried.
LOGIN_PER_ADDRESS = "20 per minute; 200 per hour"
LOGIN_PER_ACCOUNT = "10 per minute; 100 per hour"


def _safe_next(target: str | None) -> str:
    """Only follow a local path after login, never another site."""
    if not target:
        return url_for("dashboard.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("dashboard.index")
    return target


def retry_after_seconds() -> int:
    """Seconds until the rate limit this request broke lets the client in again (for Retry-After)."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def _email_key() -> str:
    return "email:" + (request.form.get("email") or "").strip().lower()[:254]


def _pending_key() -> str:
    return f"pending:{session.get(PENDING_KEY)}"


def _idle() -> timedelta:
    return timedelta(minutes=int(current_app.config["FOIA_SESSION_IDLE_MINUTES"]))


def _lifetime() -> timedelta:
    return timedelta(hours=int(current_app.config["FOIA_SESSION_MAX_HOURS"]))


def load_signed_in_user(user_id: str) -> User | None:
    """Flask-Login's user_loader: the user of the live server-side session named by the cookie, if any,
    and only if that user is still active. Ends sessions that timed out."""
    now = utcnow()
    row = sessions.current(db.session(), token=session.get(TOKEN_KEY), now=now, idle=_idle(), lifetime=_lifetime())
    user = None
    if row is not None and str(row.user_id) == str(user_id):
        user = db.session.get(User, row.user_id)
        if user is None or not user.active:
            sessions.end(row, now=now, reason="inactive")
            user = None
        else:
            g.user_session = row  # the row this request runs under (a password change keeps it)
    if db.session.dirty:  # last_seen_at touched, or a session ended
        db.session.commit()
    return user


def _fresh_flask_session(*, keep_form: bool = True) -> None:
    """Empty the Flask session: a new CSRF secret follows (Flask-WTF also caches the signed token in `g`).
    Text kept from a form posted after the session ended survives sign-in (form_stash)."""
    stash = form_stash.carry_over() if keep_form else None
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    form_stash.restore(stash)


def send_to_sign_in():
    """A page needs a signed-in person and there is none (or the session ended while a form was open):
    keep what was posted, and come back to the page after signing in."""
    next_url = request.full_path.rstrip("?") if request.query_string else request.path
    if request.method != "POST":
        flash("Please sign in to continue.", "info")
        return redirect(url_for("auth.login", next=next_url))
    kept = form_stash.stash_posted_form()
    rule = request.url_rule
    if rule is None or "GET" not in (rule.methods or ()):
        next_url = ""  # an action without a page of its own: nothing to come back to
        message = "Your session ended, so nothing was saved. Sign in to continue."
    elif kept:
        message = "Your session ended, so nothing was saved. Sign in to come back to the page with your text."
    else:
        message = ("Your session ended, so nothing was saved, and your text was too long to keep. "
                   "Sign in to come back to the page.")
    flash(message, "info")
    return redirect(url_for("auth.login", next=next_url or None))


def _start(user: User) -> None:
    """The password (and second factor) passed: a fresh Flask session holding a new server-side session."""
    now = utcnow()
    _fresh_flask_session()
    token = sessions.start_session(db.session(), user=user, now=now, user_agent=request.user_agent.string,
                                   ip=request.remote_addr or "")
    record_success(db.session(), user, now=now)
    audit(db.session(), actor=user, now=now, action="sign_in", entity=user, after={"ip": request.remote_addr or ""})
    db.session.commit()
    session[TOKEN_KEY] = token
    login_user(user, remember=False)


def _locked_page(form, until: datetime, now: datetime, template: str = "login.html", **extra):
    seconds = max(1, math.ceil((until - now).total_seconds()))
    minutes = max(1, math.ceil(seconds / 60))
    error = (f"Too many failed sign-in attempts. This account is locked for {minutes} more "
             f"minute{'s' if minutes != 1 else ''}; try again after that.")
    resp = current_app.make_response((render_template(template, form=form, error=error, field_errors={},
                                                      demo_accounts=DEMO_ACCOUNTS, **extra), 429))
    resp.headers["Retry-After"] = str(seconds)
    return resp


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_PER_ADDRESS, methods=["POST"])
@limiter.limit(LOGIN_PER_ACCOUNT, methods=["POST"], key_func=_email_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        now = utcnow()
        attempt = check_password(db.session(), form.email.data, form.password.data, now=now,
                                 max_failures=int(current_app.config["FOIA_LOGIN_MAX_FAILURES"]))
        db.session.commit()
        if attempt.locked_until is not None:
            return _locked_page(form, attempt.locked_until, now)
        user = attempt.user
        if user is not None and user.totp_enabled_at is not None:
            _fresh_flask_session()
            session[PENDING_KEY], session[PENDING_AT_KEY] = user.id, now.isoformat()
            return redirect(url_for("auth.login_code", next=request.args.get("next")))
        if user is not None:
            _start(user)
            return redirect(_safe_next(request.args.get("next")))
        error = "That email address and password do not match an account."
        status = 401
    elif request.method == "POST":
        status = 400
    field_errors = {name: msgs[0] for name, msgs in form.errors.items() if name != "csrf_token"}
    return render_template("login.html", form=form, error=error, field_errors=field_errors,
                           demo_accounts=DEMO_ACCOUNTS), status


def _pending_user(now: datetime) -> User | None:
    user_id, started = session.get(PENDING_KEY), session.get(PENDING_AT_KEY)
    if not user_id or not started:
        return None
    try:
        if now - datetime.fromisoformat(started) > PENDING_FOR:
            return None
    except (TypeError, ValueError):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.totp_enabled_at is None:
        return None
    return user


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(LOGIN_PER_ADDRESS, methods=["POST"])
@limiter.limit(LOGIN_PER_ACCOUNT, methods=["POST"], key_func=_pending_key)
def login_code():
    """The second sign-in step: a code from the authenticator app, or a recovery code."""
    now = utcnow()
    user = _pending_user(now)
    if user is None:
        session.pop(PENDING_KEY, None)
        session.pop(PENDING_AT_KEY, None)
        flash("Sign in again: the code must be entered within 5 minutes of the password.", "info")
        return redirect(url_for("auth.login", next=request.args.get("next")))
    error = None
    status = 200
    if request.method == "POST":
        remaining = lock_remaining(user, now)
        if remaining is not None and user.locked_until is not None:
            return _locked_page(None, user.locked_until, now, template="accounts/login_code.html")
        if check_second_factor(db.session(), user, request.form.get("code", ""), now=now):
            _start(user)
            return redirect(_safe_next(request.args.get("next")))
        record_failure(db.session(), user, now=now, max_failures=int(current_app.config["FOIA_LOGIN_MAX_FAILURES"]))
        db.session.commit()
        if user.locked_until is not None and lock_remaining(user, now) is not None:
            return _locked_page(None, user.locked_until, now, template="accounts/login_code.html")
        error = "That code is not right. Enter the 6-digit code your app shows now, or a recovery code."
        status = 401
    return render_template("accounts/login_code.html", error=error), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    now = utcnow()
    row = sessions.current(db.session(), token=session.get(TOKEN_KEY), now=now, idle=_idle(), lifetime=_lifetime())
    if row is not None:
        sessions.end(row, now=now, reason="signed_out")
    audit(db.session(), actor=current_user, now=now, action="sign_out", entity=current_user)
    db.session.commit()
    logout_user()
    _fresh_flask_session(keep_form=False)
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
