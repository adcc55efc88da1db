"""The dashboard: overdue and upcoming deadlines, counts by status, a month of deadlines and how
quickly agencies respond. Parse, call the read queries (foia/dashboard.py, foia/stats.py), render."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from foia.core.clock import local_today, utcnow
from foia.dashboard.cache import agency_stats
from foia.dashboard.queries import (
    UPCOMING_WORKING_DAYS,
    WEEKDAYS,
    month_calendar,
    overdue,
    parse_month,
    replies_to_classify,
    status_counts,
    upcoming,
)
from foia.dashboard.stats import DEFINITION, calendars_for
from foia.extensions import db
from foia.tasks.service import open_tasks_of

bp = Blueprint("dashboard", __name__)


def bar_step(value: float | None, top: float | None) -> int:
    """Bar length in twentieths (0-20) for the CSS classes bar-0 … bar-20."""
    if not value or not top:
        return 0
    return max(1, min(20, round(20 * value / top)))


@bp.route("/dashboard")
@login_required
def index():
    today = local_today(utcnow())
    month = parse_month(request.args.get("month"), today)
    resolve = calendars_for(db.session())  # one read of the closures for both lists
    late = overdue(db.session(), current_user, today=today, resolve=resolve)
    soon = upcoming(db.session(), current_user, today=today, resolve=resolve)
    counts = status_counts(db.session(), current_user)
    my_tasks = open_tasks_of(db.session(), current_user, today=today, horizon=UPCOMING_WORKING_DAYS,
                             calendar_of=lambda r: resolve(r.law, r.agency.slug, r.agency_id))
    view = month_calendar(db.session(), current_user, month=month, today=today)
    stored = agency_stats(current_user)
    stats = stored or []
    to_classify = replies_to_classify(db.session(), current_user)
    max_count = max((n for _s, _l, n in counts), default=0)
    max_median = max((s.median_days or 0 for s in stats), default=0)
    return render_template("dashboard.html", today=today, overdue=late, upcoming=soon, counts=counts,
                           max_count=max_count, month=view, weekdays=WEEKDAYS, stats=stats,
                           max_median=max_median, definition=DEFINITION, bar_step=bar_step, stats_pending=stored is None,
                           to_classify=to_classify, my_tasks=my_tasks, task_horizon=UPCOMING_WORKING_DAYS)
