from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from foia.accounts.form_stash import take_stashed_form
from foia.agencies.picker import PickerOption, picker_options
from foia.clocks.service import clock_rows, compute_for, request_calendar
from foia.communications.corrections import void_event, void_refusal
from foia.communications.service import communications_for
from foia.core.access import can_edit, visible_clause
from foia.core.clock import local_today, utcnow
from foia.core.errors import ValidationError
from foia.core.names import law_name
from foia.core.web import request_or_404
from foia.deadlines import law_slugs, load_law
from foia.extensions import db
from foia.fees.panel import request_panel
from foia.letters.service import versions_for
from foia.mailroom.outbound import agency_recipient, deliveries_for
from foia.models import (
    FEE_CATEGORIES,
    STATUSES,
    VISIBILITIES,
    Agency,
    Event,
    Request,
    RequestGroup,
)
from foia.models.communication import InternalNote
from foia.requests.corrections import (
    LOCKED_FORM_FIELDS,
    OPEN_AFTER_SENDING,
    delete_draft,
    delete_refusal,
    edit_request,
    locked_reason,
    sending_of,
)
from foia.requests.filing import (
    DRAFT_FIELDS,
    discard_draft,
    file_request,
    load_draft,
    save_draft,
)
from foia.requests.forms import EditRequestForm, RequestForm
from foia.requests.history import history_for
from foia.requests.mentions import HOW_TO_MENTION, mentions_by_note
from foia.requests.next_step import allowed_letter_kinds, appeal_window, clock_phrase, next_step
from foia.requests.notes import add_note, can_remove_note, can_see_notes, notes_for, remove_note
from foia.requests.queries import (
    DEFAULT_SORT,
    MAX_ROWS,
    SCOPES,
    SORTS,
    Cursor,
    ListQuery,
    browse_requests,
    open_appeal_windows,
    request_events,
)
from foia.requests.service import RequestInput, update_request

bp = Blueprint("requests", __name__, url_prefix="/requests")

PAGE_SIZES = ("10", "25", "50", "100")  # "Rows per page" on the list


@bp.route("")
@login_required
def index():
    args = request.args
    lq = ListQuery.from_args(args)  # the downloads (export_views) read the same query string the same way
    default_size = current_app.config["PAGE_SIZE"]
    size_arg = args.get("per_page", "")
    per_page = int(size_arg) if size_arg in PAGE_SIZES else default_size
    result = browse_requests(db.session(), current_user, lq, per_page=per_page,
                             after=Cursor.decode(args.get("after")) if lq.is_default_order else None)
    refused = SORTS[lq.sort] if result.sort_refused else None
    if refused:
        lq = replace(lq, sort=DEFAULT_SORT, desc=False)
    agencies = db.session.execute(select(Agency.slug, Agency.name).order_by(Agency.name)).all()
    filters = {k: v for k, v in (("q", lq.q), ("status", lq.status), ("agency", lq.agency_slug),
                                 ("scope", None if lq.scope == "all" else lq.scope),
                                 ("assignee", lq.assignee), ("tag", lq.tag)) if v}
    order = {} if lq.is_default_order else {"sort": lq.sort, "dir": "desc" if lq.desc else "asc"}
    if per_page != default_size:
        filters["per_page"] = str(per_page)
    next_params = {"after": result.cursor.encode()} if result.cursor is not None else {}
    appeals = open_appeal_windows(db.session(), [r.id for r in result.rows])
    return render_template("requests/index.html", result=result, rows=result.rows, lq=lq, statuses=STATUSES,
                           appeals=appeals,
                           agencies=agencies, sorts=SORTS, scopes=SCOPES, max_rows=MAX_ROWS, filters=filters,
                           params=dict(filters, **order), next_params=next_params, per_page=per_page,
                           page_sizes=PAGE_SIZES, sort_refused=refused)


