from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, SelectField, SelectMultipleField, StringField, TextAreaField, URLField
from wtforms.validators import URL, DataRequired, Email, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from foia.agencies import directory
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
    agency_values,
    create_agency,
    moves_dates,
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

#: Said after a save that queued a recompute of the agency's open requests (a scheduler job, not this request).
RECOMPUTING = (" The dates of its open requests are being recomputed in the background: each request's page shows"
               " the new dates now; lists and reminders follow within a few minutes.")


def _law_choices() -> list[tuple[str, str]]:
    out = [("", "Choose a law…")]
    for slug in law_slugs():
        law = load_law(slug)
        out.append((slug, f"{law.name} ({law.jurisdiction})"))
    return out


def _parent_choices(agency: Agency | None) -> list[tuple[str, str]]:
    """Departments to file an agency under: agencies that are not themselves components (one query)."""
    rows = db.session.execute(select(Agency.id, Agency.slug, Agency.name).where(Agency.parent_id.is_(None))
                              .order_by(Agency.name)).all()
    return [("", "None (a department or a stand-alone agency)")] + [
        (slug, f"{name} ({slug})") for aid, slug, name in rows if agency is None or aid != agency.id]


def _prepare(form: AgencyForm, agency: Agency | None) -> AgencyForm:
    """Choices and, on first display, the stored values the form cannot read from the model by itself."""
    form.law.choices = _law_choices()
    form.parent.choices = _parent_choices(agency)
    if agency is not None and agency.parent is not None and all(v != agency.parent.slug for v, _ in form.parent.choices):
        form.parent.choices.append((agency.parent.slug, f"{agency.parent.name} ({agency.parent.slug})"))
    if request.method == "GET" and agency is not None:
        form.parent.data = agency.parent.slug if agency.parent is not None else ""
        form.filing_methods.data = directory.parse_methods(agency.filing_methods)
    return form


class AgencyForm(FlaskForm):
    """Labels on every field; the service checks the same rules again (and that the short name is free)."""

    name = StringField("Agency name", validators=[DataRequired("Give the agency's name."), Length(max=200)])
    slug = StringField("Short name", description="Used in web addresses: 2 to 64 lower-case letters, digits and hyphens, e.g. dhs-ice.",
                       validators=[DataRequired("Give the agency a short name, e.g. dhs-ice."),
                                   Regexp(AGENCY_SLUG_PATTERN, message="Use 2 to 64 lower-case letters, digits and hyphens, e.g. dhs-ice.")])
    abbreviation = StringField("Abbreviation (optional)", description="The office's own short name, e.g. ICE or FBI: people search by it.",
                               validators=[Optional(), Length(max=50)])
    parent = SelectField("Parent department (optional)",
                         description="The department this office is a component of, e.g. Department of Homeland Security for ICE.",
                         validate_choice=False, validators=[Optional()])  # the service checks it exists
    department = StringField("Department name as text (optional)",
                             description="Only for an agency whose department is not in the directory.",
                             validators=[Optional(), Length(max=200)])
    jurisdiction = StringField("Jurisdiction", description="E.g. United States (federal), California — Los Angeles County.",
                               validators=[DataRequired("Say which jurisdiction the agency belongs to."), Length(max=100)])
    law = SelectField("Public-records law", validators=[DataRequired("Choose the public-records law from the list.")])
    timezone = StringField("Time zone", default=default_timezone,
                           description="The agency's IANA time zone, e.g. America/New_York. It decides which day a request arrived.",
                           validators=[DataRequired("Choose a time zone such as America/Los_Angeles."), Length(max=64)])
    website = URLField("Website (optional)",
                       validators=[Optional(), Length(max=500),
                                   URL(require_tld=True, message="Enter a web address starting with https:// or http://, or leave it empty.")])
    filing_methods = SelectMultipleField(
        "How it takes requests (optional)", choices=[(m, directory.METHOD_LABELS[m]) for m in directory.FILING_METHODS],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(), validators=[Optional()],
        description="Tick the ways the office accepts requests. None ticked: FOIA Tracker uses every way it has an "
                    "address for (email, portal, mail, fax). Email is offered for sending only when it is ticked.")
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


