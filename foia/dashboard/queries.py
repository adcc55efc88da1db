"""Read queries for the dashboard: overdue and upcoming deadlines, counts by status, a month of
deadlines. Every function takes the session, the user (visibility) and `today`; none reads the clock.

Built for 100k requests: the deadline lists are indexed range scans of request_clocks
(ix_request_clocks_due) joined to requests and agencies in one statement, with a LIMIT; totals and
counts are SQL aggregates; working days are counted with prefix indexes per law calendar
(deadlines.Calendar, indexed), so a row costs a dictionary lookup, never a day-by-day loop.
"""

from __future__ import annotations

import calendar as _stdcal
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, and_, column, func, or_, select, true, union_all, values
from sqlalchemy.orm import Session

from foia.core.access import visible_clause
from foia.dashboard.counts import counts_by_status, deadlines_before, deadlines_by_day
from foia.dashboard.stats import Resolver, calendars_for
from foia.deadlines import law_slugs
from foia.models import CLOSED_STATUSES, STATUSES, Agency, Communication, Request, RequestClock, User

UPCOMING_WORKING_DAYS = 10
LIST_LIMIT = 50


@dataclass(frozen=True)
class DeadlineRow:
    ref: str
    title: str
    agency_name: str
    agency_slug: str
    law: str
    kind: str
    label: str
    due: date
    working_days: int  # overdue: working days late (positive); upcoming: working days left
    tracking_number: str = ""  # the agency's own number for the request, once it gave one


@dataclass
class DeadlineList:
    rows: list[DeadlineRow]
    total: int  # counted up to COUNT_CAP

    @property
    def capped(self) -> bool:
        return self.total >= COUNT_CAP

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.rows))


COUNT_CAP = 1000  # totals are counted up to this many rows ("1,000 or more"), so a count stays cheap



def _columns():
    return (Request.ref, Request.title, Request.law, Request.agency_id, Agency.name, Agency.slug,
            RequestClock.kind, RequestClock.label, RequestClock.due, Request.tracking_number)


def _joined(session: Session, *columns):
    """request_clocks joined to requests (and agencies).

    On SQLite the join is written `requests.id = request_clocks.request_id + 0` on purpose: its planner
    (without statistics) would otherwise start from requests through the visibility OR's indexes and
    sort every visible clock. With the clock side of the join not indexable, it walks
    ix_request_clocks_due in date order, looks each request up by its primary key and stops at the LIMIT.
    PostgreSQL gets the plain join: there the `+ 0` stopped it from probing requests by primary key
    and made it hash every visible request (the month grid took 350 ms at 1M requests)."""
    rid = RequestClock.request_id + 0 if session.get_bind().dialect.name == "sqlite" else RequestClock.request_id
    stmt = select(*columns).select_from(RequestClock).join(Request, Request.id == rid)
    if any(getattr(c, "table", None) is Agency.__table__ for c in columns):
        stmt = stmt.join(Agency, Agency.id == Request.agency_id)
    return stmt


def _open(user: User, *conds):
    return (RequestClock.status == "open", Request.status.not_in(CLOSED_STATUSES), visible_clause(user), *conds)


def _base(session: Session, user: User, *conds):
    return _joined(session, *_columns()).where(*_open(user, *conds))


def _count(session: Session, user: User, *conds) -> int:
    """How many open clocks match, counted up to COUNT_CAP."""
    rows = _joined(session, RequestClock.id).where(*_open(user, *conds)).limit(COUNT_CAP).subquery()
    return int(session.scalar(select(func.count()).select_from(rows)) or 0)


def overdue(session: Session, user: User, *, today: date, limit: int = LIST_LIMIT,
            resolve: Resolver | None = None) -> DeadlineList:
    """Open clocks due before today, oldest first, with the working days overdue (counted as the
    request page counts them: the working days from the due date up to yesterday)."""
    cond = RequestClock.due < today
    stmt = _base(session, user, cond).order_by(RequestClock.due, RequestClock.request_id, RequestClock.kind).limit(limit)
    resolve = resolve or calendars_for(session)
    rows = []
    for ref, title, law, agency_id, agency_name, agency_slug, kind, label, due, tracking in session.execute(stmt):
        late = -resolve(law, agency_slug, agency_id).working_days_between(today, due)
        rows.append(DeadlineRow(ref, title, agency_name, agency_slug, law, kind, label, due, late, tracking or ""))
    # The total from the maintained deadline counts (a sum over the days before today, not a probe per
    # deadline), capped as the other counts are.
    total = len(rows) if len(rows) < limit else min(COUNT_CAP, deadlines_before(session, user, today))
    return DeadlineList(rows, total)


