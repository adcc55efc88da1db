"""Documents: upload to a request (editors), download (anyone who can see the request, always as an attachment)."""

from __future__ import annotations

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
from sqlalchemy import select

from foia.core.access import can_edit
from foia.core.clock import utcnow
from foia.core.errors import ValidationError
from foia.core.paths import blob_root
from foia.core.web import request_or_404
from foia.documents.removal import mime_label, remove_document
from foia.documents.service import (
    add_document,
    documents_for,
    download_mimetype,
    get_visible_document,
)
from foia.documents.storage import StorageUnavailable, human_size
from foia.documents.stores import open_store
from foia.extensions import db
from foia.models import Communication, Request

bp = Blueprint("documents", __name__)


def _communications(req) -> list[Communication]:
    return list(db.session.scalars(select(Communication).where(Communication.request_id == req.id,
                                                             Communication.voided_at.is_(None))
                                   .order_by(Communication.occurred_on, Communication.id)))


@bp.route("/requests/<ref>/documents/new", methods=["GET", "POST"])
@login_required
def new(ref: str):
    req = request_or_404(ref, edit=True)
    communications = _communications(req)
    max_bytes = current_app.config["FOIA_MAX_UPLOAD_BYTES"]
    stored: list[dict] = []
    refused: list[dict] = []
    errors: dict[str, str] = {}
    chosen = request.form.get("communication_id", "")
    if request.method == "POST":
        communication = None
        if chosen:
            communication = next((c for c in communications if str(c.id) == chosen), None)
            if communication is None:
                errors["communication_id"] = "Choose one of this request's communications, or none."
        files = [f for f in request.files.getlist("files") if f.filename or f.content_length]
        if not files:
            errors["files"] = "Choose at least one file to upload."
        if not errors:
            for upload in files:
                try:
                    with db.session.begin_nested():  # a refused file undoes only its own rows
                        doc = add_document(db.session(), actor=current_user, now=utcnow(), req=req,
                                           stream=upload.stream, filename=upload.filename,
                                           storage_root=blob_root(current_app.config), max_bytes=max_bytes,
                                           communication=communication)
                except ValidationError as exc:
                    refused.append({"name": upload.filename or "(no name)", "reason": " ".join(exc.errors.values())})
                else:
                    stored.append({"name": doc.filename, "doc": doc})
                finally:
                    upload.close()
            db.session.commit()
            if stored and not refused:
                flash(f"Uploaded {len(stored)} document{'s' if len(stored) != 1 else ''}: "
                      + ", ".join(s["name"] for s in stored) + ".", "success")
                return redirect(url_for("requests.show", ref=req.ref) + "#documents", 303)
    status = 400 if (errors or (refused and not stored)) else 200
    return render_template("documents/new.html", req=req, communications=communications, chosen=chosen,
                           errors=errors, stored=stored, refused=refused, max_size=human_size(max_bytes)), status


@bp.route("/documents/<int:document_id>/download")
@login_required
def download(document_id: int):
    doc = get_visible_document(db.session(), current_user, document_id)
    if doc is None:
        abort(404)
    try:  # the access check above comes first; the bytes stream through the app (never a redirect to S3)
        fh = open_store(blob_root(current_app.config)).open_blob(doc.sha256)
    except (FileNotFoundError, ValueError):
        current_app.logger.error("document %s: blob %s is missing", doc.id, doc.sha256)
        abort(404)
    # StorageUnavailable (S3 unreachable) goes to storage_unavailable below: 503.
    # Never inline: attachment, no sniffing, HTML (and anything unknown) as octet-stream, and a
    # sandboxing CSP in case a browser shows it anyway.
    resp = send_file(fh, mimetype=download_mimetype(doc.mime), as_attachment=True, download_name=doc.filename,
                     etag=doc.sha256, max_age=0, conditional=True)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp


STORAGE_DOWN_MESSAGE = ("Document storage is unavailable right now, so files cannot be uploaded or downloaded. "
                        "Nothing was saved from this action. Try again in a few minutes; if it keeps happening "
                        "tell an administrator.")


@bp.app_errorhandler(StorageUnavailable)
def storage_unavailable(exc: StorageUnavailable):
    """The blob store (an S3 endpoint) cannot be reached, on any page or API call: 503 with a clear message,
    after rolling back (a staged upload is discarded with its transaction: no row without its blob)."""
    from werkzeug.exceptions import ServiceUnavailable

    from foia.api.auth import error_response, is_api_path

    current_app.logger.error("document storage unavailable on %s %s: %s", request.method, request.path,
                             exc.__cause__ or exc)
    db.session.rollback()
    if is_api_path(request.path):
        resp = error_response(ServiceUnavailable(STORAGE_DOWN_MESSAGE))
    else:
        resp = current_app.make_response((render_template("error.html", code=503, title="Document storage unavailable",
                                                          message=STORAGE_DOWN_MESSAGE), 503))
    resp.headers["Retry-After"] = "60"
    return resp


@bp.app_context_processor
def document_helpers():
    def request_documents(req):
        return documents_for(db.session(), req)

    return {"request_documents": request_documents, "human_size": human_size}


@bp.route("/documents/<int:document_id>/remove", methods=["POST"])
@login_required
def remove(document_id: int):
    """Remove a document from its request (with a reason): hidden and no longer downloadable; kept on record."""
    doc = get_visible_document(db.session(), current_user, document_id)
    if doc is None:
        abort(404)
    req = db.session.get_one(Request, doc.request_id)
    if not can_edit(current_user, req):
        abort(403)
    try:
        remove_document(db.session(), actor=current_user, now=utcnow(), doc=doc, reason=request.form.get("reason", ""))
    except ValidationError as exc:
        db.session.rollback()
        flash("Not removed: " + " ".join(exc.errors.values()), "error")
    else:
        db.session.commit()
        flash(f"Removed {doc.filename} from this request. It is kept in the evidence bundle, listed as removed.",
              "success")
    return redirect(url_for("requests.show", ref=req.ref) + "#documents", 303)


@bp.app_template_filter("mime_label")
def mime_label_filter(mime: str | None) -> str:
    """A readable file type: application/pdf → PDF."""
    return mime_label(mime)
