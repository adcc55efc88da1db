"""/api/v1/agencies: the shared agency directory, searched as the Agencies page searches it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from foia.agencies.directory import filing_methods, search_agencies
from foia.api.auth import ApiBlueprint, protect
from foia.api.schemas import AgencyListArgsSchema, AgencyListSchema
from foia.extensions import db
from foia.models import Agency

bp = ApiBlueprint("api_agencies", __name__, url_prefix="/api/v1", description="The shared agency directory: the "
               "slugs to file requests with.")
protect(bp)


def agency_out(agency: Agency, parents: dict[int, str]) -> dict[str, Any]:
    return {"slug": agency.slug, "name": agency.name, "abbreviation": agency.abbreviation or "",
            "parent": parents.get(agency.parent_id) if agency.parent_id is not None else None,
            "department": agency.department or "", "jurisdiction": agency.jurisdiction, "law": agency.law,
            "foia_email": agency.foia_email or "", "portal_url": agency.portal_url or "",
            "website": agency.website or "", "filing_methods": filing_methods(agency), "timezone": agency.timezone}


@bp.route("/agencies", methods=["GET"])
@bp.doc(operationId="listAgencies")
@bp.arguments(AgencyListArgsSchema, location="query", as_kwargs=True)
@bp.response(200, AgencyListSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
def list_agencies(q: str, parent: str | None, law: str | None, limit: int, offset: int):
    """List agencies

    Agencies by name: `q` matches every word in the name, abbreviation or department; `parent` (a department's
    slug) gives it and its components; `law` a law's slug. Page with `limit` and `offset`."""
    rows, total = search_agencies(db.session(), q=q or "", parent=parent or None, law=law or None, limit=limit,
                                  offset=offset)
    ids = {a.parent_id for a in rows if a.parent_id is not None}
    parents: dict[int, str] = dict(db.session.execute(select(Agency.id, Agency.slug).where(Agency.id.in_(ids))).all()) if ids else {}
    return {"items": [agency_out(a, parents) for a in rows], "total": total, "limit": limit, "offset": offset}
