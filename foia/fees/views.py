"""Pages: a request's fees (/requests/<ref>/fees), its litigation ledger (/requests/<ref>/litigation), and the
organization's running fee totals (/fees). Parse, authorize, call the services, render."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from foia.clocks.service import compute_for
from foia.core.clock import local_today, utcnow
from foia.core.errors import ValidationError
from foia.core.web import request_or_404
from foia.deadlines import load_law
from foia.extensions import db
from foia.fees.forms import FeeStepForm, LitigationForm
from foia.fees.litigation import (
    LITIGATION_STEPS,
    LitigationInput,
    current_case,
    litigation_events,
    record_litigation_step,
)
from foia.fees.panel import escalations_for
from foia.fees.service import (
    FEE_STEPS,
    FeeStepInput,
    can_manage_fees,
    can_see_fees,
    fee_events,
    organization_fee_totals,
    record_fee_step,
    request_fee_totals,
)
from foia.models import Request
from foia.requests.queries import request_events

bp = Blueprint("fees", __name__)

_DATE_MESSAGE = "Enter the date as a day, month and year (YYYY-MM-DD)."


def _inside_request(ref: str) -> Request:
    """The request, for people of its organization (404 for anyone else: the fee ledger is theirs)."""
    req = request_or_404(ref)
    if not can_see_fees(current_user, req):
        abort(404)
    return req


def _form_errors(form) -> dict[str, str]:
    errors = {}
    for name, messages in form.errors.items():
        errors[name] = _DATE_MESSAGE if name in ("on", "respond_by") else messages[0]
    return errors


@bp.route("/requests/<ref>/fees", methods=["GET", "POST"])
@login_required
def request_fees(ref: str):
    req = _inside_request(ref)
    session = db.session()
    form = FeeStepForm()
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not can_manage_fees(current_user, req):
            abort(403)
        if form.validate():
            data = FeeStepInput(step=form.step.data or "", on=form.on.data, amount=form.amount.data or "",
                                method=form.method.data or "", asks_requester=bool(form.asks_requester.data),
                                respond_by=form.respond_by.data, decision=form.decision.data or "",
                                notes=form.notes.data or "")
            try:
                now = utcnow()
                record_fee_step(session, actor=current_user, now=now, req=req, data=data, today=local_today(now))
            except ValidationError as exc:
                session.rollback()
                errors = exc.errors
            else:
                session.commit()
                flash(f"Recorded: {FEE_STEPS[data.step].lower()}. The deadlines follow the law's fee rules.", "success")
                return redirect(url_for("fees.request_fees", ref=req.ref))
        else:
            errors = _form_errors(form)
    events = fee_events(session, req)
    totals = request_fee_totals(session, req, events)
    clocks = [c for c in compute_for(session, req) if c.kind in ("response", "fee_response", "fee_waiver_appeal")]
    law = load_law(req.law).for_agency(req.agency.slug)
    return render_template("fees/request.html", req=req, form=form, errors=errors, events=events, totals=totals,
                           law=law, fee_clocks=clocks, may_manage=can_manage_fees(current_user, req),
                           steps=FEE_STEPS), (400 if errors else 200)


@bp.route("/requests/<ref>/litigation", methods=["GET", "POST"])
@login_required
def litigation(ref: str):
    req = _inside_request(ref)
    session = db.session()
    form = LitigationForm()
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not can_manage_fees(current_user, req):
            abort(403)
        if form.validate():
            data = LitigationInput(step=form.step.data or "", on=form.on.data, court=form.court.data or "",
                                   case_number=form.case_number.data or "", what=form.what.data or "",
                                   outcome=form.outcome.data or "", notes=form.notes.data or "")
            try:
                now = utcnow()
                record_litigation_step(session, actor=current_user, now=now, req=req, data=data,
                                       today=local_today(now))
            except ValidationError as exc:
                session.rollback()
                errors = exc.errors
            else:
                session.commit()
                flash(f"Recorded: {LITIGATION_STEPS[data.step].lower()}.", "success")
                return redirect(url_for("fees.litigation", ref=req.ref))
        else:
            errors = _form_errors(form)
    events = request_events(session, req)
    escalations = escalations_for(req, compute_for(session, req, events), events)
    return render_template("fees/litigation.html", req=req, form=form, errors=errors,
                           events=litigation_events(session, req), case=current_case(session, req),
                           escalations=escalations, may_manage=can_manage_fees(current_user, req),
                           steps=LITIGATION_STEPS), (400 if errors else 200)


@bp.route("/fees")
@login_required
def organization():
    """The signed-in person's organization: fees paid and outstanding, per request and in all. A reporter sees
    only the requests they may see."""
    session = db.session()
    totals = organization_fee_totals(session, current_user.organization_id)
    if current_user.role not in ("admin", "staff"):
        visible = {r.ref for r in session.query(Request).filter(
            Request.organization_id == current_user.organization_id,
            Request.ref.in_([ref for ref, *_ in totals.requests])) if can_see_fees(current_user, r)}
        totals.requests = [row for row in totals.requests if row[0] in visible]
        totals.paid = sum((t.paid for *_, t in totals.requests), start=Decimal("0.00"))
        totals.outstanding = sum((t.outstanding for *_, t in totals.requests), start=Decimal("0.00"))
    return render_template("fees/organization.html", totals=totals, organization=current_user.organization)
