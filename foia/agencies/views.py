from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from wtforms import EmailField, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import URL, DataRequired, Email, Length, Optional, Regexp

from foia.agencies.changes import (
    accept_change,
    pending_changes,
    proposed_data,
    recent_decisions,
    reject_change,
    suggest_change,
)
from foia.agencies.service import (
    AGENCY_FIELDS,
    AGENCY_SLUG_PATTERN,
    create_agency,
    preview_impact,
    rule_changes,
    rules_key,
    update_agency,
    validate_agency_input,
)
from foia.core.access import can_edit_agencies, can_suggest_agency_change
from foia.core.clock import default_timezone, local_today, utcnow
from foia.core.errors import ValidationError
from foia.dashboard.cache import cached_agency_stats
from foia.dashboard.stats import DEFINITION
from foia.deadlines import law_slugs, load_law
from foia.extensions import db
from foia.models import Agency, AgencyChange, AuditLog, Organization, User

bp = Blueprint("agencies", __name__, url_prefix="/agencies")


def _law_choices() -> list[tuple[str, str]]:
    out = [("", "Choose a law…")]
    for slug in law_slugs():
        law = load_law(slug)
        out.append((slug, f"{law.name} ({law.jurisdiction})"))
    return out


class AgencyForm(FlaskForm):
    """Labels on every field; the service checks the same rules again (and that the short name is free)."""

    name = StringField("Agency name", validators=[DataRequired("Give the agency's name."), Length(max=200)])
    slug = StringField("Short name", description="Used in web addresses: 2 to 64 lower-case letters, digits and hyphens, e.g. dhs-ice.",
                       validators=[DataRequired("Give the agency a short name, e.g. dhs-ice."),
                                   Regexp(AGENCY_SLUG_PATTERN, message="Use 2 to 64 lower-case letters, digits and hyphens, e.g. dhs-ice.")])
    department = StringField("Department (optional)", validators=[Optional(), Length(max=200)])
    jurisdiction = StringField("Jurisdiction", description="E.g. United States (federal), California — Los Angeles County.",
                               validators=[DataRequired("Say which jurisdiction the agency belongs to."), Length(max=100)])
    law = SelectField("Public-records law", validators=[DataRequired("Choose the public-records law from the list.")])
    timezone = StringField("Time zone", default=default_timezone,
                           description="The agency's IANA time zone, e.g. America/New_York. It decides which day a request arrived.",
                           validators=[DataRequired("Choose a time zone such as America/Los_Angeles."), Length(max=64)])
    foia_email = EmailField("Records office email (optional)",
                            validators=[Optional(), Length(max=254), Email("Enter a valid email address, e.g. foia@agency.gov, or leave it empty.")])
    portal_url = URLField("Request portal web address (optional)",
                          validators=[Optional(), Length(max=500),
                                      URL(require_tld=True, message="Enter a web address starting with https:// or http://, or leave it empty.")])
    phone = StringField("Phone (optional)", validators=[Optional(), Length(max=50)])
    fax = StringField("Fax (optional)", validators=[Optional(), Length(max=50)])
    mailing_address = TextAreaField("Mailing address (optional)", validators=[Optional(), Length(max=2000)])
    appeal_authority = StringField("Appeals go to (optional)", validators=[Optional(), Length(max=200)])
    appeal_address = TextAreaField("Appeal mailing address (optional)", validators=[Optional(), Length(max=2000)])
    appeal_email = EmailField("Appeal email (optional)",
                              validators=[Optional(), Length(max=254), Email("Enter a valid email address, e.g. foia@agency.gov, or leave it empty.")])


class SuggestionForm(AgencyForm):
    """The same form and rules as an edit, with a note for the administrators."""

    note = TextAreaField("Note for the administrators (optional)",
                         description="Where the new details come from, e.g. the agency's web page or a letter.",
                         validators=[Optional(), Length(max=2000, message="Keep the note under 2000 characters.")])


def field_label(name: str) -> str:
    """The form's label for an agency field (shown in the queue and the history)."""
    unbound = getattr(AgencyForm, name, None)
    args = getattr(unbound, "args", ())
    return str(args[0]).removesuffix(" (optional)") if args else name


def _require_editor() -> None:
    if not can_edit_agencies(current_user):
        abort(403)


def _require_suggester() -> None:
    if not can_suggest_agency_change(current_user):
        abort(403)


def _agency_or_404(slug: str) -> Agency:
    agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
    if agency is None:
        abort(404)
    return agency


