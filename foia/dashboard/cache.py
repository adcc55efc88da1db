"""The dashboard's stored agency statistics, as a viewer sees them.

Nothing here is cached per process any more: counts by status come from the maintained counts
(foia.dashboard.counts), the month grid is a bounded indexed query, and the agency statistics are
rows in the database refreshed incrementally by the scheduler (foia.dashboard.stats.refresh_stats),
so every web worker shows the same figures.
"""

from __future__ import annotations

from datetime import date

from foia.core.access import stats_scope
from foia.dashboard.stats import AgencyStats, stored_responsiveness
from foia.extensions import db


def clear_stats_cache() -> None:
    """Kept for callers (tests, benches) written when the dashboard cached per process: nothing to clear."""


def agency_stats(user) -> list[AgencyStats] | None:
    """The stored statistics of the user's scope; None while they were never computed (a new
    organization, until the scheduler's next statistics refresh)."""
    stored = stored_responsiveness(db.session(), stats_scope(user))
    return None if stored is None else stored[0]


def cached_agency_stats(user, today: date) -> list[AgencyStats]:
    """The stored statistics of the user's scope (empty while never computed). `today` is unused: the
    figures are those of the last refresh."""
    return agency_stats(user) or []
