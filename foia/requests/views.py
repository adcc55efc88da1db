from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
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
from foia.clocks.service import clock_rows, compute_for, request_calendar
from foia.core.access import visible_clause
from foia.core.clock import local_today, utcnow
from foia.core.errors import ValidationError
from foia.core.names import law_name
from foia.core.web import request_or_404
from foia.deadlines import law_slugs, load_law
from foia.extensions import db
from foia.models import (
    FEE_CATEGORIES,
    STATUSES,
    VISIBILITIES,
    Agency,
    Request,
    RequestGroup,
)
from foia.requests.filing import (
    DRAFT_FIELDS,
    discard_draft,
    file_request,
    load_draft,
    save_draft,
)
from foia.requests.forms import RequestForm
from foia.requests.queries import (
    DEFAULT_SORT,
    MAX_ROWS,
    SCOPES,
    SORTS,
    Cursor,
    ListQuery,
    browse_requests,
    request_events,
)
from foia.requests.service import RequestInput, update_request

bp = Blueprint("requests", __name__, url_prefix="/requests")

PAGE_SIZES = ("10", "25", "50", "100")  # "Rows per page" on the list


@bp.route("")
@login_required
def index():
    args = request.args
    status = args.get("status") or None
    if status and status not in STATUSES:
        status = None
    sort = args.get("sort", "")
    sort = sort if sort in SORTS else DEFAULT_SORT
    scope = args.get("scope", "")
    scope = scope if scope in SCOPES else "all"
    page = args.get("page", "1")
    lq = ListQuery(sort=sort, desc=args.get("dir") == "desc", q=" ".join((args.get("q") or "").split())[:100],
                   status=status, agency_slug=(args.get("agency") or "").strip() or None, scope=scope,
                   page=int(page) if page.isdigit() and len(page) < 7 else 1)
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
                                 ("scope", None if lq.scope == "all" else lq.scope)) if v}
    order = {} if lq.is_default_order else {"sort": lq.sort, "dir": "desc" if lq.desc else "asc"}
    if per_page != default_size:
        filters["per_page"] = str(per_page)
    next_params = {"after": result.cursor.encode()} if result.cursor is not None else {}
    return render_template("requests/index.html", result=result, rows=result.rows, lq=lq, statuses=STATUSES,
                           agencies=agencies, sorts=SORTS, scopes=SCOPES, max_rows=MAX_ROWS, filters=filters,
                           params=dict(filters, **order), next_params=next_params, per_page=per_page,
                           page_sizes=PAGE_SIZES, sort_refused=refused)


def _agency_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(select(Agency.slug, Agency.name, Agency.law).order_by(Agency.name)).all()
    return [(slug, f"{name} ({law_name(law)})") for slug, name, law in rows]


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
    form.agencies.choices = _agency_choices()
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
                           form_started=form_started), status


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


@bp.route("/<ref>")
@login_required
def show(ref: str):
    req = request_or_404(ref)
    events = request_events(db.session(), req)
    clocks = compute_for(db.session(), req, events)
    law = load_law(req.law).for_agency(req.agency.slug)
    cal = request_calendar(db.session(), req)
    today = local_today(utcnow())
    return render_template("requests/show.html", req=req, events=events, law=law,
                           fee_categories=FEE_CATEGORIES, visibilities=VISIBILITIES,
                           clocks=clock_rows(clocks, today, cal), today=today)
