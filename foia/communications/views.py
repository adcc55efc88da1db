"""Log a communication with the agency: the form, and the request page's Communications section."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from foia.accounts.form_stash import take_stashed_form
from foia.communications.corrections import Correction, correct_communication, void_communication
from foia.communications.effects import (
    APPEAL_OUTCOMES,
    DEFAULT_DIRECTION,
    EFFECTS,
    EXEMPTION_KINDS,
    FEE_WAIVER_DECISIONS,
)
from foia.communications.exemptions import exemptions_for, label_for
from foia.communications.service import (
    TO_CLASSIFY,
    classify_communication,
    communications_for,
    log_communication_with_files,
)
from foia.communications.validation import FIELD_KINDS
from foia.core.access import can_edit
from foia.core.clock import utcnow
from foia.core.errors import ValidationError
from foia.core.paths import blob_root
from foia.core.web import request_or_404
from foia.deadlines import load_law
from foia.documents.storage import human_size
from foia.extensions import db
from foia.models import COMMUNICATION_KINDS, DIRECTIONS, Communication, User

bp = Blueprint("communications", __name__, url_prefix="/requests/<ref>/communications")

# Form field name -> the id of the element an error summary links to.
FIELD_IDS = {
    "direction": "comm-direction-incoming", "kind": "comm-kind", "occurred_on": "comm-date",
    "subject": "comm-subject", "body": "comm-body", "tracking_number": "comm-tracking",
    "exemptions": "comm-exemptions", "days": "comm-days", "estimated_completion": "comm-estimated",
    "agreed_date": "comm-agreed", "outcome": "comm-outcome", "amount": "comm-amount", "decision": "comm-decision",
    "attachments": "comm-attachments",
}


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(ref: str):
    req = request_or_404(ref, edit=True)
    errors: dict[str, str] = {}
    form: dict[str, Any] = {"direction": "", "kind": "", "occurred_on": "", "subject": "", "body": "",
            "tracking_number": "", "exemptions": [], "days": "", "estimated_completion": "", "agreed_date": "",
            "outcome": "", "amount": "", "decision": ""}
    if request.method == "GET" and request.args.get("kind") in COMMUNICATION_KINDS:
        form["kind"] = request.args["kind"]
        # A note may be about either side (or a call): the person says which; other kinds have a usual side.
        form["direction"] = "" if form["kind"] == "note" else DEFAULT_DIRECTION[form["kind"]]
    kept = take_stashed_form() if request.method == "GET" else None  # typed when the session ended
    if kept:
        form.update({k: kept.get(k, form[k]) for k in form if k != "exemptions"})
        form["exemptions"] = kept.getlist("exemptions")
    if request.method == "POST":
        f = request.form
        form.update({k: f.get(k, "") for k in form if k != "exemptions"})
        form["exemptions"] = f.getlist("exemptions")
        data = {k: form[k] for k in ("days", "estimated_completion", "agreed_date", "outcome", "amount", "decision")
                if form[k].strip()}
        uploads = [u for u in request.files.getlist("attachments") if u.filename or u.content_length]
        try:  # one transaction: a refused file undoes the whole log
            comm = log_communication_with_files(
                db.session(), actor=current_user, now=utcnow(), req=req, direction=form["direction"],
                kind=form["kind"], occurred_on=form["occurred_on"].strip(), subject=form["subject"],
                body=form["body"], tracking_number=form["tracking_number"], exemptions=form["exemptions"], data=data,
                files=[(u.filename, u.stream) for u in uploads], storage_root=blob_root(current_app.config),
                max_bytes=current_app.config["FOIA_MAX_UPLOAD_BYTES"])
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            attached = f" with {len(uploads)} attached file{'s' if len(uploads) != 1 else ''}" if uploads else ""
            flash(f"Logged: {comm.kind_label} of {comm.occurred_on.strftime('%B %-d, %Y')}{attached}. "
                  f"Status: {req.status_label}.", "success")
            return redirect(url_for("requests.show", ref=req.ref) + "#communications")
    law = load_law(req.law).for_agency(req.agency.slug)
    ext = law.response.extension
    return render_template(
        "communications/new.html", req=req, law=law, form=form, errors=errors, field_ids=FIELD_IDS,
        kinds=COMMUNICATION_KINDS, effects=EFFECTS, directions=DIRECTIONS, exemptions=exemptions_for(req.law),
        exemption_kinds=EXEMPTION_KINDS, outcomes=APPEAL_OUTCOMES, decisions=FEE_WAIVER_DECISIONS, extension=ext,
        field_kinds={name: " ".join(k for k in COMMUNICATION_KINDS if k in kinds_)
                     for name, kinds_ in FIELD_KINDS.items()},
        field_kind_labels={name: _kind_list(kinds_) for name, kinds_ in FIELD_KINDS.items()},
        default_direction={k: ("" if k == "note" else v) for k, v in DEFAULT_DIRECTION.items()},
        summary_fields={name: {"id": fid} for name, fid in FIELD_IDS.items()},
        max_size=human_size(current_app.config["FOIA_MAX_UPLOAD_BYTES"]),
    ), (400 if errors else 200)


def _kind_list(kinds_: frozenset[str]) -> str:
    """'Extension notice' / 'Fee estimate or Payment' / 'every kind except ...' (the no-JS hint)."""
    names = [label for k, label in COMMUNICATION_KINDS.items() if k in kinds_]
    if len(kinds_) > len(COMMUNICATION_KINDS) / 2:
        others = [label for k, label in COMMUNICATION_KINDS.items() if k not in kinds_]
        return "every kind except " + ", ".join(others)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


@bp.route("/<int:comm_id>/classify", methods=["POST"])
@login_required
def classify(ref: str, comm_id: int):
    """Confirm what a reply fetched from the mailbox is: the suggested kind in one click, or another."""
    req = request_or_404(ref, edit=True)
    comm = db.session.get(Communication, comm_id)
    if comm is None or comm.request_id != req.id:
        return redirect(url_for("requests.show", ref=req.ref) + "#communications")
    kind = request.form.get("kind", "")
    try:
        classify_communication(db.session(), actor=current_user, now=utcnow(), comm=comm, kind=kind)
    except ValidationError as exc:
        db.session.rollback()
        flash("Not classified: " + " ".join(exc.errors.values()) + " Log it with its details from "
              "\"Log a communication\" instead.", "error")
    else:
        db.session.commit()
        flash(f"Classified as {comm.kind_label}. Status: {req.status_label}.", "success")
    return redirect(url_for("requests.show", ref=req.ref) + f"#communication-{comm_id}")


@bp.app_context_processor
def communication_helpers():
    def request_communications(req):
        return communications_for(db.session(), req)

    return {"request_communications": request_communications, "exemption_label": label_for,
            "communication_directions": DIRECTIONS, "can_edit_request": can_edit,
            "communication_kinds": COMMUNICATION_KINDS, "TO_CLASSIFY": TO_CLASSIFY, "communication_effects": EFFECTS}


def _communication_or_404(req, comm_id: int) -> Communication:
    comm = db.session.get(Communication, comm_id)
    if comm is None or comm.request_id != req.id:
        abort(404)
    return comm


def _flash_correction(done: str, result: Correction) -> None:
    flash(f"{done} {result.summary}", "success")


@bp.route("/<int:comm_id>/void", methods=["POST"])
@login_required
def void(ref: str, comm_id: int):
    """Void a communication logged by mistake (with a reason): kept, marked voided; clocks follow."""
    req = request_or_404(ref, edit=True)
    comm = _communication_or_404(req, comm_id)
    try:
        result = void_communication(db.session(), actor=current_user, now=utcnow(), comm=comm,
                                    reason=request.form.get("reason", ""))
    except ValidationError as exc:
        db.session.rollback()
        flash("Not voided: " + " ".join(exc.errors.values()), "error")
    else:
        db.session.commit()
        _flash_correction(f"Voided the {comm.kind_label.lower()} of {comm.occurred_on.strftime('%B %-d, %Y')}.",
                          result)
    return redirect(url_for("requests.show", ref=req.ref) + f"#communication-{comm.id}")


@bp.route("/<int:comm_id>/correct", methods=["GET", "POST"])
@login_required
def correct(ref: str, comm_id: int):
    """Correct a communication's kind or date: it is voided with the reason and logged again as corrected."""
    req = request_or_404(ref, edit=True)
    comm = _communication_or_404(req, comm_id)
    if comm.voided_at is not None:
        flash("This communication was voided; log a new one instead.", "error")
        return redirect(url_for("requests.show", ref=req.ref) + f"#communication-{comm.id}")
    form = {"kind": comm.kind, "occurred_on": comm.occurred_on.isoformat(), "reason": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form.update({k: request.form.get(k, "").strip() for k in form})
        if form["kind"] == comm.kind and form["occurred_on"] == comm.occurred_on.isoformat():
            errors["kind"] = "Change the kind or the date (or both) to correct this entry."
        else:
            try:
                result = correct_communication(db.session(), actor=current_user, now=utcnow(), comm=comm,
                                               reason=form["reason"], kind=form["kind"],
                                               occurred_on=form["occurred_on"])
            except ValidationError as exc:
                db.session.rollback()
                errors = exc.errors
            else:
                db.session.commit()
                new = result.replacement
                assert new is not None
                _flash_correction(f"Corrected: now {new.kind_label.lower()} of "
                                  f"{new.occurred_on.strftime('%B %-d, %Y')}.", result)
                return redirect(url_for("requests.show", ref=req.ref) + f"#communication-{new.id}")
    return render_template("communications/correct.html", req=req, comm=comm, form=form, errors=errors,
                           kinds=COMMUNICATION_KINDS, effects=EFFECTS), (400 if errors else 200)


@bp.app_context_processor
def correction_helpers():
    """For the request page's Communications: what a communication's void does, and what it replaced."""

    def void_consequence(comm: Communication) -> str:
        effect = EFFECTS.get(comm.kind)
        if comm.kind in ("note", "fee_estimate", "payment") or effect is None:
            return (f"The {comm.kind_label.lower()} stays listed, marked voided with your reason; no deadline "
                    "depends on it.")
        return (f"The {comm.kind_label.lower()} stops counting: the deadlines are recomputed without it and the "
                "status goes back to what the other entries say. It stays listed, marked voided with your reason.")

    def replaced_communication(comm: Communication) -> Communication | None:
        return db.session.get(Communication, comm.replaces_id) if comm.replaces_id else None

    def user_name(user_id: int | None) -> str:
        user = db.session.get(User, user_id) if user_id else None
        return user.name if user is not None else "someone"

    return {"void_consequence": void_consequence, "replaced_communication": replaced_communication,
            "user_name": user_name}