@bp.route("")
@login_required
def index():
    q = (request.args.get("q") or "").strip()[:100]
    stmt = select(Agency).order_by(Agency.name)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(Agency.name.ilike(like), Agency.slug.ilike(like), Agency.department.ilike(like),
                              Agency.jurisdiction.ilike(like)))
    agencies = db.session.scalars(stmt.limit(500)).all()
    can_edit = can_edit_agencies(current_user)
    pending = len(pending_changes(db.session())) if can_edit else 0
    return render_template("agencies/index.html", agencies=agencies, q=q, can_manage=can_edit,
                           can_suggest=can_suggest_agency_change(current_user), pending=pending)


def _form_errors(form: FlaskForm) -> dict[str, str]:
    return {name: msgs[0] for name, msgs in form.errors.items()}


def _form_data(form: FlaskForm) -> dict[str, str]:
    return {f: getattr(form, f).data or "" for f in AGENCY_FIELDS}


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _require_editor()
    form = AgencyForm()
    form.law.choices = _law_choices()
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not form.validate():
            errors = _form_errors(form)
        else:
            try:
                saved = create_agency(db.session(), actor=current_user, now=utcnow(), data=_form_data(form))
            except ValidationError as exc:
                db.session.rollback()
                errors = exc.errors
            else:
                db.session.commit()
                flash(f"Agency {saved.name} added.", "success")
                return redirect(url_for("agencies.show", slug=saved.slug))
    return render_template("agencies/form.html", form=form, errors=errors, agency=None, mode="edit"), 400 if errors else 200


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    """An administrator's edit. A change to a rule field (short name, time zone, law) first shows which open
    requests' dates it would move; saving needs that confirmation, for exactly these values."""
    _require_editor()
    agency = _agency_or_404(slug)
    form = AgencyForm(obj=agency)
    form.law.choices = _law_choices()
    errors: dict[str, str] = {}
    impact = None
    confirm = ""
    if request.method == "POST":
        session = db.session()
        data = _form_data(form)
        try:
            if not form.validate():
                raise ValidationError(_form_errors(form))
            clean, problems = validate_agency_input(session, data, agency=agency)
            if problems:
                raise ValidationError(problems)
            if rule_changes(agency, clean) and request.form.get("confirm_rules") != rules_key(clean):
                impact = preview_impact(session, now=utcnow(), agency=agency, data=data)
                confirm = rules_key(clean)
            else:
                saved = update_agency(session, actor=current_user, now=utcnow(), agency=agency, data=data)
                session.commit()
                flash(f"Agency {saved.name} saved.", "success")
                return redirect(url_for("agencies.show", slug=saved.slug))
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        agency = _agency_or_404(slug)
    return render_template("agencies/form.html", form=form, errors=errors, agency=agency, mode="edit",
                           impact=impact, confirm=confirm,
                           rules=rule_changes(agency, {f: getattr(form, f).data or "" for f in AGENCY_FIELDS}) if impact is not None else {}), \
        400 if errors else 200


def _suggest(agency: Agency | None):
    _require_suggester()
    form = SuggestionForm(obj=agency)
    form.law.choices = _law_choices()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            if not form.validate():
                raise ValidationError(_form_errors(form))
            suggest_change(db.session(), actor=current_user, now=utcnow(), agency=agency, data=_form_data(form),
                           note=form.note.data or "")
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash("Thank you: your suggestion was sent to the administrators. Nothing changes until one accepts it.",
                  "success")
            return redirect(url_for("agencies.show", slug=agency.slug) if agency else url_for("agencies.index"))
    return render_template("agencies/form.html", form=form, errors=errors, agency=agency, mode="suggest"), \
        400 if errors else 200


@bp.route("/suggest", methods=["GET", "POST"])
@login_required
def suggest_new():
    """Suggest an agency the directory lacks."""
    return _suggest(None)


@bp.route("/<slug>/suggest", methods=["GET", "POST"])
@login_required
def suggest(slug: str):
    """Suggest a change to an agency: stored for the administrators, nothing changes yet."""
    return _suggest(_agency_or_404(slug))


def _people(ids) -> dict[int, tuple[str, str]]:
    """id -> (name, organization) for the people named in the queue and the history."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.name, Organization.name)
                              .join(Organization, Organization.id == User.organization_id).where(User.id.in_(ids)))
    return {uid: (name, org) for uid, name, org in rows}


def _queue_rows(changes: list[AgencyChange]) -> list[dict]:
    session = db.session()
    agencies = {a.id: a for a in session.scalars(select(Agency).where(
        Agency.id.in_({c.agency_id for c in changes if c.agency_id is not None})))}
    rows = []
    for c in changes:
        agency = agencies.get(c.agency_id) if c.agency_id is not None else None
        fields = []
        for f in AGENCY_FIELDS:
            if f not in (c.changes or {}):
                continue
            now = getattr(agency, f) if agency is not None else ""
            fields.append({"field": f, "label": field_label(f), "now": now, "then": (c.before or {}).get(f, ""), "proposed": c.changes[f]})
        rows.append({"change": c, "agency": agency, "fields": fields,
                     "stale": any(row["now"] != row["then"] for row in fields) if agency is not None else False})
    return rows


@bp.route("/changes")
@login_required
def changes():
    """The administrators' queue of suggested changes, with each field before and after."""
    _require_editor()
    session = db.session()
    pending = pending_changes(session)
    decided = recent_decisions(session)
    people = _people([c.proposed_by_id for c in pending + decided] + [c.decided_by_id for c in decided])
    return render_template("agencies/changes.html", pending=_queue_rows(pending), decided=_queue_rows(decided),
                           people=people)