def _upcoming_cutoffs(resolve: Resolver, today: date, horizon: int) -> dict[str, date]:
    """Per law, the last date within `horizon` working days of today on the law's calendar."""
    return {slug: resolve(slug, "", None).last_within(today, horizon) for slug in law_slugs()}


def upcoming(session: Session, user: User, *, today: date, horizon: int = UPCOMING_WORKING_DAYS,
             limit: int = LIST_LIMIT, resolve: Resolver | None = None) -> DeadlineList:
    """Open clocks due from today through the `horizon`-th working day after today (on each request's
    law calendar), soonest first, with the working days left (0 = due today)."""
    resolve = resolve or calendars_for(session)
    cutoffs = _upcoming_cutoffs(resolve, today, horizon)
    known = list(cutoffs)
    per_law = [and_(Request.law == slug, RequestClock.due <= cut) for slug, cut in cutoffs.items()]
    latest = max(cutoffs.values())
    # Requests under a law without a data file (old data) use the widest cut-off.
    per_law.append(and_(Request.law.not_in(known), RequestClock.due <= latest))
    cond = and_(RequestClock.due >= today, RequestClock.due <= latest, or_(*per_law))
    stmt = _base(session, user, cond).order_by(RequestClock.due, RequestClock.request_id, RequestClock.kind).limit(limit)
    rows = []
    fetched = 0
    for ref, title, law, agency_id, agency_name, agency_slug, kind, label, due, tracking in session.execute(stmt):
        fetched += 1
        left = resolve(law, agency_slug, agency_id).working_days_between(today, due)
        if left <= horizon:  # agency overrides or closures can differ from the law's base calendar
            rows.append(DeadlineRow(ref, title, agency_name, agency_slug, law, kind, label, due, left, tracking or ""))
    total = len(rows) if fetched < limit else _upcoming_total(session, user, today, min(cutoffs.values()), cond)
    return DeadlineList(rows, total)


def _upcoming_total(session: Session, user: User, today: date, nearest_cut: date, cond) -> int:
    """How many deadlines `upcoming` selects, up to COUNT_CAP. Up to the nearest law's cut-off every law counts the
    day, so those days are summed from the maintained deadline counts (a few rows a day: counting the clocks
    themselves probed a request per clock, 48 ms at a million requests); only the days after it, which some laws'
    cut-offs reach and others' do not, are counted clock by clock."""
    common = sum(deadlines_by_day(session, user, today, nearest_cut).values())
    if common >= COUNT_CAP:
        return COUNT_CAP
    return min(COUNT_CAP, common + _count(session, user, RequestClock.due > nearest_cut, cond))


def status_counts(session: Session, user: User) -> list[tuple[str, str, int]]:
    """(status, label, count) for every status with at least one visible request, in workflow order.
    Read from the maintained counts (foia.dashboard.counts): a sum over a few rows, not a scan."""
    counts = counts_by_status(session, user)
    out = [(s, label, int(counts.pop(s))) for s, label in STATUSES.items() if s in counts]
    out.extend((s, s, int(n)) for s, n in sorted(counts.items()))
    return out


@dataclass(frozen=True)
class ToClassify:
    total: int                             # replies waiting, on requests the viewer can see
    rows: list[tuple[str, str, int]]       # (ref, title, replies waiting), oldest waiting first


def replies_to_classify(session: Session, user: User, *, limit: int = 10) -> ToClassify:
    """Agency replies fetched from the mailbox that nobody has classified yet, by request."""
    waiting = (select(Request.ref, Request.title, func.count(Communication.id).label("n"))
               .join(Communication, Communication.request_id == Request.id)
               .where(Communication.review_status == "to_classify", visible_clause(user))
               .group_by(Request.id, Request.ref, Request.title))
    rows = [(ref, title, int(n)) for ref, title, n in session.execute(
        waiting.order_by(func.min(Communication.id)).limit(limit))]
    total = session.scalar(select(func.count(Communication.id)).join(Request, Communication.request_id == Request.id)
                           .where(Communication.review_status == "to_classify", visible_clause(user))) or 0
    return ToClassify(int(total), rows)


# ---------------------------------------------------------------------------------- month calendar

@dataclass(frozen=True)
class CalendarItem:
    ref: str
    title: str
    label: str
    agency_name: str


@dataclass
class DayCell:
    day: date | None
    items: list[CalendarItem] = field(default_factory=list)
    total: int = 0
    is_today: bool = False
    working: bool = True

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.items))


@dataclass
class MonthView:
    first: date
    weeks: list[list[DayCell]]
    total: int

    @property
    def title(self) -> str:
        return self.first.strftime("%B %Y")

    @property
    def prev_month(self) -> date:
        return (self.first - timedelta(days=1)).replace(day=1)

    @property
    def next_month(self) -> date:
        return (self.first + timedelta(days=32)).replace(day=1)


WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def parse_month(raw: str | None, today: date) -> date:
    """First day of the month given as YYYY-MM; the current month when missing or malformed."""
    raw = (raw or "").strip()
    if len(raw) == 7 and raw[4] == "-" and raw[:4].isdigit() and raw[5:].isdigit():
        year, month = int(raw[:4]), int(raw[5:])
        if 1900 <= year <= 2999 and 1 <= month <= 12:
            return date(year, month, 1)
    return today.replace(day=1)


def month_calendar(session: Session, user: User, *, month: date, today: date, per_day: int = 4) -> MonthView:
    """Open deadlines in `month`, at most `per_day` listed per day (with the day's total).
    Holidays differ by law, so only weekends are marked as such."""
    first = month.replace(day=1)
    last = first.replace(day=_stdcal.monthrange(first.year, first.month)[1])
    # Each day's total from the maintained deadline counts (a few rows per day). The items: on PostgreSQL
    # one LATERAL query per day with deadlines, in one statement: the day's clocks in index order
    # (ix_request_clocks_due: due, request_id), each request probed by primary key, stopping at per_day.
    # SQLite has no LATERAL: the same per-day query for each day with deadlines, as the members of one UNION ALL
    # (a window over every open clock of the month numbered them all: 36 ms of a 100 ms dashboard at 100k).
    totals = deadlines_by_day(session, user, first, last)
    by_day: dict[date, DayCell] = {d: DayCell(d, total=n) for d, n in totals.items()}
    cols = (RequestClock.request_id, RequestClock.kind, Request.ref, Request.title, RequestClock.label, Agency.name)
    stmt: Any
    if not totals:
        stmt = None
    elif session.get_bind().dialect.name == "postgresql":
        days = values(column("due", Date), name="days").data([(d,) for d in sorted(totals)])
        per = (_joined(session, *cols).where(*_open(user, RequestClock.due == days.c.due))
               .order_by(RequestClock.request_id, RequestClock.kind).limit(per_day).lateral("per_day"))
        stmt = select(days.c.due, *per.c).select_from(days).join(per, true())
    else:
        days_q = [_joined(session, RequestClock.due, *cols).where(*_open(user, RequestClock.due == d))
                  .order_by(RequestClock.request_id, RequestClock.kind).limit(per_day).subquery()
                  for d in sorted(totals)]
        stmt = union_all(*[select(*q.c) for q in days_q])
    if stmt is not None:
        for due, _rid, _kind, ref, title, label, agency in sorted(session.execute(stmt), key=lambda r: r[:3]):
            cell = by_day.get(due)
            if cell is not None:
                cell.items.append(CalendarItem(ref, title, label, agency))
    total = sum(totals.values())
    weeks: list[list[DayCell]] = []
    for week in _stdcal.Calendar(firstweekday=6).monthdatescalendar(first.year, first.month):
        row = []
        for d in week:
            if d.month != first.month:
                row.append(DayCell(None))
                continue
            cell = by_day.get(d) or DayCell(d)
            cell.is_today = d == today
            cell.working = d.weekday() < 5
            row.append(cell)
        weeks.append(row)
    return MonthView(first, weeks, total)


__all__ = [
    "WEEKDAYS",
    "DeadlineList",
    "DeadlineRow",
    "MonthView",
    "month_calendar",
    "overdue",
    "parse_month",
    "status_counts",
    "upcoming",
]
