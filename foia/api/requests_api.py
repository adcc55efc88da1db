"""/api/v1/requests: list and filter, read one (deadlines, communications, documents), create, log a
communication, upload a document, download a document. The same access rules and services as the web pages."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, NoReturn

from flask import current_app, g, request, send_file, url_for
from flask_login import current_user

from foia.api.auth import ApiBlueprint, fail, protect
from foia.api.schemas import (
    CommunicationCreatedSchema,
    CommunicationCreateSchema,
    DocumentSchema,
    DocumentUploadSchema,
    RequestCreateSchema,
    RequestDetailSchema,
    RequestListArgsSchema,
    RequestListSchema,
)
from foia.clocks.service import clock_rows, compute_for, request_calendar
from foia.communications.effects import DEFAULT_DIRECTION
from foia.communications.service import communications_for, log_communication
from foia.core.access import can_edit, get_visible_request
from foia.core.clock import local_today, utcnow
from foia.core.errors import ValidationError
from foia.core.paths import blob_root
from foia.documents.service import add_document, documents_for, download_mimetype, get_visible_document
from foia.documents.stores import open_store
from foia.extensions import db
from foia.models import Communication, Request
from foia.models.communication import Document
from foia.requests.queries import Cursor, ListQuery, list_filters, list_requests, request_events
from foia.requests.service import RequestInput, create_request

bp = ApiBlueprint("api_requests", __name__, url_prefix="/api/v1", description="Requests, their deadlines, "
               "communications and documents. Every call acts as the token's owner, with the access they have on "
               "the web.")
protect(bp)


@bp.before_request
def load_request() -> None:
    """The request in the URL, before the body is read: 404 when hidden or missing (alike), 403 when a POST needs
    to change what the caller may only read. After `require_token` (registered first, by `protect`)."""
    ref = (request.view_args or {}).get("ref")
    if ref is not None:
        g.api_request = _visible_or_404(str(ref), edit=request.method != "GET")


def errors(*codes: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Document the error answers an operation can give (each as the JSON Error schema)."""
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        for code in codes:
            view = bp.alt_response(code, response=HTTPStatus(code).name)(view)
        return view
    return decorate


def current_request() -> Request:
    req = g.get("api_request")
    assert isinstance(req, Request)
    return req

_CURSOR_VERSION = "c1:"
#: Request bodies shown in the document and the docs page's curl examples (tests/api/test_openapi.py posts them).
CREATE_EXAMPLE = {"title": "ICE detention contracts, 2025", "agency": "dhs-ice",
                  "records_sought": "All contracts for detention services signed in 2025, with their amendments.",
                  "fee_category": "news_media", "visibility": "organization"}
LOG_EXAMPLE = {"kind": "acknowledgment", "occurred_on": "2026-01-20", "tracking_number": "2026-ICFO-0042",
               "subject": "We received your FOIA request"}


# ---------------------------------------------------------------------------------------------- helpers

