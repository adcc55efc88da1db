"""Letters: draft, revise, preview, finalize, download and mark as sent; compare two versions.

The letter HTML is never shown inside an app page: it is served by its own preview route with
its own Content-Security-Policy (only the letter stylesheet and fonts, no scripts) and embedded
in a sandboxed iframe. PDFs are always downloads (Content-Disposition: attachment).
"""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    Response,
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
from flask_wtf import FlaskForm
from markupsafe import escape
from sqlalchemy import select
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import Optional

from foia.accounts.form_stash import take_stashed_form
from foia.clauses.service import TARGETS as CLAUSE_TARGETS
from foia.clauses.service import insert_clause
from foia.clocks.service import clock_rows, compute_for, request_calendar
from foia.core.access import can_edit, can_view
from foia.core.clock import local_today, utcnow
from foia.core.errors import ValidationError
from foia.core.paths import letter_cache_dir
from foia.core.web import request_or_404
from foia.deadlines import load_law
from foia.extensions import db
from foia.letters.compare import diff_markup, letter_text
from foia.letters.corrections import undo_refusal, undo_sent
from foia.letters.render import LETTER_KINDS, LETTERS_DIR, render_html
from foia.letters.service import (
    MAX_CUSTOM_CHARS,
    build_context,
    finalize,
    mark_sent,
    new_draft,
    render_version_html,
    revise_draft,
    version_pdf,
    versions_for,
)
from foia.mailroom.outbound import (
    SendFailed,
    deliveries_for,
    delivery_for_version,
    mailer_for,
    recipient_for,
    send_letter,
    send_settings,
)
from foia.models import (
    CUSTOM_FIELDS,
    LETTER_KIND_LABELS,
    SEND_METHODS,
    LetterVersion,
    Request,
)
from foia.requests.next_step import allowed_letter_kinds, send_consequence

bp = Blueprint("letters", __name__)


# The letter preview may load only its own stylesheet and fonts; no scripts, no forms, no other content.
PREVIEW_CSP = ("default-src 'none'; style-src 'self'; font-src 'self'; img-src 'self' data:; "
               "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")


class LetterForm(FlaskForm):
    intro = TextAreaField(
        "Opening paragraph (optional)", validators=[Optional()],
        description="Printed before the standard text, e.g. who you are or why the records matter. "
                    "Leave a blank line between paragraphs.")
    closing = TextAreaField(
        "Closing paragraph (optional)", validators=[Optional()],
        description="Printed just before your signature, e.g. a phone number or the best time to call.")
    appeal_grounds = TextAreaField(
        "Grounds for the appeal", validators=[Optional()],
        description="Why the agency was wrong: which records were withheld without reason, why an exemption "
                    "does not apply, what could at least be released.")


class SentForm(FlaskForm):
    method = SelectField("How it was sent", choices=list(SEND_METHODS.items()))
    sent_on = DateField("Date sent", validators=[Optional()])


def _sent_form(req: Request, version: LetterVersion) -> SentForm:
    """The "record as sent" form; without an email address for this letter, only portal, mail or fax."""
    form = SentForm()
    if not recipient_for(req, version):
        form.method.choices = [(k, v) for k, v in SEND_METHODS.items() if k != "email"]
        if request.method == "GET":
            form.method.data = "portal" if req.agency.portal_url else "mail"
    return form


class EmptyForm(FlaskForm):
    """A form with only the CSRF token (finalize, start a new draft)."""


def _version_or_404(req: Request, version_id: int) -> LetterVersion:
    version = db.session.get(LetterVersion, version_id)
    if version is None or version.request_id != req.id:
        abort(404)
    return version


def _today():
    return local_today(utcnow())


def _cache_dir() -> str:
    return letter_cache_dir(current_app.config)


def _custom_from(form: LetterForm) -> dict[str, str]:
    return {name: getattr(form, name).data or "" for name in CUSTOM_FIELDS}


def _with_clause(req: Request, kind: str, custom: dict[str, str]) -> tuple[dict[str, str], str]:
    """The draft's boxes with a library clause appended when the form's "Insert clause" button was pressed
    (foia.clauses; its use is counted in the same transaction as the draft), and the message saying so."""
    if not request.form.get("insert_clause"):
        return custom, ""
    into = request.form.get("clause_into", "")
    custom, clause = insert_clause(db.session(), actor=current_user, now=utcnow(), req=req, kind=kind,
                                   clause_id=request.form.get("clause_id"), into=into, custom=custom)
    return custom, f"Clause \u201c{clause.title}\u201d inserted into the {CLAUSE_TARGETS[into].lower()}. "


