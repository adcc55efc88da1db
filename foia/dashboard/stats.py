"""Working-day arithmetic for read pages, and how quickly agencies respond.

Pure of Flask and of the clock: every function takes `today` (and the session) as arguments.

Working days
    The one working-day calendar, `foia.deadlines.Calendar`, answers "how many working days lie
    between two dates" from its own index (built once per calendar and set of closures, extended on
    demand), so the dashboard, the request page, reminders and letters count alike.
    `calendars_for(session)` returns a resolver (law slug, agency slug, agency id) -> Calendar that
    applies the law's agency overrides and the stored closures, cached per call.

Agency responsiveness (`agency_responsiveness`)
    For every request with a receipt in its ledger:

    - receipt: the first "received" event; if none was logged, the first "sent" event (the same
      rule the deadline engine uses, foia.clocks.service.ledger_for);
    - first response: the first "acknowledged", "determination", "release" or "closed" event;
    - working days to first response: working days after the receipt day up to and including the
      response day, on the request's law calendar, minus the working days the requester paused the
      clock (for each toll_start→toll_end span: the days after the agency's question through the day
      the requester answered, as the engine counts tolling; an unanswered toll pauses through the
      response day);
    - on time: the first substantive response ("determination", "release" or "closed") came on or
      before the response clock's due date (requests.response_due, the cached "response" clock).
      A request with no substantive response whose due date is before `today` counts as late;
      requests still inside their period, or without a response due date, are not counted.

    Per agency: the median of the working days to first response (agencies with at least one
    response are listed) and the on-time rate. The query is two aggregate statements over the
    events table (no row per event reaches Python); the results are stored per scope and refreshed
    incrementally by the scheduler (`refresh_stats`), so a page view reads one row.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, delete, func, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from foia.core.access import scope_clause
from foia.deadlines import Calendar, Closure, calendar_for, load_law
from foia.models import (
    Agency,
    AgencyStatsChange,
    CalendarClosure,
    Delivery,
    Event,
    Organization,
    Request,
    StatsSnapshot,
)

RESPONSE_KINDS = ("acknowledged", "determination", "release", "closed")
SUBSTANTIVE_KINDS = ("determination", "release", "closed")

DEFINITION = (
    "Working days to first response: from the day the agency received the request (the day it was "
    "sent, when no separate receipt was logged) to the agency's first response (an acknowledgment, a "
    "determination, a release of records or a closure), counting working days on the law's holiday "
    "calendar and leaving out the days the clock was paused while the agency waited for the "
    "requester's answer. The figure shown is the median over the agency's requests. "
    "On time: the share of requests whose first substantive response (a determination, a release "
    "or a closure) came on or before the response deadline; a request past its deadline with no "
    "such response counts as late, and requests still within their period are not counted."
)


# ---------------------------------------------------------------------------------- working days

Resolver = Callable[[str, str, int | None], Calendar]


def calendars_for(session: Session) -> Resolver:
    """A function (law slug, agency slug, agency id) -> Calendar with the law's agency overrides
    and the stored closures (calendar-wide and the agency's own) applied. Reads closures once."""
    by_calendar: dict[str, list[Closure]] = defaultdict(list)
    by_agency: dict[int, list[Closure]] = defaultdict(list)
    for cal_id, agency_id, closed_on, name in session.execute(
            select(CalendarClosure.calendar_id, CalendarClosure.agency_id, CalendarClosure.closed_on,
                   CalendarClosure.name)):
        if agency_id is not None:
            by_agency[agency_id].append(Closure(closed_on, name))
        elif cal_id:
            by_calendar[cal_id].append(Closure(closed_on, name))
    memo: dict[tuple[str, str, int | None], Calendar] = {}

    def resolve(law_slug: str, agency_slug: str, agency_id: int | None = None) -> Calendar:
        key = (law_slug, agency_slug, agency_id)
        idx = memo.get(key)
        if idx is None:
            try:
                cal_id = load_law(law_slug).for_agency(agency_slug).calendar
            except (KeyError, ValueError):
                cal_id = "us-federal"  # unknown law slug in old data: count Monday-Friday federal days
            closures = by_calendar.get(cal_id, []) + (by_agency.get(agency_id, []) if agency_id is not None else [])
            idx = memo[key] = calendar_for(cal_id, closures)
        return idx

    return resolve


# ---------------------------------------------------------------------------------- responsiveness

@dataclass(frozen=True)
class AgencyStats:
    agency_id: int
    slug: str
    name: str
    responses: int                 # requests with a measured first response
    median_days: float | None      # median working days to first response
    on_time: int                   # substantive response on or before the due date
    judged: int                    # requests counted for the on-time rate
    min_days: int | None = None
    max_days: int | None = None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.judged if self.judged else None


def _toll_spans(session: Session, request_ids: list[int]) -> dict[int, list[tuple[date, date | None]]]:
    """Toll spans as (start, end or None) for requests with more than one toll (rare)."""
    spans: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    conn = session.connection()
    for k in range(0, len(request_ids), 1000):
        rows = conn.execute(
            select(Event.request_id, Event.kind, Event.occurred_on)
            .where(Event.request_id.in_(request_ids[k:k + 1000]), Event.kind.in_(("toll_start", "toll_end")),
                   Event.voided_at.is_(None))
            .order_by(Event.request_id, Event.occurred_on, Event.id))
        open_start: dict[int, date] = {}
        for rid, kind, on in rows:
            if kind == "toll_start":
                open_start.setdefault(rid, on)
            elif rid in open_start:
                spans[rid].append((open_start.pop(rid), on))
        for rid, start in open_start.items():
            spans[rid].append((start, None))
    return spans


def paused_working_days(idx: Calendar, receipt: date, response: date,
                        spans: list[tuple[date, date | None]]) -> int:
    """Working days within (receipt, response] that fall inside the spans' (start, end]."""
    total = 0
    for start, end in spans:
        a = max(start, receipt)
        b = min(end or response, response)
        if b > a:
            total += idx.count_working_days(a, b)
    return total


# Per (agency, organization, visibility): the working days to first response of each request, how many
# were judged for the on-time rate and how many of those were on time. Every scope is a union of groups.
Group = tuple[int, int, str]


@dataclass
class Measured:
    days: dict[Group, list[int]]
    on_time: dict[Group, int]
    judged: dict[Group, int]
    agencies: dict[int, tuple[str, str]]


def measure_requests(session: Session, *, where: Any, today: date) -> Measured:
    """One pass over the events of the requests matching `where`: each request's working days to first
    response and on-time judgement, grouped by (agency, organization, visibility)."""
    on = Event.occurred_on
    kinds = ("sent", "received", "toll_start", "toll_end") + RESPONSE_KINDS
    _bounced_sent = select(Delivery.event_id).where(Delivery.status == "bounced", Delivery.event_id.is_not(None))
    # One pass over the events: per request its receipt, first response, first substantive response and,
    # for the usual single clarification, its toll span (requests with several are read separately).
    per_request = (
        select(
            Request.id, Request.agency_id, Request.organization_id, Request.visibility, Request.law,
            Request.response_due,
            func.min(case((Event.kind == "received", on))).label("received"),
            # A letter that bounced was not received: its "sent" event does not count (as in clocks.ledger_for).
            func.min(case((and_(Event.kind == "sent", Event.id.not_in(_bounced_sent)), on))).label("sent"),
            func.min(case((Event.kind.in_(RESPONSE_KINDS), on))).label("first_response"),
            func.min(case((Event.kind.in_(SUBSTANTIVE_KINDS), on))).label("first_substantive"),
            func.min(case((Event.kind == "toll_start", on))).label("toll_start"),
            func.min(case((Event.kind == "toll_end", on))).label("toll_end"),
            func.count(case((Event.kind == "toll_start", 1))).label("tolls"),
            func.count(case((Event.kind == "toll_end", 1))).label("toll_ends"),
        )
        .select_from(Event)
        .join(Request, Request.id == Event.request_id)
        .where(Event.kind.in_(kinds), Event.voided_at.is_(None), where)
        .group_by(Request.id, Request.agency_id, Request.organization_id, Request.visibility, Request.law,
                  Request.response_due)
    )
    agencies = {a_id: (slug, name) for a_id, slug, name in session.execute(select(Agency.id, Agency.slug, Agency.name))}
    resolve = calendars_for(session)
    days: dict[Group, list[int]] = defaultdict(list)
    on_time: dict[Group, int] = defaultdict(int)
    judged: dict[Group, int] = defaultdict(int)
    several: list[tuple[int, Group, int, str, date, date]] = []  # requests with several tolls: measured afterwards
    rows = session.connection().execute(per_request)  # Core rows: no ORM overhead for 100k requests
    for (rid, agency_id, org_id, visibility, law, due, received, sent, first_response, first_substantive,
         toll_start, toll_end, tolls, toll_ends) in rows:
        receipt = received or sent
        if receipt is None:
            continue
        group = (agency_id, org_id, visibility)
        if first_response is not None:
            idx = resolve(law, agencies.get(agency_id, ("", ""))[0], agency_id)
            response = max(first_response, receipt)
            if tolls > 1 or toll_ends > 1:
                several.append((rid, group, agency_id, law, receipt, response))
            else:
                n = idx.count_working_days(receipt, response)
                if tolls:
                    end = toll_end if toll_end is not None and toll_end >= toll_start else None
                    n -= paused_working_days(idx, receipt, response, [(toll_start, end)])
                days[group].append(max(n, 0))
        if due is not None:
            if first_substantive is not None:
                judged[group] += 1
                if first_substantive <= due:
                    on_time[group] += 1
            elif due < today:
                judged[group] += 1
    if several:
        spans = _toll_spans(session, [r[0] for r in several])
        for rid, group, agency_id, law, receipt, response in several:
            idx = resolve(law, agencies.get(agency_id, ("", ""))[0], agency_id)
            n = idx.count_working_days(receipt, response) - paused_working_days(idx, receipt, response, spans.get(rid, []))
            days[group].append(max(n, 0))
    return Measured(days, on_time, judged, agencies)


def in_scope(scope: tuple[Any, ...], organization_id: int, visibility: str) -> bool:
    """`foia.core.access.scope_clause` for one group of requests (kept its mirror image)."""
    kind = scope[0]
    if kind == "all" or visibility == "public":
        return True
    if kind == "staff":
        return organization_id == scope[1]
    return organization_id == scope[1] and visibility == "organization"


def aggregate(measured: Measured, scope: tuple[Any, ...]) -> list[AgencyStats]:
    """Per agency with at least one response in `scope`: median working days and on-time rate."""
    days: dict[int, list[int]] = defaultdict(list)
    on_time: dict[int, int] = defaultdict(int)
    judged: dict[int, int] = defaultdict(int)
    for (agency_id, org_id, visibility), values in measured.days.items():
        if in_scope(scope, org_id, visibility):
            days[agency_id].extend(values)
    for (agency_id, org_id, visibility), n in measured.judged.items():
        if in_scope(scope, org_id, visibility):
            judged[agency_id] += n
            on_time[agency_id] += measured.on_time.get((agency_id, org_id, visibility), 0)
    out = []
    for agency_id, values in days.items():
        if not values:
            continue
        slug, name = measured.agencies.get(agency_id, ("", f"Agency {agency_id}"))
        out.append(AgencyStats(agency_id=agency_id, slug=slug, name=name, responses=len(values),
                               median_days=float(statistics.median(values)), on_time=on_time[agency_id],
                               judged=judged[agency_id], min_days=min(values), max_days=max(values)))
    out.sort(key=lambda s: (s.name.lower(), s.slug))
    return out


def _agency_filter(agency_ids: Collection[int] | None) -> Any:
    return true() if agency_ids is None else Request.agency_id.in_(sorted(agency_ids))


def agency_responsiveness(session: Session, *, scope: tuple[Any, ...], today: date,
                          agency_ids: Collection[int] | None = None) -> list[AgencyStats]:
    """Per agency with at least one response: median working days from receipt to first response
    (excluding tolled days) and on-time rate, over the requests in `scope` (see `stats_scope`), for
    every agency or only `agency_ids`."""
    where = and_(scope_clause(scope), _agency_filter(agency_ids))
    return aggregate(measure_requests(session, where=where, today=today), scope)


# ---------------------------------------------------------------------------------- stored figures
#
# Each scope's figures are stored in stats_snapshots (shared by every web worker and the scheduler). The
# scheduler's refresh (`refresh_stats`) recomputes only the agencies named by agency_stats_changes rows,
# which database triggers write whenever an event, a request, a delivery, a closure or an agency changes
# (migration 0022_maintained_counts), and every agency once a day (deadlines pass: a request can turn
# late without any change). A page view only reads the stored row.


def scope_key(scope: tuple[Any, ...]) -> str:
    return ":".join(str(part) for part in scope)


def _parse_scope(key: str) -> tuple[Any, ...]:
    kind, *rest = key.split(":")
    return (kind, *(int(part) for part in rest))


def all_scopes(session: Session) -> list[tuple[Any, ...]]:
    """Every scope a viewer can have: all requests (admins), and per organization its staff's and its
    reporters' (foia.core.access.stats_scope)."""
    scopes: list[tuple[Any, ...]] = [("all",)]
    for (org_id,) in session.execute(select(Organization.id).order_by(Organization.id)):
        scopes += [("staff", org_id), ("shared", org_id)]
    return scopes


def stored_responsiveness(session: Session, scope: tuple[Any, ...]) -> tuple[list[AgencyStats], datetime] | None:
    """The stored figures of this scope and when they were computed; None until the scheduler (or
    `flask foia stats refresh`) first computed them (a new organization, for up to a minute)."""
    row = session.get(StatsSnapshot, scope_key(scope))
    if row is None:
        return None
    return [AgencyStats(**d) for d in row.data], row.computed_at


@dataclass(frozen=True)
class RefreshResult:
    scopes: int          # scopes whose stored figures changed
    full: int            # of which recomputed for every agency
    agencies: int        # agencies recomputed in the others (incremental)
    skipped: bool = False  # another process was refreshing (PostgreSQL advisory lock)


REFRESH_LOCK = 0x464F4941  # "FOIA": pg_try_advisory_xact_lock key of the statistics refresh


def _take_changes(session: Session) -> tuple[set[int], bool]:
    """Delete the pending change rows and return the agencies they name (and whether one named every
    agency). Deleted inside the caller's transaction: if the refresh fails they come back with the
    rollback; a change committed meanwhile is a new row, left for the next refresh."""
    ids = [a for (a,) in session.execute(delete(AgencyStatsChange).returning(AgencyStatsChange.agency_id))]
    return {a for a in ids if a is not None}, any(a is None for a in ids)


def refresh_stats(session: Session, *, today: date, now: datetime, full: bool = False) -> RefreshResult:
    """Bring every scope's stored figures up to date: in full for a scope never computed, computed for
    another day, or when `full` (or a closure changed); otherwise only the agencies that changed since
    the last refresh. The caller commits (the change rows are deleted in the same transaction)."""
    if session.get_bind().dialect.name == "postgresql" and not session.scalar(
            select(func.pg_try_advisory_xact_lock(REFRESH_LOCK))):
        return RefreshResult(0, 0, 0, skipped=True)
    dirty, everything = _take_changes(session)
    full = full or everything
    rows = {scope_key(scope): (scope, session.get(StatsSnapshot, scope_key(scope))) for scope in all_scopes(session)}
    whole = [key for key, (_scope, row) in rows.items() if row is None or full or row.computed_on != today]
    partial = [key for key in rows if key not in whole] if dirty else []
    # One pass over the events serves every scope: each scope is a union of (agency, organization,
    # visibility) groups, so the per-request work is done once, not once per scope.
    if whole:
        measured = measure_requests(session, where=true(), today=today)
        for key in whole:
            _store_snapshot(session, key, aggregate(measured, rows[key][0]), now, today)
    if partial:
        measured = measure_requests(session, where=_agency_filter(dirty), today=today)
        for key in partial:
            scope, row = rows[key]
            assert row is not None
            kept = [AgencyStats(**d) for d in row.data if d["agency_id"] not in dirty]
            stats = sorted(kept + aggregate(measured, scope), key=lambda s: (s.name.lower(), s.slug))
            _store_snapshot(session, key, stats, now, today)
    return RefreshResult(len(whole) + len(partial), len(whole), len(dirty) if partial else 0)


def _store_snapshot(session: Session, key: str, stats: list[AgencyStats], now: datetime, today: date) -> None:
    data = [asdict(s) for s in stats]
    row = session.get(StatsSnapshot, key)
    if row is not None:
        row.data, row.computed_at, row.computed_on = data, now, today
        return
    try:
        with session.begin_nested():
            session.add(StatsSnapshot(scope_key=key, computed_at=now, computed_on=today, data=data))
    except IntegrityError:  # another process stored it first: theirs is as good
        pass