def _change_or_404(change_id: int) -> AgencyChange:
    change = db.session.get(AgencyChange, change_id)
    if change is None:
        abort(404)
    return change


@bp.route("/changes/<int:change_id>/accept", methods=["POST"])
@login_required
def accept(change_id: int):
    """Accept a suggestion. One that changes a rule field first shows the dates it would move."""
    _require_editor()
    change = _change_or_404(change_id)
    session = db.session()
    note = (request.form.get("decision_note") or "").strip()
    try:
        if change.status != "pending":
            raise ValidationError({"status": f"This suggestion was already {change.status}."})
        data = proposed_data(session, change)
        agency = session.get(Agency, change.agency_id) if change.agency_id is not None else None
        if agency is not None:
            clean, problems = validate_agency_input(session, data, agency=agency)
            if problems:
                raise ValidationError(problems)
            rules = rule_changes(agency, clean)
            if rules and request.form.get("confirm_rules") != rules_key(clean):
                impact = preview_impact(session, now=utcnow(), agency=agency, data=data)
                agency = session.get(Agency, change.agency_id)
                return render_template("agencies/confirm.html", change=change, agency=agency, impact=impact,
                                       rules=rules, confirm=rules_key(clean), note=note)
        saved = accept_change(session, actor=current_user, now=utcnow(), change=change, note=note)
    except ValidationError as exc:
        db.session.rollback()
        flash("The suggestion could not be applied: " + " ".join(exc.errors.values()), "error")
        return redirect(url_for("agencies.changes")), 303
    session.commit()
    flash(f"Suggestion accepted: {saved.name} is updated.", "success")
    return redirect(url_for("agencies.changes"))


@bp.route("/changes/<int:change_id>/reject", methods=["POST"])
@login_required
def reject(change_id: int):
    _require_editor()
    change = _change_or_404(change_id)
    try:
        reject_change(db.session(), actor=current_user, now=utcnow(), change=change,
                      note=request.form.get("decision_note") or "")
    except ValidationError as exc:
        db.session.rollback()
        flash("The suggestion was not rejected: " + " ".join(exc.errors.values()), "error")
        return redirect(url_for("agencies.changes")), 303
    db.session.commit()
    flash("Suggestion rejected; the directory is unchanged.", "success")
    return redirect(url_for("agencies.changes"))


def _history(agency: Agency) -> list[dict]:
    """The agency's audited edits (direct and accepted suggestions), newest first: who, when, each field
    before and after, and for an accepted suggestion who suggested it."""
    session = db.session()
    audits = list(session.scalars(select(AuditLog).where(AuditLog.entity_type == "agencies",
                                                         AuditLog.entity_id == str(agency.id),
                                                         AuditLog.action.in_(("create", "update")))
                                  .order_by(AuditLog.id.desc()).limit(100)))
    accepted = list(session.scalars(select(AgencyChange).where(AgencyChange.agency_id == agency.id,
                                                               AgencyChange.status == "accepted")))
    people = _people([a.actor_id for a in audits] + [c.proposed_by_id for c in accepted])
    by_moment = {(c.decided_by_id, c.decided_at): c for c in accepted}
    out = []
    for a in audits:
        after = a.after or {}
        before = a.before or {}
        fields = [{"field": f, "label": field_label(f), "before": before.get(f, ""), "after": after[f]}
                  for f in AGENCY_FIELDS if f in after]
        change = by_moment.get((a.actor_id, a.at))
        out.append({"at": a.at, "action": a.action, "by": people.get(a.actor_id or 0), "fields": fields,
                    "suggested_by": people.get(change.proposed_by_id) if change else None,
                    "note": change.note if change else ""})
    return out


@bp.route("/<slug>")
@login_required
def show(slug: str):
    agency = _agency_or_404(slug)
    try:
        law = load_law(agency.law).for_agency(agency.slug)
    except (KeyError, ValueError):
        law = None
    stats = next((s for s in cached_agency_stats(current_user, local_today(utcnow())) if s.agency_id == agency.id), None)

    return render_template("agencies/show.html", agency=agency, law=law, stats=stats, definition=DEFINITION,
                           can_manage=can_edit_agencies(current_user),
                           can_suggest=can_suggest_agency_change(current_user), history=_history(agency))