def _letter_response(html: str) -> Response:
    """Letter HTML as its own document, with a CSP that allows only the letter's stylesheet and fonts."""
    css = url_for("letters.asset", name="letter.css")
    html = html.replace('<link rel="stylesheet" href="letter.css">', f'<link rel="stylesheet" href="{escape(css)}">', 1)
    resp = Response(html, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = PREVIEW_CSP
    resp.headers["X-Frame-Options"] = "SAMEORIGIN"
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.app_context_processor
def letters_globals():
    def letters_for(req: Request) -> list[LetterVersion]:
        if req is None or not can_view(current_user, req):
            return []
        return versions_for(db.session(), req)

    def can_edit_letters(req: Request) -> bool:
        return req is not None and can_edit(current_user, req)

    def deliveries(req: Request) -> list:
        if req is None or not can_view(current_user, req):
            return []
        return deliveries_for(db.session(), req)

    return {"letters_for": letters_for, "can_edit_letters": can_edit_letters, "deliveries_for": deliveries,
            "letter_kind_labels": LETTER_KIND_LABELS, "send_methods": SEND_METHODS}


_FONT = re.compile(r"fonts/[A-Za-z0-9._-]+\.(ttf|woff2?)")


@bp.route("/letter-assets/<path:name>")
def asset(name: str):
    """letter.css and its fonts, for the preview (public files from the repository; no login, since a
    sandboxed frame loads them from an opaque origin)."""
    if name != "letter.css" and not _FONT.fullmatch(name):
        abort(404)
    path = (LETTERS_DIR / name).resolve()
    if LETTERS_DIR.resolve() not in path.parents or not path.is_file():
        abort(404)
    resp = send_file(path, max_age=3600)
    if name != "letter.css":
        resp.headers["Access-Control-Allow-Origin"] = "*"  # font loads are CORS requests
    return resp


def _kind_arg() -> str:
    kind = request.values.get("kind") or "request"
    if kind not in LETTER_KINDS:
        abort(404)
    return kind


def letter_refusal(req: Request, kind: str) -> str:
    """Why a letter of this kind makes no sense now ("" when it does): see foia.requests.next_step."""
    rows = clock_rows(compute_for(db.session(), req), _today(), request_calendar(db.session(), req))
    return allowed_letter_kinds(req, versions_for(db.session(), req), rows).get(kind, "")


@bp.route("/requests/<ref>/letters/new", methods=["GET", "POST"])
@login_required
def new(ref: str):
    req = request_or_404(ref, edit=True)
    kind = _kind_arg()
    refusal = letter_refusal(req, kind)
    if refusal:
        flash(f"No {LETTER_KIND_LABELS.get(kind, kind).lower()} now: {refusal}", "error")
        return redirect(url_for("requests.show", ref=req.ref) + "#letters", 303)
    kept = take_stashed_form() if request.method == "GET" else None  # typed when the session ended
    form = LetterForm(formdata=kept) if kept else LetterForm()
    errors: dict[str, str] = {}
    if request.method == "POST":
        if form.validate():
            try:
                custom, inserted = _with_clause(req, kind, _custom_from(form))
                version = new_draft(db.session(), actor=current_user, now=utcnow(), req=req, kind=kind,
                                    custom=custom)
            except ValidationError as exc:
                db.session.rollback()
                errors = exc.errors
            else:
                db.session.commit()
                flash(inserted + f"{version.kind_label} version {version.version} saved as a draft.", "success")
                return redirect(url_for("letters.show", ref=req.ref, version_id=version.id))
        else:
            errors = {name: msgs[0] for name, msgs in form.errors.items()}
    return render_template("letters_ui/new.html", req=req, kind=kind, form=form, errors=errors,
                           max_chars=MAX_CUSTOM_CHARS), (400 if errors else 200)


@bp.route("/requests/<ref>/letters/preview", methods=["GET", "POST"])
@login_required
def preview_new(ref: str):
    """The letter as it would be rendered now: GET with the request's data only; POST (the form's
    "Preview" button, targeted at the preview frame) with the text typed so far."""
    req = request_or_404(ref, edit=True)
    kind = _kind_arg()
    custom = _custom_from(LetterForm()) if request.method == "POST" else {}
    try:
        context = build_context(db.session(), req, kind, custom, today=_today())
    except ValidationError as exc:
        return Response("; ".join(exc.errors.values()), status=400, mimetype="text/plain")
    return _letter_response(render_html(kind, req.law, context))


def _render_show(req: Request, version: LetterVersion, *, form: LetterForm | None = None,
                 errors: dict[str, str] | None = None, sent_errors: dict[str, str] | None = None, status: int = 200):
    if form is None:
        form = LetterForm(data=dict(version.custom or {}))
    errors, sent_errors = dict(errors or {}), dict(sent_errors or {})
    if "status" in sent_errors:  # about the version, not a field of the form: shown at the top
        errors["status"] = sent_errors.pop("status")
    sent_form = _sent_form(req, version)
    if request.method == "GET":
        sent_form.sent_on.data = _today()
    siblings = list(db.session.scalars(select(LetterVersion).where(
        LetterVersion.request_id == req.id, LetterVersion.kind == version.kind, LetterVersion.id != version.id)
        .order_by(LetterVersion.version)))
    recipient = recipient_for(req, version)
    delivery = delivery_for_version(db.session(), version)
    law = load_law(req.law).for_agency(req.agency.slug)
    return render_template("letters_ui/show.html", req=req, version=version, form=form, sent_form=sent_form,
                           errors=errors or {}, sent_errors=sent_errors or {},
                           siblings=siblings, editable=can_edit(current_user, req),
                           recipient=recipient, delivery=delivery,
                           sent_consequence=send_consequence(law, version.kind),
                           email_consequence=send_consequence(law, version.kind,
                                                              email_to=(delivery.to_addr if delivery else recipient)
                                                              or "the agency")), status


@bp.route("/requests/<ref>/letters/<int:version_id>", methods=["GET", "POST"])
@login_required
def show(ref: str, version_id: int):
    req = request_or_404(ref, edit=request.method == "POST")
    version = _version_or_404(req, version_id)
    if request.method == "GET":
        return _render_show(req, version)
    form = LetterForm()
    if not form.validate():
        return _render_show(req, version, form=form, status=400,
                            errors={name: msgs[0] for name, msgs in form.errors.items()})
    try:
        custom, inserted = _with_clause(req, version.kind, _custom_from(form))
        revise_draft(db.session(), actor=current_user, now=utcnow(), version=version, custom=custom)
    except ValidationError as exc:
        db.session.rollback()
        return _render_show(req, version, form=form, errors=exc.errors, status=400)
    db.session.commit()
    flash(inserted + f"Draft version {version.version} saved.", "success")
    return redirect(url_for("letters.show", ref=req.ref, version_id=version.id))


@bp.route("/requests/<ref>/letters/<int:version_id>/preview")
@login_required
def preview(ref: str, version_id: int):
    req = request_or_404(ref)
    version = _version_or_404(req, version_id)
    return _letter_response(render_version_html(db.session(), version, today=_today()))


@bp.route("/requests/<ref>/letters/<int:version_id>/finalize", methods=["POST"])
@login_required
def finalize_version(ref: str, version_id: int):
    req = request_or_404(ref, edit=True)
    version = _version_or_404(req, version_id)
    if not EmptyForm().validate():
        abort(400)
    try:
        finalize(db.session(), actor=current_user, now=utcnow(), version=version, cache_dir=_cache_dir(),
                 timezone=current_app.config["FOIA_TIMEZONE"])
    except ValidationError as exc:
        db.session.rollback()
        return _render_show(req, version, errors=exc.errors, status=400)
    db.session.commit()
    flash(f"Version {version.version} is final. Download the PDF, send it, then mark it as sent.", "success")
    return redirect(url_for("letters.show", ref=req.ref, version_id=version.id))


@bp.route("/requests/<ref>/letters/<int:version_id>/copy", methods=["POST"])
@login_required
def copy(ref: str, version_id: int):
    """Start the next draft of this kind with this version's text (a final version stays as it is)."""
    req = request_or_404(ref, edit=True)
    version = _version_or_404(req, version_id)
    if not EmptyForm().validate():
        abort(400)
    draft = new_draft(db.session(), actor=current_user, now=utcnow(), req=req, kind=version.kind, custom=version.custom)
    db.session.commit()
    flash(f"Started draft version {draft.version} from version {version.version}.", "success")
    return redirect(url_for("letters.show", ref=req.ref, version_id=draft.id))


@bp.route("/requests/<ref>/letters/<int:version_id>/pdf")
@login_required
def pdf(ref: str, version_id: int):
    req = request_or_404(ref)
    version = _version_or_404(req, version_id)
    if not version.is_final:
        abort(404)
    path, sha, _hit = version_pdf(version, req.law, _cache_dir())
    if version.pdf_sha256 and sha != version.pdf_sha256:
        current_app.logger.warning("PDF of letter version %s re-rendered with a different sha256 (%s, stored %s)",
                                   version.id, sha, version.pdf_sha256)
    resp = send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"{req.ref}-{version.kind}-v{version.version}.pdf", etag=sha, max_age=0)
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp


