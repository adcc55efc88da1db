from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import login_required
from sqlalchemy import or_, select

from ..extensions import db
from ..models import Agency

bp = Blueprint("agencies", __name__, url_prefix="/agencies")


@bp.route("")
@login_required
def index():
    q = (request.args.get("q") or "").strip()[:100]
    stmt = select(Agency).order_by(Agency.name)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(Agency.name.ilike(like), Agency.slug.ilike(like), Agency.department.ilike(like)))
    agencies = db.session.scalars(stmt.limit(500)).all()
    return render_template("agencies/index.html", agencies=agencies, q=q)


@bp.route("/<slug>")
@login_required
def show(slug: str):
    agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
    if agency is None:
        abort(404)
    return render_template("agencies/show.html", agency=agency)