def _agency_choices(options: list[PickerOption] | None = None) -> list[tuple[str, str]]:
    """The agency picker's choices (foia.agencies.picker: two queries however large the directory)."""
    return [(o.slug, f"{o.label} ({law_name(o.law)})")
            for o in (options if options is not None else picker_options(db.session()))]


def _form_as_draft(form_data) -> dict:
    data = {key: form_data.get(key, "") for key in DRAFT_FIELDS if key not in ("agencies", "fee_waiver", "expedited")}
    data["agencies"] = form_data.getlist("agencies")
    data["fee_waiver"] = bool(form_data.get("fee_waiver"))
    data["expedited"] = bool(form_data.get("expedited"))
    return data


def _draft_as_formdata(draft: dict) -> MultiDict:
    md: MultiDict[str, str] = MultiDict()
    for key, value in draft.items():
        if key == "agencies":
            for slug in value or []:
                md.add("agencies", slug)
        elif isinstance(value, bool):
            if value:
                md.add(key, "y")
        elif value not in (None, ""):
            md.add(key, value)
    return md


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    draft = None
    if request.method == "GET":
        draft = load_draft(db.session(), current_user)
        kept = take_stashed_form()  # typed when the session ended (accounts.form_stash)
        form = RequestForm(formdata=kept if kept else _draft_as_formdata(draft.data) if draft else None)
    else:
        form = RequestForm()
    options = picker_options(db.session())
    form.agencies.choices = _agency_choices(options)
    form.law.choices = [("", "The agency's law")] + [(s, load_law(s).name) for s in law_slugs()]
    errors: dict[str, str] = {}
    if request.method == "POST":
        if form.validate():
            data = RequestInput(
                title=form.title.data or "", records_sought=form.records_sought.data or "",
                agency_slug="", law=form.law.data or None,
                records_from=form.records_from.data, records_to=form.records_to.data,
                fee_category=form.fee_category.data, fee_ceiling=form.fee_ceiling.data or None,
                fee_waiver=form.fee_waiver.data, fee_waiver_justification=form.fee_waiver_justification.data or "",
                expedited=form.expedited.data, expedited_justification=form.expedited_justification.data or "",
                preferred_format=form.preferred_format.data or "", visibility=form.visibility.data,
            )
            try:
                group, reqs = file_request(db.session(), actor=current_user, now=utcnow(), data=data,
                                           agency_slugs=form.agencies.data or [],
                                           timezone=current_app.config["FOIA_TIMEZONE"])
            except ValidationError as exc:
                db.session.rollback()
                errors = {("agencies" if k == "agency" else k): v for k, v in exc.errors.items()}
            else:
                db.session.commit()
                if group is not None:
                    flash(f"{len(reqs)} requests saved as drafts, one per agency: "
                          f"{', '.join(r.ref for r in reqs)}. Next, draft each letter.", "success")
                    return redirect(url_for("requests.group", group_id=group.id))
                flash(f"Request {reqs[0].ref} saved as a draft. Next, draft the request letter below.", "success")
                return redirect(url_for("requests.show", ref=reqs[0].ref) + "#letters")
        else:
            errors = {name: msgs[0] for name, msgs in form.errors.items()}
    status = 400 if errors else 200
    form_started = request.form.get("form_started") or utcnow().isoformat()  # the autosave's guard (filing.py)
    return render_template("requests/new.html", form=form, errors=errors, draft=draft,
                           form_started=form_started, agency_options=options), status


@bp.route("/new/autosave", methods=["POST"])
@login_required
def autosave():
    """Save the new-request form as the person types (static/filing.js posts here)."""
    started: datetime | None
    try:
        started = datetime.fromisoformat(request.form.get("form_started", ""))
    except ValueError:
        started = None
    if started is not None and started.tzinfo is None:
        started = None  # only the aware timestamp the form was rendered with counts
    saved = save_draft(db.session(), actor=current_user, now=utcnow(), data=_form_as_draft(request.form),
                       form_started=started)
    db.session.commit()
    if saved is None:
        return jsonify(saved=False, message="This form was filed; it is no longer kept as a draft.")
    return jsonify(saved=True, saved_at=saved.updated_at.isoformat())


