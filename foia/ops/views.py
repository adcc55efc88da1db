"""/metrics: Prometheus text format, for this machine (loopback) or a holder of FOIA_METRICS_TOKEN."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from foia.core.clock import utcnow
from foia.extensions import csrf, db
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