@bp.route("/requests/<ref>/letters/<int:version_id>/sent", methods=["POST"])
@login_required
def sent(ref: str, version_id: int):
    req = request_or_404(ref, edit=True)
    version = _version_or_404(req, version_id)
    form = _sent_form(req, version)
    if not form.validate():
        return _render_show(req, version, status=400,
                            sent_errors={name: msgs[0] for name, msgs in form.errors.items()})
    try:
        mark_sent(db.session(), actor=current_user, now=utcnow(), version=version, method=form.method.data,
                  sent_on=form.sent_on.data)
    except ValidationError as exc:
        db.session.rollback()
        return _render_show(req, version, sent_errors=exc.errors, status=400)
    db.session.commit()
    flash(f"{version.kind_label} version {version.version} recorded as sent.", "success")
    return redirect(url_for("requests.show", ref=req.ref))


@bp.route("/requests/<ref>/letters/<int:version_id>/send", methods=["GET", "POST"])
@login_required
def send(ref: str, version_id: int):
    """Email a final letter to the agency: GET asks for confirmation (naming the address and what follows),
    POST sends it. Editors only; refusals and server errors are shown on the confirmation page."""
    req = request_or_404(ref, edit=True)
    version = _version_or_404(req, version_id)
    if not version.is_final or version.sent_at is not None:
        return redirect(url_for("letters.show", ref=req.ref, version_id=version.id))
    recipient = recipient_for(req, version)
    previous = delivery_for_version(db.session(), version)
    if previous is not None:
        recipient = previous.to_addr  # a retry goes to the same address, as the same message
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if not EmptyForm().validate():
            abort(400)
        try:
            delivery = send_letter(db.session(), actor=current_user, now=utcnow(), version=version,
                                   settings=send_settings(current_app.config), mailer=mailer_for(current_app.config))
        except SendFailed as exc:
            db.session.rollback()
            errors, status = exc.errors, 502
        except ValidationError as exc:
            db.session.rollback()
            errors, status = exc.errors, 400
        else:
            flash(f"{version.kind_label} version {version.version} sent by email to {delivery.to_addr}: the server "
                  f"answered {delivery.smtp_code} {delivery.smtp_reply}".rstrip(), "success")
            return redirect(url_for("requests.show", ref=req.ref) + "#deliveries-heading")
        previous = delivery_for_version(db.session(), version)
    law = load_law(req.law).for_agency(req.agency.slug)
    return render_template("letters_ui/send.html", req=req, version=version, recipient=recipient,
                           previous=previous, errors=errors,
                           email_consequence=send_consequence(law, version.kind, email_to=recipient or "the agency")), status