@bp.route("/new/discard", methods=["POST"])
@login_required
def discard():
    discard_draft(db.session(), current_user)
    db.session.commit()
    flash("Your unsaved draft was discarded.", "info")
    return redirect(url_for("requests.new"))


@bp.route("/<ref>/visibility", methods=["POST"])
@login_required
def change_visibility(ref: str):

    req = request_or_404(ref, edit=True)
    value = request.form.get("visibility", "")
    if value not in VISIBILITIES:
        flash("Choose who can see this request from the list.", "error")
        return redirect(url_for("requests.show", ref=req.ref)), 303
    update_request(db.session(), actor=current_user, now=utcnow(), req=req, visibility=value)
    db.session.commit()
    flash(f"Now visible to: {VISIBILITIES[value]}.", "success")
    return redirect(url_for("requests.show", ref=req.ref))


@bp.route("/groups/<int:group_id>")
@login_required
def group(group_id: int):
    grp = db.session.get(RequestGroup, group_id)
    if grp is None:
        abort(404)
    members = list(db.session.scalars(
        select(Request).options(joinedload(Request.agency)).where(Request.group_id == grp.id, visible_clause(current_user))
        .order_by(Request.id)))
    if not members:
        abort(404)
    return render_template("requests/group.html", group=grp, members=members)


def _mail_configured() -> bool:
    return "@" in (current_app.config.get("FOIA_MAIL_FROM") or "")


@bp.route("/<ref>")
@login_required
def show(ref: str):
    req = request_or_404(ref)
    session = db.session()
    events = request_events(session, req)
    clocks = compute_for(session, req, events)
    law = load_law(req.law).for_agency(req.agency.slug)
    cal = request_calendar(session, req)
    today = local_today(utcnow())
    rows = clock_rows(clocks, today, cal)
    letters = versions_for(session, req)
    deliveries = deliveries_for(session, req)
    comms = communications_for(session, req)
    can_email = _mail_configured() and bool(agency_recipient(req.agency, "request"))
    step = next_step(req, rows=rows, letters=letters, deliveries=deliveries, communications=comms, events=events,
                     today=today, can_email=can_email)
    show_notes = can_see_notes(current_user, req)
    notes = notes_for(session, req) if show_notes else []
    live_events = [e for e in events if getattr(e, "voided_at", None) is None]
    return render_template("requests/show.html", req=req, events=events, law=law,
                           fee_categories=FEE_CATEGORIES, visibilities=VISIBILITIES,
                           clocks=rows, today=today, step=step, window=appeal_window(rows),
                           letter_kinds=allowed_letter_kinds(req, letters, rows),
                           counts={"deadlines": len(rows), "correspondence": len(comms), "letters": len(letters),
                                   "notes": len(notes), "events": len(live_events)},
                           show_notes=show_notes, notes=notes, note_errors={}, note_body="",
                           can_remove_note=lambda n: can_remove_note(current_user, req, n),
                           response_phrase=clock_phrase(law),
                           panel=request_panel(session, current_user, req, clocks, events))

# ---------------------------------------------------------------------------- corrections

def _law_choices() -> list[tuple[str, str]]:
    return [("", "The agency's law")] + [(s, load_law(s).name + f" ({s})") for s in law_slugs()]


_FIELD_LABELS = {
    "records_sought": "Records you are asking for", "records_from": "Records from", "records_to": "Records to",
    "agency": "Agency", "law": "Law", "fee_category": "Fee category", "fee_ceiling": "Will pay up to",
    "fee_waiver": "Fee waiver", "fee_waiver_justification": "Why disclosure is in the public interest",
    "expedited": "Expedited processing", "expedited_justification": "The compelling need for expedited processing",
    "preferred_format": "Preferred format",
}


