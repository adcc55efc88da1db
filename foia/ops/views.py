"""/metrics: Prometheus text format, for this machine (loopback) or a holder of FOIA_METRICS_TOKEN."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from foia.core.clock import utcnow
from foia.extensions import csrf, db
from foia.ops.health import CHECKS, run_checks
from foia.ops.metrics import allowed, render

bp = Blueprint("ops", __name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # the Prometheus text exposition format


@bp.route("/metrics")
@csrf.exempt
def metrics():
    if not allowed(request.remote_addr, request.headers, current_app.config.get("FOIA_METRICS_TOKEN")):
        return Response("Metrics are served to this machine or with `Authorization: Bearer <FOIA_METRICS_TOKEN>`.\n",
                        status=401, mimetype="text/plain", headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    body = render(db.session(), now=utcnow(), config=current_app.config)
    return Response(body, status=200, content_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


@bp.route("/healthz")
def healthz():
    """Public and cheap: is the database reachable and at the code's schema, has the scheduler swept recently,
    are reminders, jobs or webhooks failing? 200 when every check passes, 503 otherwise; the body has each
    check (counts and revisions only, no secrets). ``?checks=database,schema`` runs only those (a load
    balancer's "can this process serve" probe, which should not fail because mail is down)."""
    only = [c.strip() for c in (request.args.get("checks") or "").split(",") if c.strip() in CHECKS] or None
    healthy, checks = run_checks(db.session(), now=utcnow(), config=current_app.config, only=only)
    resp = jsonify(status="ok" if healthy else "fail", checks=checks)
    resp.status_code = 200 if healthy else 503
    resp.headers["Cache-Control"] = "no-store"
    return resp
