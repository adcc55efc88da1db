"""The help page: a glossary of statuses, communication kinds, exemptions per law and terms, how the
deadlines are counted and how to file through a portal. Open to everyone (nothing in it is private)."""

from __future__ import annotations

from flask import Blueprint, render_template

from foia.deadlines import calendar_name, law_slugs, load_law
from foia.help.glossary import STATUS_HELP, exemptions_by_law, kinds, terms
from foia.models import STATUSES

bp = Blueprint("help", __name__, url_prefix="/help")


@bp.route("")
def index():
    laws = []
    for s in law_slugs():
        law = load_law(s)
        laws.append({"slug": s, "name": law.name, "period": law.response_period_text,
                     "citation": law.response.citation, "calendar": calendar_name(law.calendar),
                     "appeal": law.has_appeal})
    laws.sort(key=lambda x: (x["slug"] != "us-foia", x["name"]))
    return render_template("help/index.html", statuses=[(k, STATUSES[k], STATUS_HELP[k]) for k in STATUSES],
                           kinds=kinds(), exemptions=exemptions_by_law(), terms=terms(), laws=laws)