def _int_arg(name: str, default: int = 1) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 7 and int(value) > 0 else default


@bp.route("")
@login_required
def index():
    """The directory, 50 a page: search by name, abbreviation and parent; filter by department and law."""
    session = db.session()
    q = (request.args.get("q") or "").strip()[:100]
    parent_slug = (request.args.get("parent") or "").strip()[:64]
    law = (request.args.get("law") or "").strip()[:20]
    page = _int_arg("page")
    size = directory.PAGE_SIZE
    agencies, total = directory.search_agencies(session, q=q, parent=parent_slug or None, law=law or None,
                                                limit=size, offset=(page - 1) * size)
    pages = max(1, math.ceil(total / size))
    params: dict[str, Any] = {k: v for k, v in (("q", q), ("parent", parent_slug), ("law", law)) if v}
    if page > pages and total:
        return redirect(url_for("agencies.index", **params, page=pages))
    # Every parent shown on the page in one query (the rows' `parent` then comes from the session).
    parent_ids = {a.parent_id for a in agencies if a.parent_id is not None}
    if parent_ids:
        list(session.scalars(select(Agency).where(Agency.id.in_(parent_ids))))
    depts = directory.departments(session)
    parent = next((d.agency for d in depts if d.agency.slug == parent_slug), None)
    can_edit = can_edit_agencies(current_user)
    pending = len(pending_changes(session)) if can_edit else 0
    return render_template("agencies/index.html", agencies=agencies, total=total, page=page, pages=pages,
                           first=(page - 1) * size + 1, params=params, q=q, parent_slug=parent_slug, parent=parent,
                           law=law, laws=_law_choices()[1:], departments=depts, can_manage=can_edit,
                           can_suggest=can_suggest_agency_change(current_user), pending=pending)


@bp.route("/departments")
@login_required
def departments():
    """Browse by parent department: each department with its number of components."""
    return render_template("agencies/departments.html", departments=directory.departments(db.session()))


def _form_errors(form: FlaskForm) -> dict[str, str]:
    return {name: msgs[0] for name, msgs in form.errors.items()}


def _form_data(form: FlaskForm) -> dict[str, str]:
    out = {f: getattr(form, f).data or "" for f in AGENCY_FIELDS}
    out["filing_methods"] = ",".join(form.filing_methods.data or [])
    return out


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _require_editor()
    form = _prepare(AgencyForm(), None)
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
    form = _prepare(AgencyForm(obj=agency), agency)
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
                recompute = moves_dates(rule_changes(agency, clean))
                saved = update_agency(session, actor=current_user, now=utcnow(), agency=agency, data=data)
                session.commit()
                flash(f"Agency {saved.name} saved." + (RECOMPUTING if recompute else ""), "success")
                return redirect(url_for("agencies.show", slug=saved.slug))
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        agency = _agency_or_404(slug)
    return render_template("agencies/form.html", form=form, errors=errors, agency=agency, mode="edit",
                           impact=impact, confirm=confirm,
                           rules=rule_changes(agency, _form_data(form)) if impact is not None else {}), \
        400 if errors else 200


def _suggest(agency: Agency | None):
    _require_suggester()
    form = _prepare(SuggestionForm(obj=agency), agency)
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
        values = agency_values(agency) if agency is not None else {}
        fields = []
        for f in AGENCY_FIELDS:
            if f not in (c.changes or {}):
                continue
            now = values.get(f, "")
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
        recompute = False
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
            recompute = moves_dates(rules)
        saved = accept_change(session, actor=current_user, now=utcnow(), change=change, note=note)
    except ValidationError as exc:
        db.session.rollback()
        flash("The suggestion could not be applied: " + " ".join(exc.errors.values()), "error")
        return redirect(url_for("agencies.changes")), 303
    session.commit()
    flash(f"Suggestion accepted: {saved.name} is updated." + (RECOMPUTING if recompute else ""), "success")
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


