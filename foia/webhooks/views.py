"""The administrator's webhook pages: the organization's webhooks, add one (its secret shown once), send a
test event, disable, enable and delete, and each webhook's recent deliveries with every attempt.

Only administrators, and only their own organization's webhooks: another organization's is a 404. Nothing
is POSTed from here; events (the test one too) are delivered by the scheduler."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from foia.core.clock import utcnow
from foia.core.errors import ValidationError
from foia.extensions import db
from foia.models.exchange import WEBHOOK_EVENTS, Webhook
from foia.webhooks.payloads import EVENT_TITLES
from foia.webhooks.service import (
    create_webhook,
    delete_webhook,
    may_manage,
    recent_deliveries,
    send_test,
    set_active,
    webhook_for,
    webhooks_of,
)

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")

EVENT_HELP = {
    "deadline.approaching": "A deadline is due within the next days (once per deadline and date).",
    "deadline.missed": "A deadline passed and the agency has not answered.",
    "reply.received": "An agency's email was imported or fetched onto a request.",
    "status.changed": "A request's status changed.",
    "delivery.failed": "A letter emailed to an agency was refused or bounced.",
}


def admins_only(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not may_manage(current_user):
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def _hook(webhook_id: int) -> Webhook:
    hook = webhook_for(db.session(), current_user, webhook_id)
    if hook is None:
        abort(404)
    return hook


def _index(errors: dict[str, str] | None = None, form=None, status: int = 200):
    hooks = webhooks_of(db.session(), current_user.organization_id)
    return render_template("webhooks/index.html", hooks=hooks, events=WEBHOOK_EVENTS, titles=EVENT_TITLES,
                           event_help=EVENT_HELP, errors=errors or {}, form=form or {},
                           chosen=set(form.getlist("events")) if form else set(WEBHOOK_EVENTS)), status


@bp.route("")
@admins_only
def index():
    return _index()


@bp.route("", methods=["POST"])
@admins_only
def add():
    form = request.form
    try:
        hook, secret = create_webhook(db.session(), actor=current_user, now=utcnow(), url=form.get("url", ""),
                                      events=form.getlist("events"), fmt=form.get("format", "json"),
                                      secret=form.get("secret") or None, allow_private=form.get("allow_private") == "1")
    except ValidationError as exc:
        db.session.rollback()
        return _index(exc.errors, form, 400)
    db.session.commit()
    # The secret is shown on this response only (never flashed: the session cookie is signed, not encrypted).
    return render_template("webhooks/created.html", hook=hook, secret=secret, titles=EVENT_TITLES), 201


@bp.route("/<int:webhook_id>")
@admins_only
def show(webhook_id: int):
    hook = _hook(webhook_id)
    return render_template("webhooks/show.html", hook=hook, deliveries=recent_deliveries(db.session(), hook),
                           titles=EVENT_TITLES)


@bp.route("/<int:webhook_id>/test", methods=["POST"])
@admins_only
def test(webhook_id: int):
    hook = _hook(webhook_id)
    row = send_test(db.session(), actor=current_user, now=utcnow(), hook=hook)
    db.session.commit()
    flash(f"Test event {row.id} queued{'' if hook.active else ' (it waits while the webhook is disabled)'}: the "
          "scheduler sends it within a minute. Reload this page to see the attempt.", "success")
    return redirect(url_for("webhooks.show", webhook_id=hook.id))


@bp.route("/<int:webhook_id>/disable", methods=["POST"])
@admins_only
def disable(webhook_id: int):
    hook = _hook(webhook_id)
    set_active(db.session(), actor=current_user, now=utcnow(), hook=hook, active=False)
    db.session.commit()
    flash("Webhook disabled: it gets no new events; pending deliveries wait until it is enabled.", "success")
    return redirect(url_for("webhooks.show", webhook_id=hook.id))


@bp.route("/<int:webhook_id>/enable", methods=["POST"])
@admins_only
def enable(webhook_id: int):
    hook = _hook(webhook_id)
    set_active(db.session(), actor=current_user, now=utcnow(), hook=hook, active=True)
    db.session.commit()
    flash("Webhook enabled.", "success")
    return redirect(url_for("webhooks.show", webhook_id=hook.id))


@bp.route("/<int:webhook_id>/delete", methods=["POST"])
@admins_only
def delete(webhook_id: int):
    hook = _hook(webhook_id)
    url = hook.url
    delete_webhook(db.session(), actor=current_user, now=utcnow(), hook=hook)
    db.session.commit()
    flash(f"Webhook for {url} deleted, with its delivery log.", "success")
    return redirect(url_for("webhooks.index"))
