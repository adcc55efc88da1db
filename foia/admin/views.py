from __future__ import annotations

from datetime import date
from functools import wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import func, select

from foia.clocks.closures import add_closure_queued, remove_closure_queued
from foia.core.access import can_edit_agencies
from foia.core.clock import utcnow
from foia.core.db import parse_id
from foia.core.errors import ValidationError
from foia.core.mailrows import unsent_trouble
from foia.deadlines import calendar_for, calendar_ids
from foia.documents.jobs import job_counts, list_jobs, retry_job
from foia.extensions import db
from foia.mail import list_outbox, read_outbox
from foia.models import (
    Agency,
    AssignmentNotice,
    CalendarClosure,
    InternalNote,
    Job,
    NoteMention,
    Reminder,
    Request,
    User,
)
from foia.reminders.dispatch import failed_reminders, unsent

bp = Blueprint("admin", __name__, url_prefix="/admin")


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def _year(raw: str | None, default: int) -> int:
    try:
        year = int(raw or default)
    except ValueError:
        return default
    return year if 1990 <= year <= 2100 else default


@bp.route("/calendars")
@admin_required
def calendars():
    ids = calendar_ids()
    cal_id = request.args.get("calendar") or "us-federal"
    if cal_id not in ids:
        cal_id = "us-federal"
    today = utcnow().date()
    year = _year(request.args.get("year"), today.year)
    closures = list(db.session.scalars(
        select(CalendarClosure).where(CalendarClosure.calendar_id == cal_id).order_by(CalendarClosure.closed_on)))
    agency_closures = list(db.session.scalars(
        select(CalendarClosure).where(CalendarClosure.agency_id.is_not(None)).order_by(CalendarClosure.closed_on)))
    days = calendar_for(cal_id, []).holidays_in_year(year)
    agencies = db.session.execute(select(Agency.slug, Agency.name).order_by(Agency.name)).all()
    return render_template("admin/calendars.html", ids=ids, cal_id=cal_id, year=year, days=days,
                           closures=closures, agency_closures=agency_closures, agencies=agencies,
                           errors={}, form=request.args)


@bp.route("/closures", methods=["POST"])
@admin_required
def add_closure_view():
    form = request.form
    cal_id = form.get("calendar") or None
    agency_slug = form.get("agency") or None
    errors: dict[str, str] = {}
    try:
        on = date.fromisoformat(form.get("on", ""))
    except ValueError:
        errors["on"] = "Enter the date of the closure, e.g. 2026-12-24."
        on = None
    agency = None
    if agency_slug:
        agency = db.session.scalar(select(Agency).where(Agency.slug == agency_slug))
        if agency is None:
            errors["agency"] = "Choose an agency from the list."
        cal_id = None
    if not errors and on is not None:  # (no errors: the date was read)
        try:
            # The recompute runs in the scheduler (clocks.jobs), not in this request (issue 17, F5).
            add_closure_queued(db.session(), actor=current_user, now=utcnow(), on=on, name=form.get("name", ""),
                               calendar_id=cal_id, agency=agency)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash("Closure added. " + RECOMPUTE_QUEUED, "success")
            return redirect(url_for("admin.calendars", calendar=cal_id or request.args.get("calendar"), year=on.year))
    ids = calendar_ids()
    view_cal = cal_id if cal_id in ids else "us-federal"
    year = on.year if on else utcnow().year
    return render_template(
        "admin/calendars.html", ids=ids, cal_id=view_cal, year=year,
        days=calendar_for(view_cal, []).holidays_in_year(year),
        closures=list(db.session.scalars(select(CalendarClosure).where(CalendarClosure.calendar_id == view_cal))),
        agency_closures=list(db.session.scalars(select(CalendarClosure).where(CalendarClosure.agency_id.is_not(None)))),
        agencies=db.session.execute(select(Agency.slug, Agency.name).order_by(Agency.name)).all(),
        errors=errors, form=form), 400


@bp.route("/closures/<int:closure_id>/delete", methods=["POST"])
@admin_required
def delete_closure_view(closure_id: int):
    closure = db.session.get(CalendarClosure, closure_id)
    if closure is None:
        abort(404)
    cal_id, year = closure.calendar_id, closure.closed_on.year
    remove_closure_queued(db.session(), actor=current_user, now=utcnow(), closure=closure)
    db.session.commit()
    flash("Closure removed. " + RECOMPUTE_QUEUED, "success")
    return redirect(url_for("admin.calendars", calendar=cal_id, year=year))


RECOMPUTE_QUEUED = ("The scheduler is recomputing the open requests' deadlines (usually within a minute); each "
                    "request whose dates move gets a History entry, and its reminders follow. Request pages already "
                    "count the change.")


