from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from foia.accounts.forms import LoginForm
from foia.accounts.service import authenticate
from foia.core.clock import utcnow
from foia.extensions import db

bp = Blueprint("auth", __name__)

DEMO_ACCOUNTS = (
    ("clerk@lacity.example", "Staff, City of Los Angeles"),
    ("reporter@newsroom.example", "Reporter, Los Angeles Ledger newsroom"),
    ("admin@lacity.example", "Administrator"),
)


def _safe_next(target: str | None) -> str:
    """Only follow a local path after login, never another site."""
    if not target:
        return url_for("dashboard.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("dashboard.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        user = authenticate(db.session(), form.email.data, form.password.data, now=utcnow())
        if user is not None:
            db.session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        error = "That email address and password do not match an account."
        status = 401
    elif request.method == "POST":
        status = 400
    field_errors = {name: msgs[0] for name, msgs in form.errors.items() if name != "csrf_token"}
    return render_template("login.html", form=form, error=error, field_errors=field_errors,
                           demo_accounts=DEMO_ACCOUNTS), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