def _locked_rows(req: Request) -> list[tuple[str, str]]:
    """The locked fields as (label, value) for the read-only list on the edit page."""
    law = load_law(req.law)

    def day(d):
        return d.strftime("%B %-d, %Y") if d else "—"

    values = {
        "agency": req.agency.name, "law": f"{law.name} ({law.citation})", "records_sought": req.records_sought,
        "records_from": day(req.records_from), "records_to": day(req.records_to),
        "preferred_format": req.preferred_format or "—",
        "fee_category": FEE_CATEGORIES.get(req.fee_category, req.fee_category),
        "fee_ceiling": f"${req.fee_ceiling}" if req.fee_ceiling is not None else "—",
        "fee_waiver": "Requested" if req.fee_waiver else "Not requested",
        "fee_waiver_justification": req.fee_waiver_justification or "—",
        "expedited": "Requested" if req.expedited else "Not requested",
        "expedited_justification": req.expedited_justification or "—",
    }
    return [(_FIELD_LABELS[name], values[name]) for name in LOCKED_FORM_FIELDS]


@bp.route("/<ref>/edit", methods=["GET", "POST"])
@login_required
def edit(ref: str):
    """Change a request's details: everything before it is sent; afterwards only what the agency never saw."""
    req = request_or_404(ref, edit=True)
    sending = sending_of(db.session(), req)
    form = EditRequestForm(obj=req) if request.method == "GET" else EditRequestForm()
    form.agency.choices = _agency_choices()
    form.law.choices = _law_choices()
    if request.method == "GET":
        form.agency.data = req.agency.slug
        form.law.data = "" if req.law == req.agency.law else req.law
        form.fee_ceiling.data = str(req.fee_ceiling) if req.fee_ceiling is not None else ""
    errors: dict[str, str] = {}
    if request.method == "POST":
        names = OPEN_AFTER_SENDING if sending is not None else (*LOCKED_FORM_FIELDS, *OPEN_AFTER_SENDING)
        values = {name: getattr(form, name).data for name in names}
        for name in ("records_from", "records_to"):
            if name in values and values[name] is None and (request.form.get(name) or "").strip():
                errors[name] = "Enter the date as year-month-day, e.g. 2025-06-01."
        if not errors:
            try:
                changed = edit_request(db.session(), actor=current_user, now=utcnow(), req=req, values=values)
            except ValidationError as exc:
                db.session.rollback()
                errors = exc.errors
            else:
                db.session.commit()
                flash("Details saved." if changed else "Nothing changed.", "success" if changed else "info")
                return redirect(url_for("requests.show", ref=req.ref))
    return render_template("requests/edit.html", req=req, form=form, errors=errors, sending=sending,
                           locked_reason=locked_reason(sending) if sending is not None else None,
                           locked=_locked_rows(req) if sending is not None else []), (400 if errors else 200)


@bp.route("/<ref>/delete", methods=["POST"])
@login_required
def delete(ref: str):
    """Delete a draft that was never sent (kept for the record, hidden everywhere)."""
    req = request_or_404(ref, edit=True)
    try:
        delete_draft(db.session(), actor=current_user, now=utcnow(), req=req)
    except ValidationError as exc:
        db.session.rollback()
        flash("Not deleted: " + " ".join(exc.errors.values()), "error")
        return redirect(url_for("requests.show", ref=req.ref))
    db.session.commit()
    flash(f"Draft {req.ref} \u201c{req.title}\u201d deleted. It is kept in the audit trail only.", "success")
    return redirect(url_for("requests.index"))


@bp.route("/<ref>/history")
@login_required
def history(ref: str):
    """Everything done to the request, oldest first, with before and after (anyone who can see it)."""
    req = request_or_404(ref)
    rows = history_for(db.session(), req, tz=current_app.config.get("FOIA_TIMEZONE"),
                       internal=can_see_notes(current_user, req))
    return render_template("requests/history.html", req=req, rows=rows)