@bp.route("/reminders")
@admin_required
def reminders():
    """Reminders still to send, failing ones first, and the most recent sends."""

    rows = unsent(db.session(), limit=500)
    failed = failed_reminders(db.session(), limit=500)
    everyone = rows + failed
    refs = dict(db.session.execute(select(Request.id, Request.ref).where(
        Request.id.in_({r.request_id for r in everyone if r.request_id}))).all())
    emails = dict(db.session.execute(select(User.id, User.email).where(
        User.id.in_({r.user_id for r in everyone}))).all())
    counts = dict(db.session.execute(select(Reminder.status, func.count(Reminder.id)).group_by(Reminder.status)).all())
    failing = [r for r in rows if r.attempts > 0]
    return render_template("admin/reminders.html", rows=rows, failing=failing, failed=failed, refs=refs,
                           emails=emails, counts=counts, stuck=_stuck_emails(limit=200))


def _stuck_emails(*, limit: int) -> list[dict]:
    """The emails to colleagues (mentions in notes, assignments) that could not be sent: still retrying after a
    failed attempt, or given up. Kept as rows and sent by the scheduler (`foia.core.mailrows`); this is where an
    administrator sees the ones that did not go out."""
    out: list[dict] = []
    mentions = db.session.execute(
        select(NoteMention, InternalNote.request_id).join(InternalNote, InternalNote.id == NoteMention.note_id)
        .where(unsent_trouble(NoteMention)).order_by(NoteMention.id.desc()).limit(limit)).all()
    for mention, request_id in mentions:
        out.append({"kind": "Mention in a note", "user_id": mention.user_id, "request_ids": [request_id],
                    "row": mention})
    for notice in db.session.scalars(select(AssignmentNotice).where(unsent_trouble(AssignmentNotice))
                                     .order_by(AssignmentNotice.id.desc()).limit(limit)):
        out.append({"kind": "Assignment", "user_id": notice.user_id,
                    "request_ids": [int(i) for i in notice.request_ids], "row": notice})
    ids = {i for e in out for i in e["request_ids"]}
    refs = dict(db.session.execute(select(Request.id, Request.ref).where(Request.id.in_(ids))).all()) if ids else {}
    users = {e["user_id"] for e in out}
    emails = dict(db.session.execute(select(User.id, User.email).where(User.id.in_(users))).all()) if users else {}
    for e in out:
        e["refs"] = [refs[i] for i in e["request_ids"] if i in refs]
        e["to"] = emails.get(e["user_id"], "")
    return sorted(out, key=lambda e: e["row"].created_at, reverse=True)


@bp.route("/jobs")
@admin_required
def jobs():
    """Background jobs (text extraction): failed ones with their reasons and a Retry button, then those
    running and queued."""

    if not can_edit_agencies(current_user):
        abort(403)
    session = db.session()
    return render_template("admin/jobs.html", counts=job_counts(session), failed=list_jobs(session, ("failed",)),
                           active=list_jobs(session, ("running", "queued")), now=utcnow())


@bp.route("/jobs/<job_id>/retry", methods=["POST"])
@admin_required
def retry_job_view(job_id: str):
    if not can_edit_agencies(current_user):
        abort(403)
    number = parse_id(job_id)
    job = db.session.get(Job, number) if number is not None else None
    if job is None:
        abort(404)
    try:
        retry_job(db.session(), actor=current_user, job=job, now=utcnow())
    except ValidationError as exc:
        db.session.rollback()
        flash(" ".join(exc.errors.values()), "error")
        return redirect(url_for("admin.jobs"))
    db.session.commit()
    flash(f"Job {job.id} queued again; the scheduler runs it within a minute.", "success")
    return redirect(url_for("admin.jobs"))


@bp.route("/outbox")
@admin_required
def outbox():

    entries = list_outbox(current_app.config["FOIA_OUTBOX_DIR"])
    return render_template("admin/outbox.html", entries=entries[:500], smtp=bool(current_app.config["FOIA_SMTP_URL"]))


@bp.route("/outbox/<filename>")
@admin_required
def outbox_message(filename: str):
    """One outbox message, shown as text: headers and the plain-text part. HTML parts are never
    rendered; they are shown as escaped source."""

    try:
        msg = read_outbox(current_app.config["FOIA_OUTBOX_DIR"], filename)
    except (ValueError, FileNotFoundError):
        abort(404)
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    return render_template("admin/outbox_message.html", filename=filename, headers=list(msg.items()),
                           text=text_part.get_content() if text_part else "",
                           html_source=html_part.get_content() if html_part else "")