class VerifyForm(FlaskForm):
    """Only the CSRF token: the verify and withdraw buttons."""


#: The glossary terms (anchors of /help, foia.help.glossary) linked next to the figures on an agency page.
FIGURE_TERMS: tuple[tuple[str, str], ...] = (
    ("term-simple-and-complex-requests", "Simple and complex requests"),
    ("term-backlog", "Backlog (pending requests)"),
    ("term-expedited-processing", "Expedited processing"),
    ("term-appeal", "Administrative appeal"),
    ("term-agency-component", "Agency component"),
)

#: Which glossary term explains each reported figure (REPORTED_FIELDS).
FIELD_TERMS: dict[str, str] = {
    "pending_end": "term-backlog", "simple_median_days": "term-simple-and-complex-requests",
    "simple_average_days": "term-simple-and-complex-requests", "complex_median_days": "term-simple-and-complex-requests",
    "complex_average_days": "term-simple-and-complex-requests", "expedited_median_days": "term-expedited-processing",
    "expedited_average_days": "term-expedited-processing", "appeal_median_days": "term-appeal",
}

DAY_FIELDS = frozenset(f for f in directory.REPORTED_FIELDS if f.endswith("_days"))


def reported_value(field: str, value: float | int | None) -> str:
    """A reported figure as shown: counts with thousands separators, days to one decimal at most; a day
    figure of 0 is FOIA.gov's "none processed" ("none reported"); None: not in the report ("—")."""
    if value is None:
        return "—"
    if field in DAY_FIELDS:
        if not value:
            return "none reported"
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{int(value):,}"


@bp.route("/<slug>")
@login_required
def show(slug: str):
    agency = _agency_or_404(slug)
    session = db.session()
    try:
        law = load_law(agency.law).for_agency(agency.slug)
    except (KeyError, ValueError):
        law = None
    stats = next((s for s in cached_agency_stats(current_user, local_today(utcnow())) if s.agency_id == agency.id), None)
    reported = directory.reported_stats(session, agency.id)
    return render_template("agencies/show.html", agency=agency, law=law, stats=stats, definition=DEFINITION,
                           can_manage=can_edit_agencies(current_user),
                           can_suggest=can_suggest_agency_change(current_user), history=_history(agency),
                           provenance=directory.provenance(agency), methods=directory.filing_methods(agency),
                           method_labels=directory.METHOD_LABELS, components=directory.components(session, agency),
                           details=agency.details or {}, reported=reported,
                           headline=directory.reported_headline(agency, reported[0] if reported else None),
                           reported_fields=directory.REPORTED_FIELDS, reported_labels=directory.REPORTED_LABELS,
                           reported_definition=directory.REPORTED_DEFINITION, reported_value=reported_value,
                           field_terms=FIELD_TERMS, figure_terms=FIGURE_TERMS,
                           verify_form=VerifyForm())


@bp.route("/<slug>/verify", methods=["POST"])
@login_required
def verify(slug: str):
    """An administrator confirms the agency's contact details (or withdraws the confirmation); audited."""
    _require_editor()
    agency = _agency_or_404(slug)
    if not VerifyForm().validate():
        abort(400)
    verified = request.form.get("verified", "1") != "0"
    directory.verify_agency(db.session(), actor=current_user, now=utcnow(), agency=agency, verified=verified)
    db.session.commit()
    flash(f"{agency.name}: contact details marked as verified." if verified
          else f"{agency.name}: verification withdrawn; its contact details are labelled unverified again.", "success")
    return redirect(url_for("agencies.show", slug=agency.slug))


@bp.app_context_processor
def directory_helpers():
    """For every page that shows an agency's contact details (the request page, the letter pages): where
    they came from (`agency_provenance(agency).text`, the unverified label) and how the office takes
    requests (`agency_methods(agency)`, `agency_methods_text(agency)`)."""
    return {"agency_provenance": directory.provenance, "agency_methods": directory.filing_methods,
            "agency_methods_text": directory.methods_text, "filing_method_labels": directory.METHOD_LABELS}
