from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from wtforms import EmailField, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import URL, DataRequired, Email, Length, Optional, Regexp

from foia.agencies.service import (
    AGENCY_FIELDS,
    AGENCY_SLUG_PATTERN,
    create_agency,
    update_agency,
)
from foia.core.access import can_manage_agencies
from foia.core.clock import default_timezone, local_today, utcnow
from foia.core.errors import ValidationError
from foia.dashboard.cache import cached_agency_stats
from foia.dashboard.stats import DEFINITION
from foia.deadlines import law_slugs, load_law
from foia.extensions import db
from foia.models import Agency

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


def _require_manager() -> None:
    if not can_manage_agencies(current_user):
        abort(403)


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
    return render_template("agencies/index.html", agencies=agencies, q=q,
                           can_manage=can_manage_agencies(current_user))


def _save(form: AgencyForm, agency: Agency | None):
    """Validate and save; returns (agency or None, errors)."""
    if not form.validate():
        return None, {name: msgs[0] for name, msgs in form.errors.items()}
    data = {f: getattr(form, f).data or "" for f in AGENCY_FIELDS}
    try:
        if agency is None:
            saved = create_agency(db.session(), actor=current_user, now=utcnow(), data=data)
        else:
            saved = update_agency(db.session(), actor=current_user, now=utcnow(), agency=agency, data=data)
    except ValidationError as exc:
        db.session.rollback()
        return None, exc.errors
    db.session.commit()
    return saved, {}


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _require_manager()
    form = AgencyForm()
    form.law.choices = _law_choices()
    errors: dict[str, str] = {}
    if request.method == "POST":
        saved, errors = _save(form, None)
        if saved is not None:
            flash(f"Agency {saved.name} added.", "success")
            return redirect(url_for("agencies.show", slug=saved.slug))
    return render_template("agencies/form.html", form=form, errors=errors, agency=None), 400 if errors else 200


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    _require_manager()
    agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
    if agency is None:
        abort(404)
    form = AgencyForm(obj=agency)
    form.law.choices = _law_choices()
    errors: dict[str, str] = {}
    if request.method == "POST":
        saved, errors = _save(form, agency)
        if saved is not None:
            flash(f"Agency {saved.name} saved.", "success")
            return redirect(url_for("agencies.show", slug=saved.slug))
        agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
    return render_template("agencies/form.html", form=form, errors=errors, agency=agency), 400 if errors else 200


@bp.route("/<slug>")
@login_required
def show(slug: str):
    agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
    if agency is None:
        abort(404)
    try:
        law = load_law(agency.law).for_agency(agency.slug)
    except (KeyError, ValueError):
        law = None
    stats = next((s for s in cached_agency_stats(current_user, local_today(utcnow())) if s.agency_id == agency.id), None)

    return render_template("agencies/show.html", agency=agency, law=law, stats=stats, definition=DEFINITION,
                           can_manage=can_manage_agencies(current_user))