@bp.route("/<ref>/events/<int:event_id>/void", methods=["POST"])
@login_required
def void_ledger_event(ref: str, event_id: int):
    """Void a ledger event entered by hand (a receipt, a sending, a closure...) with a reason."""
    req = request_or_404(ref, edit=True)
    event = db.session.get(Event, event_id)
    if event is None or event.request_id != req.id:
        abort(404)
    try:
        result = void_event(db.session(), actor=current_user, now=utcnow(), event=event,
                            reason=request.form.get("reason", ""))
    except ValidationError as exc:
        db.session.rollback()
        flash("Not voided: " + " ".join(exc.errors.values()), "error")
    else:
        db.session.commit()
        flash(f"Voided the ledger entry \u201c{event.kind_label}\u201d of {event.occurred_on.strftime('%B %-d, %Y')}. "
              f"{result.summary}", "success")
    return redirect(url_for("requests.show", ref=req.ref) + "#ledger")


@bp.app_context_processor
def correction_helpers():
    """For templates: may this request be edited or deleted, and which ledger events may be voided."""

    def can_delete_request(req: Request) -> bool:
        return (req is not None and can_edit(current_user, req)
                and delete_refusal(db.session(), req) is None)

    def event_void_refusal(event: Event) -> str | None:
        return void_refusal(db.session(), event)

    return {"can_delete_request": can_delete_request, "event_void_refusal": event_void_refusal}


@bp.route("/<ref>/notes", methods=["POST"])
@login_required
def add_note_view(ref: str):
    req = request_or_404(ref, edit=True, internal=True)
    body = request.form.get("body", "")
    try:
        note = add_note(db.session(), actor=current_user, now=utcnow(), req=req, body=body)
    except ValidationError as exc:
        db.session.rollback()
        # The page again, with the text kept and the reason beside the box (a refused @mention loses nothing).
        g.note_draft = {"body": body, "error": " ".join(exc.errors.values())}
        flash("The note was not saved: " + " ".join(exc.errors.values()), "error")
        return show(req.ref), 400
    mentioned = len(mentions_by_note(db.session(), [note]).get(note.id, []))
    db.session.commit()
    flash("Note added. Only people of your organization who can see this request see it."
          + (f" {mentioned} colleague{'s' if mentioned != 1 else ''} will be emailed a link." if mentioned else ""),
          "success")
    return redirect(url_for("requests.show", ref=req.ref) + "#notes", 303)


@bp.app_context_processor
def notes_helpers():
    """For the notes panel (requests/_notes.html): who each note mentions (one query), the text of a refused
    note with its reason, and how to mention someone."""

    def note_mentions(notes: list[InternalNote]) -> dict[int, list]:
        return mentions_by_note(db.session(), list(notes))

    def note_draft(req: Request) -> dict[str, str]:
        return getattr(g, "note_draft", None) or {"body": "", "error": ""}

    return {"note_mentions": note_mentions, "note_draft": note_draft, "how_to_mention": HOW_TO_MENTION}


@bp.route("/<ref>/notes/<int:note_id>/remove", methods=["POST"])
@login_required
def remove_note_view(ref: str, note_id: int):
    req = request_or_404(ref, edit=True, internal=True)
    note = db.session.get(InternalNote, note_id)
    if note is None or note.request_id != req.id:
        abort(404)
    try:
        remove_note(db.session(), actor=current_user, now=utcnow(), req=req, note=note)
    except ValidationError as exc:
        db.session.rollback()
        flash("The note was not removed: " + " ".join(exc.errors.values()), "error")
        return redirect(url_for("requests.show", ref=req.ref) + "#notes", 303)
    db.session.commit()
    flash("Note removed (kept in the request's history).", "success")
    return redirect(url_for("requests.show", ref=req.ref) + "#notes", 303)


@bp.app_template_global()
def has_endpoint(name: str) -> bool:
    """Does the app have this endpoint? (links to pages another part of the app may not have yet)."""
    return name in current_app.view_functions