@bp.route("/requests/<ref>/letters/<int:version_id>/compare/<int:other_id>")
@login_required
def compare(ref: str, version_id: int, other_id: int):
    req = request_or_404(ref)
    version = _version_or_404(req, version_id)
    other = _version_or_404(req, other_id)
    if other.kind != version.kind:
        abort(404)
    old, new_ = (other, version) if other.version < version.version else (version, other)
    today = _today()
    labels = {"intro": "Opening paragraph", "closing": "Closing paragraph", "appeal_grounds": "Grounds for the appeal"}
    fields = [(labels[name], diff_markup((old.custom or {}).get(name, ""), (new_.custom or {}).get(name, "")),
               (old.custom or {}).get(name, "") != (new_.custom or {}).get(name, ""))
              for name in CUSTOM_FIELDS if name != "appeal_grounds" or version.kind == "appeal"]
    text_diff = diff_markup(letter_text(render_version_html(db.session(), old, today=today)),
                            letter_text(render_version_html(db.session(), new_, today=today)))
    return render_template("letters_ui/compare.html", req=req, old=old, new=new_, fields=fields, text_diff=text_diff)


@bp.route("/requests/<ref>/letters/<int:version_id>/undo-sent", methods=["POST"])
@login_required
def undo_sent_version(ref: str, version_id: int):
    """Undo "recorded as sent" (by hand, the same day): the "sent" entry is voided and the clocks follow."""
    req = request_or_404(ref, edit=True)
    version = _version_or_404(req, version_id)
    try:
        result = undo_sent(db.session(), actor=current_user, now=utcnow(), version=version)
    except ValidationError as exc:
        db.session.rollback()
        flash("Not undone: " + " ".join(exc.errors.values()), "error")
        return redirect(url_for("letters.show", ref=req.ref, version_id=version.id))
    db.session.commit()
    flash(f"{version.kind_label} version {version.version} is no longer recorded as sent. {result.summary}", "success")
    return redirect(url_for("letters.show", ref=req.ref, version_id=version.id))


@bp.app_context_processor
def undo_sent_helpers():
    def can_undo_sent(version: LetterVersion) -> bool:
        req = db.session.get(Request, version.request_id) if version is not None else None
        return (req is not None and can_edit(current_user, req)
                and undo_refusal(db.session(), version, now=utcnow()) is None)

    return {"can_undo_sent": can_undo_sent}
