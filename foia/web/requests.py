from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from zoneinfo import ZoneInfo

from ..clocks import clock_rows, compute_for
from ..deadlines import Closure, calendar_for, load_law
from ..extensions import db
from ..models import FEE_CATEGORIES, STATUSES, VISIBILITIES, Agency, CalendarClosure
from ..queries import Cursor, get_visible_request, list_requests, request_events
from ..services import KNOWN_LAWS, RequestInput, ValidationError, create_request
from . import utcnow
from .forms import RequestForm

bp = Blueprint("requests", __name__, url_prefix="/requests")


@bp.route("")
@login_required
def index():
    status = request.args.get("status") or None
    if status and status not in STATUSES:
        status = None
    agency = (request.args.get("agency") or "").strip() or None
    after = Cursor.decode(request.args.get("after"))
    rows, cursor = list_requests(db.session, current_user, status=status, agency_slug=agency, after=after,
                                 limit=current_app.config["PAGE_SIZE"])
    agencies = db.session.execute(select(Agency.slug, Agency.name).order_by(Agency.name)).all()
    return render_template("requests/index.html", rows=rows, cursor=cursor, status=status, agency=agency,
                           statuses=STATUSES, agencies=agencies, paged=after is not None)


def _agency_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(select(Agency.slug, Agency.name).order_by(Agency.name)).all()
    return [("", "Choose an agency…")] + [(slug, name) for slug, name in rows]


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = RequestForm()
    form.agency.choices = _agency_choices()
    form.law.choices = [("", "The agency's law")] + [(s, s) for s in KNOWN_LAWS]
    errors: dict[str, str] = {}
    if request.method == "POST":
        if form.validate():
            data = RequestInput(
                title=form.title.data or "", records_sought=form.records_sought.data or "",
                agency_slug=form.agency.data or "", law=form.law.data or None,
                records_from=form.records_from.data, records_to=form.records_to.data,
                fee_category=form.fee_category.data, fee_ceiling=form.fee_ceiling.data or None,
                fee_waiver=form.fee_waiver.data, fee_waiver_justification=form.fee_waiver_justification.data or "",
                expedited=form.expedited.data, expedited_justification=form.expedited_justification.data or "",
                preferred_format=form.preferred_format.data or "", visibility=form.visibility.data,
            )
            try:
                req = create_request(db.session, actor=current_user, now=utcnow(), data=data,
                                     timezone=current_app.config["FOIA_TIMEZONE"])
            except ValidationError as exc:
                db.session.rollback()
                errors = exc.errors
            else:
                db.session.commit()
                flash(f"Request {req.ref} saved as a draft.", "success")
                return redirect(url_for("requests.show", ref=req.ref))
        else:
            errors = {name: msgs[0] for name, msgs in form.errors.items()}
    status = 400 if errors else 200
    return render_template("requests/new.html", form=form, errors=errors), status


@bp.route("/<ref>")
@login_required
def show(ref: str):
    req = get_visible_request(db.session, current_user, ref)
    if req is None:
        abort(404)
    events = request_events(db.session, req)
    clocks = compute_for(db.session, req, events)
    law = load_law(req.law).for_agency(req.agency.slug)
    closures = [Closure(c.closed_on, c.name) for c in db.session.scalars(
        select(CalendarClosure).where((CalendarClosure.calendar_id == law.calendar) | (CalendarClosure.agency_id == req.agency_id)))]
    cal = calendar_for(law.calendar, closures)
    today = utcnow().astimezone(ZoneInfo(current_app.config["FOIA_TIMEZONE"])).date()
    return render_template("requests/show.html", req=req, events=events, law=law,
                           fee_categories=FEE_CATEGORIES, visibilities=VISIBILITIES,
                           clocks=clock_rows(clocks, today, cal.is_working_day), today=today)
