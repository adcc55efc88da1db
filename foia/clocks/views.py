"""The laws FOIA Tracker knows: /laws (every jurisdiction, its clocks and how far each number was verified) and
/laws/<slug> (one law: clocks with citations and sources, its holiday calendar, its exemptions). Reference pages:
no request data, so no sign-in needed."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from foia.clocks.coverage import coverage, holidays_for, law_coverage
from foia.core.clock import local_today, utcnow
from foia.deadlines import law_slugs, load_law

bp = Blueprint("laws", __name__, url_prefix="/laws")


@bp.route("")
def index():
    rows = coverage()
    q = (request.args.get("q") or "").strip().lower()
    if q:
        rows = [r for r in rows if q in r.jurisdiction.lower() or q in r.name.lower() or q in r.slug]
    return render_template("laws/index.html", rows=rows, q=q, total=len(law_slugs()))


@bp.route("/<slug>")
def show(slug: str):
    if slug not in law_slugs():
        abort(404)
    law = load_law(slug)
    year = local_today(utcnow()).year
    return render_template("laws/show.html", law=law, row=law_coverage(law), year=year,
                           holidays=holidays_for(law, year), next_holidays=holidays_for(law, year + 1))
