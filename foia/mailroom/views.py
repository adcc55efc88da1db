"""Importing agency email, the unmatched-mail list, and the evidence export download."""

from __future__ import annotations

import os

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from foia.core.access import can_assign, can_edit, get_visible_request
from foia.core.clock import utcnow
from foia.core.errors import ValidationError
from foia.core.paths import blob_root, letter_cache_dir
from foia.core.web import request_or_404, temp_download
from foia.documents.stores import open_store
from foia.extensions import db
from foia.mail import EmailParseError, parse_eml
from foia.mailroom.export import build_bundle
from foia.mailroom.imports import assign_unmatched, discard_unmatched, import_eml, unmatched_for
from foia.models import COMMUNICATION_KINDS, UnmatchedMail
from foia.requests.queries import find_editable_requests

bp = Blueprint("mailroom", __name__)


def _storage() -> tuple[str, int]:

    return blob_root(current_app.config), current_app.config.get("FOIA_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)


@bp.route("/mail/import", methods=["GET", "POST"])
@login_required
def import_mail():
    results: list[tuple[str, str, str, str]] = []  # file name, status, message, where it went (a link)
    status = 200
    if request.method == "POST":
        kind = request.form.get("kind", "note")
        files = [f for f in request.files.getlist("files") if f and f.filename]
        if not files:
            results.append(("", "error", "Choose one or more .eml files to import.", ""))
            status = 400
        root, max_bytes = _storage()
        for f in files:
            name = os.path.basename(f.filename or "")[:200]
            try:
                res = import_eml(db.session(), actor=current_user, now=utcnow(), data=f.read(), storage_root=root,
                                 max_bytes=max_bytes, kind=kind)
            except ValidationError as exc:
                results.append((name, "error", " ".join(exc.errors.values()), ""))
                status = 400
            else:
                link = ""
                if res.ref and res.communication_id:
                    link = url_for("requests.show", ref=res.ref) + f"#communication-{res.communication_id}"
                elif res.unmatched_id:
                    link = url_for("mailroom.message", row_id=res.unmatched_id)
                results.append((name, res.status, res.message, link))
    return render_template("mailroom/import.html", results=results, kinds=COMMUNICATION_KINDS), status


@bp.route("/mail/unmatched")
@login_required
def unmatched():
    return render_template("mailroom/unmatched.html", rows=unmatched_for(db.session(), current_user),
                           kinds=COMMUNICATION_KINDS)


def _waiting_or_404(row_id: int) -> UnmatchedMail:
    """A message still waiting that the signed-in person may handle; 404 otherwise (hidden looks missing)."""
    row = db.session.get(UnmatchedMail, row_id)
    if row is None or row.assigned_at is not None or row.discarded_at is not None or not can_assign(current_user, row):
        abort(404)
    return row


def _render_message(row: UnmatchedMail, *, errors: dict[str, str] | None = None, status: int = 200):
    """The message as text: headers, body and attachment names. Its HTML is never rendered."""
    root, _max = _storage()
    parsed = None
    try:
        parsed = parse_eml(open_store(root).open_blob(row.raw_sha256).read())
    except (EmailParseError, OSError, ValueError):
        pass  # shown as "cannot be read"; the stored file stays for the record
    q = (request.args.get("q") or "").strip()
    found = find_editable_requests(db.session(), current_user, q) if q else []
    return render_template("mailroom/message.html", row=row, parsed=parsed, q=q, found=found,
                           kinds=COMMUNICATION_KINDS, errors=errors or {}), status


@bp.route("/mail/unmatched/<int:row_id>")
@login_required
def message(row_id: int):
    return _render_message(_waiting_or_404(row_id))


@bp.route("/mail/unmatched/<int:row_id>/discard", methods=["POST"])
@login_required
def discard(row_id: int):
    row = _waiting_or_404(row_id)
    try:
        discard_unmatched(db.session(), actor=current_user, now=utcnow(), row=row,
                          reason=request.form.get("reason", ""))
    except ValidationError as exc:
        db.session.rollback()
        return _render_message(_waiting_or_404(row_id), errors=exc.errors, status=400)
    db.session.commit()
    flash("Message discarded. It is kept for the record.", "success")
    return redirect(url_for("mailroom.unmatched"))


@bp.route("/mail/unmatched/<int:row_id>/assign", methods=["POST"])
@login_required
def assign(row_id: int):
    row = _waiting_or_404(row_id)
    ref = (request.form.get("ref") or "").strip().upper()
    req = get_visible_request(db.session(), current_user, ref)
    try:
        if req is None or not can_edit(current_user, req):
            raise ValidationError({"ref": f"No request {ref or '(blank)'} that you can add to."})
        root, max_bytes = _storage()
        res = assign_unmatched(db.session(), actor=current_user, now=utcnow(), row=row, req=req,
                               kind=request.form.get("kind", "note"), storage_root=root, max_bytes=max_bytes)
    except ValidationError as exc:
        db.session.rollback()
        flash(" ".join(exc.errors.values()), "error")
        return redirect(url_for("mailroom.message", row_id=row_id)), 303
    flash(res.message, "success")
    return redirect(url_for("requests.show", ref=req.ref))


@bp.route("/requests/<ref>/export")
@login_required
def export(ref: str):
    req = request_or_404(ref)
    path = temp_download("foia-export-")
    build_bundle(db.session(), req, out_path=path, storage_root=blob_root(current_app.config),
                 letter_cache=letter_cache_dir(current_app.config),
                 mail_from=current_app.config["FOIA_MAIL_FROM"], now=utcnow())
    return send_file(path, mimetype="application/zip", as_attachment=True, download_name=f"{req.ref}-evidence.zip")