def encode_cursor(cursor: Cursor) -> str:
    return base64.urlsafe_b64encode((_CURSOR_VERSION + cursor.encode()).encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> Cursor:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    cursor = Cursor.decode(text[len(_CURSOR_VERSION):]) if text.startswith(_CURSOR_VERSION) else None
    if cursor is None:
        fail(422, errors={"cursor": ["Not a cursor this API gave: pass next_cursor from the previous page."]})
    return cursor


def _validation_error(exc: ValidationError, rename: dict[str, str] | None = None) -> NoReturn:
    db.session.rollback()
    rename = rename or {}
    fail(422, message="The request has invalid fields; see errors.",
          errors={rename.get(k, k): [v] for k, v in exc.errors.items()})


def _visible_or_404(ref: str, *, edit: bool = False) -> Request:
    req = get_visible_request(db.session(), current_user, ref)
    if req is None:
        fail(404, message="No such request, or you do not have access to it.")
    if edit and not can_edit(current_user, req):
        fail(403, message="You can read this request but not change it.")
    return req


def summary(req: Request) -> dict[str, Any]:
    return {
        "ref": req.ref, "title": req.title, "status": req.status, "status_label": req.status_label,
        "agency": {"slug": req.agency.slug, "name": req.agency.name}, "law": req.law, "visibility": req.visibility,
        "tracking_number": req.tracking_number or "", "next_due": req.next_due, "response_due": req.response_due,
        "created_at": req.created_at, "updated_at": req.updated_at,
        "url": url_for("requests.show", ref=req.ref, _external=True),
        "api_url": url_for("api_requests.get_request", ref=req.ref, _external=True),
    }


def communication_out(comm: Communication) -> dict[str, Any]:
    return {"id": comm.id, "kind": comm.kind, "kind_label": comm.kind_label, "direction": comm.direction,
            "occurred_on": comm.occurred_on, "subject": comm.subject or "", "body": comm.body or "",
            "tracking_number": comm.tracking_number or "", "exemptions": list(comm.exemptions or []),
            "data": dict(comm.data or {}), "voided": comm.voided_at is not None, "created_at": comm.created_at}


def document_out(doc: Document) -> dict[str, Any]:
    return {"id": doc.id, "filename": doc.filename, "size": doc.size, "mime": doc.mime, "pages": doc.pages,
            "sha256": doc.sha256, "communication_id": doc.communication_id, "created_at": doc.created_at,
            "download_url": url_for("api_requests.download_document", document_id=doc.id, _external=True)}


def detail(req: Request) -> dict[str, Any]:
    """What the request page shows, as data (foia.requests.views.show computes the deadlines the same way)."""
    session = db.session()
    clocks = compute_for(session, req, request_events(session, req))
    rows = clock_rows(clocks, local_today(utcnow()), request_calendar(session, req))
    deadlines = [{"kind": c.kind, "label": c.label, "due": c.due, "unit": c.unit, "length": c.length,
                  "citation": c.citation, "status": c.status, "explanation": list(c.explanation),
                  "days_left": row["left"], "days_left_unit": row["left_unit"]}
                 for row in rows for c in [row["clock"]]]
    return {**summary(req),
            "records_sought": req.records_sought, "records_from": req.records_from, "records_to": req.records_to,
            "fee_category": req.fee_category,
            "fee_ceiling": f"{req.fee_ceiling:.2f}" if req.fee_ceiling is not None else None,
            "fee_waiver": bool(req.fee_waiver), "expedited": bool(req.expedited),
            "preferred_format": req.preferred_format or "", "requester": req.requester.name, "sent_at": req.sent_at,
            "deadlines": deadlines,
            "communications": [communication_out(c) for c in communications_for(session, req)],
            "documents": [document_out(row.document) for row in documents_for(session, req)]}


# ---------------------------------------------------------------------------------------------- routes

@bp.route("/requests", methods=["GET"])
@bp.doc(operationId="listRequests")
@bp.arguments(RequestListArgsSchema, location="query", as_kwargs=True)
@bp.response(200, RequestListSchema)
@errors(401, 429)
def list_requests_view(status: str | None, agency: str | None, q: str, cursor: str | None, limit: int):
    """List requests

    The requests you can see (the same as the web list), soonest next deadline first. Filter by `status`,
    `agency` (slug) and `q`; page with `limit` and the opaque `cursor` (`next_cursor` of the previous page)."""
    session = db.session()
    after = decode_cursor(cursor) if cursor else None
    lq = ListQuery(q=" ".join((q or "").split())[:100], status=status, agency_slug=(agency or "").strip() or None)
    rows, nxt = list_requests(session, current_user, after=after, limit=limit,
                              filters=list_filters(session, current_user, lq))
    return {"items": [summary(r) for r in rows], "next_cursor": encode_cursor(nxt) if nxt is not None else None}


@bp.route("/requests", methods=["POST"])
@bp.doc(operationId="createRequest")
@bp.arguments(RequestCreateSchema, example=CREATE_EXAMPLE)
@bp.response(201, RequestDetailSchema, headers={"Location": {"description": "The new request in the API.",
                                                             "schema": {"type": "string"}}})
@errors(401, 429)
def create_request_view(data: dict[str, Any]):
    """Create a request

    A draft request to one agency, validated and saved exactly as the web's New request form saves it (its
    reference, first ledger event and audit row). Invalid fields come back as 422 with a message per field."""
    agency = data.pop("agency")
    try:
        req = create_request(db.session(), actor=current_user, now=utcnow(),
                             data=RequestInput(agency_slug=agency, **data),
                             timezone=current_app.config["FOIA_TIMEZONE"])
    except ValidationError as exc:
        _validation_error(exc)
    db.session.commit()
    return detail(req), 201, {"Location": url_for("api_requests.get_request", ref=req.ref, _external=True)}


@bp.route("/requests/<ref>", methods=["GET"])
@bp.doc(operationId="getRequest", parameters=[{"in": "path", "name": "ref", "description": "The reference, "
                                               "e.g. FT-2026-0001.", "schema": {"type": "string"}}])
@bp.response(200, RequestDetailSchema)
@errors(401, 404, 429)
def get_request(ref: str):
    """Read a request

    One request with its deadlines (each with the plain-language explanation of how it was computed), its
    communications and its documents (metadata and download URLs). 404 when it does not exist or you may not see
    it (the two look alike)."""
    return detail(current_request())


@bp.route("/requests/<ref>/communications", methods=["POST"])
@bp.doc(operationId="logCommunication", parameters=[{"in": "path", "name": "ref", "description": "The reference.",
                                                     "schema": {"type": "string"}}])
@bp.arguments(CommunicationCreateSchema, example=LOG_EXAMPLE)
@bp.response(201, CommunicationCreatedSchema)
@errors(401, 403, 404, 429)
def log_communication_view(data: dict[str, Any], ref: str):
    """Log a communication

    Log a communication with the agency, as the web's Log a communication form and `flask foia log` do: the
    ledger event, the status and the deadlines move with it. You must be able to change the request (403
    otherwise)."""
    req = current_request()
    kind = data["kind"]
    extra = {k: data[k] for k in ("days", "estimated_completion", "agreed_date", "outcome", "amount", "decision")
             if data.get(k) not in (None, "")}
    now = utcnow()
    on = data["occurred_on"] or local_today(now)
    try:
        comm = log_communication(
            db.session(), actor=current_user, now=now, req=req, kind=kind,
            direction=data["direction"] or DEFAULT_DIRECTION.get(kind, "incoming"), occurred_on=on.isoformat(),
            subject=data["subject"], body=data["body"], tracking_number=data["tracking_number"],
            exemptions=data["exemptions"],
            data={k: v.isoformat() if hasattr(v, "isoformat") else str(v) for k, v in extra.items()})
    except ValidationError as exc:
        _validation_error(exc)
    db.session.commit()
    return {"communication": communication_out(comm), "request": summary(req)}, 201


@bp.route("/requests/<ref>/documents", methods=["POST"])
@bp.doc(operationId="uploadDocument", parameters=[{"in": "path", "name": "ref", "description": "The reference.",
                                                   "schema": {"type": "string"}}])
@bp.arguments(DocumentUploadSchema, location="files")
@bp.response(201, DocumentSchema)
@errors(401, 403, 404, 413, 429)
def upload_document(form: dict[str, Any], ref: str):
    """Upload a document

    One file (multipart/form-data, field `file`), stored as the web upload stores it: content-addressed, under the
    same size cap, its type taken from its content (a name that promises another type is refused). Optionally
    attached to one of the request's communications. Downloads are always attachments, never shown inline."""
    req = current_request()
    communication = None
    if form.get("communication_id") is not None:
        communication = db.session.get(Communication, form["communication_id"])
        if communication is None or communication.request_id != req.id or communication.voided_at is not None:
            fail(422, errors={"communication_id": ["Choose one of this request's communications, or none."]})
    upload = form["file"]
    try:
        doc = add_document(db.session(), actor=current_user, now=utcnow(), req=req, stream=upload.stream,
                           filename=upload.filename, storage_root=blob_root(current_app.config),
                           max_bytes=current_app.config["FOIA_MAX_UPLOAD_BYTES"], communication=communication)
    except ValidationError as exc:
        _validation_error(exc, {"communication": "communication_id"})
    finally:
        upload.close()
    db.session.commit()
    return document_out(doc), 201


@bp.route("/documents/<int:document_id>/download", methods=["GET"])
@bp.doc(operationId="downloadDocument", parameters=[{"in": "path", "name": "document_id",
                                                     "description": "The document's id.",
                                                     "schema": {"type": "integer"}}],
        responses={"200": {"description": "The file, as an attachment.",
                           "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                               "format": "binary"}}}}})
@errors(401, 404, 429)
def download_document(document_id: int):
    """Download a document

    The file as an attachment (`Content-Disposition: attachment`), never rendered inline; HTML and unknown types
    come as application/octet-stream."""
    doc = get_visible_document(db.session(), current_user, document_id)
    if doc is None:
        fail(404, message="No such document, or you do not have access to it.")
    try:
        fh = open_store(blob_root(current_app.config)).open_blob(doc.sha256)
    except (FileNotFoundError, ValueError):
        current_app.logger.error("document %s: blob %s is missing", doc.id, doc.sha256)
        fail(404, message="The file of this document is missing.")
    resp = send_file(fh, mimetype=download_mimetype(doc.mime), as_attachment=True, download_name=doc.filename,
                     etag=doc.sha256, max_age=0, conditional=True)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp
