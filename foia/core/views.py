from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, request, url_for
from flask_login import current_user

from foia.core.clock import utcnow
from foia.extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    """Signed-in people start on their dashboard; everyone else signs in first."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("auth.login"))


@bp.route("/healthz")
def healthz():
    """Public and cheap: is the database reachable and at the code's schema, has the scheduler swept recently,
    are reminders, jobs or webhooks failing? 200 when every check passes, 503 otherwise; the body has each
    check (counts and revisions only, no secrets). ``?checks=database,schema`` runs only those (a load
    balancer's "can this process serve" probe, which should not fail because mail is down)."""
    from foia.ops.health import CHECKS, run_checks

    only = [c.strip() for c in (request.args.get("checks") or "").split(",") if c.strip() in CHECKS] or None
    healthy, checks = run_checks(db.session(), now=utcnow(), config=current_app.config, only=only)
    resp = jsonify(status="ok" if healthy else "fail", checks=checks)
    resp.status_code = 200 if healthy else 503
    resp.headers["Cache-Control"] = "no-store"
    return resp
