"""Short-lived per-process caches for the dashboard, invalidated when requests, clocks or events change."""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from foia.core.access import stats_scope
from foia.core.clock import utcnow
from foia.dashboard.stats import AgencyStats, snapshot_responsiveness
from foia.extensions import db
from foia.models import Event, Request, RequestClock

_WATCHED = (Request, RequestClock, Event)


# Agency statistics read every event in scope; they change slowly, so each scope's result is kept
# in this process for a few minutes (per organization, see foia.dashboard.stats.stats_scope).
STATS_TTL_SECONDS = 300


# Counts by status and the month grid aggregate every visible request or every deadline of a month
# (100k requests: a few hundred milliseconds on SQLite); they are kept for a minute, and dropped as soon
# as this process changes a request, a clock or an event. Overdue and upcoming lists are always live.
SUMMARY_TTL_SECONDS = 60


_cache: dict[tuple[Any, ...], tuple[float, int, Any]] = {}


_lock = threading.Lock()


_generation = 0  # bumped whenever this process writes requests, clocks or events


def clear_stats_cache() -> None:
    with _lock:
        _cache.clear()


def _cached(key: tuple[Any, ...], ttl: float, compute, *, volatile: bool):
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] > now and (not volatile or hit[1] == _generation):
        return hit[2]
    generation = _generation
    value = compute()
    with _lock:
        if len(_cache) > 2000:
            _cache.clear()
        _cache[key] = (now + ttl, generation, value)
    return value


def _bump(*_args, **_kwargs) -> None:
    global _generation
    _generation += 1


@sa_event.listens_for(Session, "after_flush")
def _after_flush(session, _flush_context) -> None:
    if any(isinstance(o, _WATCHED) for o in (*session.new, *session.dirty, *session.deleted)):
        _bump()


@sa_event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state) -> None:
    if state.is_update or state.is_insert or state.is_delete:
        _bump()


def cached_agency_stats(user, today: date) -> list[AgencyStats]:
    """Agency statistics come from the scope's stored snapshot (refreshed by the scheduler's sweep), so a
    page view never computes them, except the first time a scope is ever viewed."""
    scope = stats_scope(user)

    def load() -> list[AgencyStats]:
        stats, _when = snapshot_responsiveness(db.session(), scope=scope, today=today, now=utcnow())
        db.session.commit()  # keep a snapshot stored on first view
        return stats

    return _cached(("stats", *scope, today), STATS_TTL_SECONDS, load, volatile=False)
