"""The bridge between the database and the pure deadline engine (foia/deadlines).

- `ledger_for(events)` turns a request's event rows into engine ledger events.
- `compute_for(...)` runs the engine for one request (used live by the request page and CLI,
  so explanations always reflect the ledger).
- `refresh(...)` stores the result in the `request_clocks` cache and on the request
  (`response_due`, `next_due`), which lists, dashboards and reminders query.
- `recompute_open(...)` re-runs every open request that a calendar change can affect, in bulk,
  and writes an audit row for each request whose dates moved.
- `add_closure` / `remove_closure` change a calendar and trigger that recompute.
- `follow_tasks(...)`: tasks whose internal date is set relative to a clock follow that clock's stored date.
- `lock_clocks(...)` / `lock_requests(...)`: what keeps a recompute and a clock computation on the
  same request from overwriting each other (issue 17, F4/F5; see `lock_clocks`).
"""

from __future__ import annotations

import gc
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    Integer,
    String,
    any_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    text,
    tuple_,
    type_coerce,
    union,
    update,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.types import NullType

from foia.core.clock import default_timezone
from foia.deadlines import (
    ENGINE_EVENT_KINDS,
    AgencyRules,
    Calendar,
    Clock,
    Closure,
    LedgerEvent,
    calendar_for,
    compute_clocks,
    load_law,
)
from foia.deadlines.laws import closures_count_on, laws_on_calendar
from foia.deadlines.ledger import FEE_EVENT_KINDS
from foia.deadlines.relative import relative_date
from foia.models import (
    CLOSED_STATUSES,
    Agency,
    AuditLog,
    CalendarClosure,
    Event,
    Request,
    RequestClock,
    Task,
    User,
)

# Event kinds whose structured data the engine reads (extension days, agreed/estimated dates).
_DATA_KINDS = ("extension", "agreed_date", "estimated_completion", "delivery_failed", *sorted(FEE_EVENT_KINDS))


# Ledger kinds the engine may read (plus "sent", which stands in for receipt when none is logged, and
# "delivery_failed", which takes a bounced "sent" back).
LEDGER_KINDS = (*sorted(ENGINE_EVENT_KINDS), "sent", "delivery_failed")


def ledger_for(events: Sequence[Any], *, live: bool = False) -> list[LedgerEvent]:
    """Engine events from ledger rows. A request counts as received when the agency received it;
    if nobody logged a separate receipt, the day it was sent is taken as the day of receipt
    (right for email and portals; for postal mail, log the receipt).

    A "sent" event named by a "delivery_failed" event (the email bounced) is ignored: the request was
    never received that way, so the clocks are computed as if it had not been sent; a later successful
    resend is a new "sent" event and starts them then. Voided events (corrections) are skipped; `live=True` says the
    caller's query already left them out (the bulk recompute's rows have no voided_at column to ask)."""
    if not live:  # a voided fact counts for nothing (`live`: the rows were selected without voided ones)
        events = [e for e in events if getattr(e, "voided_at", None) is None]
    has_received = any(e.kind == "received" for e in events)
    bounced = {e.data.get("event_id") for e in events if e.kind == "delivery_failed" and e.data}
    out: list[LedgerEvent] = []
    for e in events:
        kind = e.kind if e.kind in ENGINE_EVENT_KINDS else None  # ledger kinds are named as the engine's
        if kind is None and e.kind == "sent" and not has_received and getattr(e, "id", None) not in bounced:
            kind = "received"
        if kind is None:
            continue
        out.append(LedgerEvent(kind, e.occurred_at or e.occurred_on, dict(e.data) if e.data else _NO_DATA))
    return out


_NO_DATA: dict[str, Any] = {}


def _closures_for(session: Session, calendar_id: str, agency_id: int | None) -> list[Closure]:
    cond = CalendarClosure.calendar_id == calendar_id
    if agency_id is not None:
        cond = or_(cond, CalendarClosure.agency_id == agency_id)
    rows = session.execute(select(CalendarClosure.closed_on, CalendarClosure.name).where(cond)).all()
    return [Closure(d, name) for d, name in rows]


def agency_calendar(session: Session, calendar_id: str, agency_id: int | None) -> Calendar:
    """The calendar deadlines at an agency count on: the jurisdiction's holidays plus the closures an
    admin added for that calendar or that agency, where the law counting on that calendar says closures
    extend its clocks (not federal clocks: 5 U.S.C. § 552(a)(6)(A)). Every "working days" figure shown
    anywhere uses this."""
    if not closures_count_on(calendar_id):
        return calendar_for(calendar_id)
    return calendar_for(calendar_id, _closures_for(session, calendar_id, agency_id))


def request_options(fee_category: str | None) -> tuple[str, ...]:
    """The law options (``[options.<name>]`` in a law file) a request's own data selects: its fee
    category, e.g. "commercial" (New Jersey's 14-business-day clock, N.J.S.A. 47:1A-5(i)).
    A law without an option of that name ignores it."""
    return (fee_category,) if fee_category else ()


def request_calendar(session: Session, req: Request) -> Calendar:
    return agency_calendar(session, load_law(req.law).for_agency(req.agency.slug).calendar, req.agency_id)


def agency_rules(agency: Agency) -> AgencyRules:
    return AgencyRules(slug=agency.slug, timezone=agency.timezone or default_timezone())


def compute_for(session: Session, req: Request, events: Sequence[Event] | None = None) -> list[Clock]:
    if events is None:
        events = list(session.scalars(select(Event).where(Event.request_id == req.id, Event.voided_at.is_(None))
                                      .order_by(Event.occurred_on, Event.id)))
    law = load_law(req.law)
    closures = _closures_for(session, law.for_agency(req.agency.slug).calendar, req.agency_id)
    return compute_clocks(law, ledger_for(events), agency=agency_rules(req.agency), closures=closures,
                          expedited=req.expedited, options=request_options(req.fee_category))


#: The PostgreSQL advisory lock that orders clock computations against calendar recomputes (`lock_clocks`):
#: "FOIA_CLK" as a 64-bit number. Transaction-scoped: released at commit or rollback.
CLOCKS_LOCK_KEY = 0x464F49415F434C4B


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def lock_clocks(session: Session, *, exclusive: bool = False) -> None:
    """Order this transaction's clock work against every other's, until it commits or rolls back.

    A recompute after a calendar change (`recompute_open`, exclusive) and the clock computation after a ledger
    change (`refresh`, shared) must each see what the other committed: otherwise a closure's recompute, working
    from a ledger read before an extension committed, writes its older result over the extension's clock (review
    F5: the cached deadline lost the extension and every reminder for the true date was skipped). Row locks on
    the requests a recompute selects are not enough: a request can become affected by the closure only through
    the concurrent write (an extension that pushes its deadline past the closed day), so the recompute never
    selects it, while the writer cannot see the closure until it commits. Hence one lock for "clocks":

    - PostgreSQL: an advisory transaction lock, shared for a ledger writer (writers on different requests
      never wait for one another), exclusive for a recompute. Take it before any row lock (`lock_request` does)
      so the order is always advisory lock, then rows: no deadlock between the two.
    - SQLite: the database's write lock (a no-op UPDATE takes it, waiting up to busy_timeout), so everything read
      afterwards in this transaction is the latest committed state and nothing else commits until we do.
      Writes on SQLite are serialised anyway; this makes the reads that precede them part of the same
      serialised transaction, whether pysqlite or an explicit BEGIN (IMMEDIATE) opened it."""
    if _dialect(session) == "postgresql":
        fn = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
        session.execute(select(fn(CLOCKS_LOCK_KEY)))
    elif _dialect(session) == "sqlite":
        session.execute(update(Request).where(false()).values(updated_at=Request.updated_at)
                        .execution_options(synchronize_session=False))


def lock_requests(session: Session, ids: Sequence[int]) -> None:
    """Row-lock these requests until the transaction ends: SELECT ... FOR NO KEY UPDATE (what an UPDATE of
    non-key columns takes: it waits for other writers of the rows but not for inserts that merely reference
    them, such as a new event), in id order so two lockers never deadlock. On SQLite the write lock
    (`lock_clocks`) already excludes every other writer."""
    if ids and _dialect(session) == "postgresql":
        session.execute(select(Request.id).where(Request.id.in_(sorted(ids))).order_by(Request.id)
                        .with_for_update(of=Request, key_share=True))


def _summary(clocks: Iterable[Clock]) -> tuple[date | None, date | None]:
    response_due = next((c.due for c in clocks if c.kind == "response"), None)
    open_dates = [c.due for c in clocks if c.status == "open" and c.due is not None]
    return response_due, (min(open_dates) if open_dates else None)


def _store(session: Session, req: Request, clocks: Sequence[Clock], now: datetime,
           existing: dict[str, RequestClock] | None = None) -> None:
    if existing is None:  # as committed now (another transaction may have changed them since we loaded them)
        existing = {c.kind: c for c in session.scalars(select(RequestClock).where(RequestClock.request_id == req.id)
                                                       .execution_options(populate_existing=True))}
    seen = set()
    for clock in clocks:
        seen.add(clock.kind)
        row = existing.get(clock.kind)
        if row is None:
            session.add(RequestClock(request_id=req.id, kind=clock.kind, label=clock.label, due=clock.due,
                                     status=clock.status, computed_at=now))
        elif (row.due, row.status, row.label) != (clock.due, clock.status, clock.label):
            row.due, row.status, row.label, row.computed_at = clock.due, clock.status, clock.label, now
    for kind, row in existing.items():
        if kind not in seen:
            session.delete(row)
    req.response_due, req.next_due = _summary(clocks)
    if req.is_closed:
        req.next_due = None
    follow_tasks(session, {req.id: {c.kind: c.due for c in clocks}}, lambda _rid: request_calendar(session, req))


#: Requests per statement when tasks follow a bulk recompute.
TASK_CHUNK = 500


def follow_tasks(session: Session, dues: Mapping[int, Mapping[str, date | None]],
                 calendar_of: Callable[[int], Calendar]) -> int:
    """Move the open tasks whose internal date is relative to a clock ("5 working days before the response is
    due") to follow that clock's new date. `dues`: per request id, each clock kind's date as just computed;
    `calendar_of(request_id)`: the request's working-day calendar (`request_calendar`), so a task counts the same
    working days as its clock. A task whose clock has no date now (paused, gone) keeps its last date; the request
    page says so. Done tasks keep the date they had. Returns how many tasks moved."""
    moved = 0
    ids = sorted(dues)
    for start in range(0, len(ids), TASK_CHUNK):
        chunk = ids[start:start + TASK_CHUNK]
        tasks = session.scalars(select(Task).where(Task.request_id.in_(chunk), Task.relative_clock.is_not(None),
                                                   Task.done_at.is_(None)))
        for task in tasks:
            base = dues[task.request_id].get(task.relative_clock or "")
            if base is None:
                continue
            due = relative_date(calendar_of(task.request_id), base, task.relative_days or 0,
                                task.relative_unit or "working", task.relative_direction or "before")
            if due != task.due:
                task.due = due
                moved += 1
    if moved:
        session.flush()  # before a bulk recompute expires the session
    return moved


def refresh(session: Session, req: Request, *, now: datetime) -> list[Clock]:
    """Recompute one request's clocks from its ledger and update the cache.

    Reminders are not planned here: the caller that changed the ledger passes the returned clocks
    to `reminders.plan` (as `requests.log_event` does), so clocks never depend on reminders.

    Under the shared clocks lock (`lock_clocks`): a calendar recompute either finished before (and this sees its
    closures) or waits until this commits (and sees this ledger)."""
    session.flush()
    lock_clocks(session)
    clocks = compute_for(session, req)
    _store(session, req, clocks, now)
    return clocks  # the caller re-plans reminders from these (reminders.plan)


#: Requests per recompute chunk; and how sparse a chunk's id range may be: it spans at most CHUNK_SPREAD ids per
#: request in it, plus CHUNK_SLACK (the reads filter the range down to the chosen requests in SQL; this bounds the
#: range each statement scans when the few requests a past closure affects are spread over a million).
CHUNK_ROWS = 2000
CHUNK_SPREAD = 64
CHUNK_SLACK = 65536


def id_chunks(ids: Sequence[int], *, rows: int = CHUNK_ROWS, spread: int = CHUNK_SPREAD,
              slack: int = CHUNK_SLACK) -> list[tuple[int, int, int, int]]:
    """Cut ascending ids into chunks read by id range: (lo, hi, start, stop), where ids[start:stop] are the chunk's
    ids, lo = ids[start] and hi = ids[stop - 1]. A chunk holds at most `rows` ids and spans fewer than
    spread * len(chunk) + slack ids (hi - lo); every id is in exactly one chunk, and the ranges do not overlap."""
    out: list[tuple[int, int, int, int]] = []
    start = 0
    n = len(ids)
    while start < n:
        lo = ids[start]
        stop = start + 1
        while stop < n and stop - start < rows and ids[stop] - lo < spread * (stop - start + 1) + slack:
            stop += 1
        out.append((lo, ids[stop - 1], start, stop))
        start = stop
    return out


@dataclass
class Moved:
    ref: str
    kind: str
    before: date | None
    after: date | None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk pass (re-enabled after, if it was on).

    A recompute of 100k requests allocates millions of short-lived tuples; each few thousand allocations start a
    collection, and every so often a full one that walks every object of the process: 20-25% of the recompute's
    time at 70k open requests. The pass makes no reference cycles that need collecting (rows, tuples, dates), so
    nothing is lost by collecting once afterwards instead. Reference counting frees memory as usual meanwhile."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def recompute_open(session: Session, *, now: datetime, actor: User | None, reason: str,
                   calendar_id: str | None = None, agency_id: int | None = None,
                   affected_from: date | None = None) -> list[Moved]:
    """Recompute every open request (optionally only those on one calendar or at one agency);
    closed requests are left as they were. Returns every clock date that moved, and writes one
    audit row per request whose dates moved, naming them.

    Built for 100k open requests: plain rows in, bulk UPDATE/INSERT out, nothing per request
    goes to the database unless one of its dates actually moved.

    `affected_from`: the earliest day the change touches (a closure's date). A request can only
    be affected if some clock's counting reaches that day, i.e. one of its cached clock dates or one
    of its events is on or after it (the engine looks at no day after a due date, nor before the
    event that starts a clock), or it has no cached clock yet; other requests are skipped.

    Concurrency (review F5): the exclusive clocks lock (`lock_clocks`) is taken before the requests are chosen,
    so no ledger write is half-way through its clock computation while this reads, and none starts one until
    this commits; each chunk's open request rows are then locked in id order (as `lock_requests`) before its
    ledger is read. The collector is paused meanwhile (`gc_paused`)."""
    with gc_paused():
        return _recompute_open(session, now=now, actor=actor, reason=reason, calendar_id=calendar_id,
                               agency_id=agency_id, affected_from=affected_from)


def _recompute_open(session: Session, *, now: datetime, actor: User | None, reason: str, calendar_id: str | None,
                    agency_id: int | None, affected_from: date | None) -> list[Moved]:
    session.flush()
    lock_clocks(session, exclusive=True)
    if _dialect(session) == "postgresql":
        # The selection below is estimated costly enough for PostgreSQL's JIT, whose compilation (~0.2 s) is
        # most of a small recompute's time and saves nothing on these index-driven reads. Until commit only.
        session.execute(text("SET LOCAL jit = off"))
        # The default random_page_cost (4, for spinning disks) priced a chunk's 2,000 index probes of the ledger above
        # a parallel seq scan of every event: 53 ms against 5 ms by ix_events_request_on at 100k requests. The
        # ledger and the clock cache are read by id, mostly from cache; price random reads as such. Until commit.
        session.execute(text("SET LOCAL random_page_cost = 1.1"))
    # Every column the chunks read comes as the driver returns it (`_driver`) and is converted by `_Rows`: SQLAlchemy's
    # result processing (dates parsed from SQLite's text, UTCDateTime, JSON) was about half of the reads' time.
    row_cols = tuple(_driver(c) for c in (Request.id, Request.ref, Request.law, Request.expedited, Request.agency_id,
                                          Request.response_due, Request.next_due, Agency.slug, Agency.timezone,
                                          Request.fee_category))
    convert = _Rows(_dialect(session))
    chosen: list[ColumnElement[bool]] = [Request.status.not_in(CLOSED_STATUSES)]
    if agency_id is not None:
        chosen.append(Request.agency_id == agency_id)
    if calendar_id is not None:  # only the laws that may count on it (each request's is checked below)
        chosen.append(Request.law.in_(laws_on_calendar(calendar_id)))
    if affected_from is not None:
        # The requests a change from `affected_from` on can affect, found through indexes and never by testing every
        # open request: a cached clock date on or after it (ix_request_clocks_due), a live event on or after it
        # (ix_events_live_on), or no cached clock at all. A request without clock rows has neither next_due nor
        # response_due (both are only ever set from its clocks), so those are looked for among the undated open
        # requests (the partial index ix_requests_undated). Each is a hashed set the open requests of the calendar's
        # laws are tested against as ix_requests_law_status lists them (one index-only pass; a UNION of the sets
        # joined to the requests read every such request row: 1.4 s at a million requests).
        # SQLite instead takes the three sets as one UNION and looks each member up by rowid: with three IN lists
        # under an OR it looked up every member of each list (duplicates included), 24 ms against 13 ms for a
        # closure at 100k requests.
        undated = aliased(Request)
        has_clock = select(RequestClock.id).where(RequestClock.request_id == undated.id)
        affected = (select(RequestClock.request_id).where(RequestClock.due >= affected_from),
                    select(Event.request_id).where(Event.occurred_on >= affected_from, Event.voided_at.is_(None)),
                    select(undated.id).where(
                        undated.next_due.is_(None), undated.response_due.is_(None),
                        undated.status.not_in(CLOSED_STATUSES),
                        *([undated.law.in_(laws_on_calendar(calendar_id))] if calendar_id is not None else []),
                        ~has_clock.exists()))
        if _dialect(session) == "sqlite":
            chosen.append(Request.id.in_(union(*affected)))
        else:
            chosen.append(or_(*(Request.id.in_(q) for q in affected)))
    conn = session.connection()  # plain rows: no ORM loading for 100k requests
    laws: dict[tuple[str, str], Any] = {}

    def law_for(slug: str, agency_slug: str):
        key = (slug, agency_slug)
        if key not in laws:
            laws[key] = load_law(slug).for_agency(agency_slug)
        return laws[key]

    if affected_from is None:
        rows = [r for r in convert.requests(conn.execute(select(*row_cols).join(Agency, Agency.id == Request.agency_id)
                                                         .where(*chosen).order_by(Request.id)).all())
                if calendar_id is None or law_for(r[2], r[7]).calendar == calendar_id]
        ids = [r[0] for r in rows]
    else:
        # Which candidates are open requests of the calendar's laws (and agency), answered from ix_requests_law_status
        # alone: no request row is read here (reading each open request row of those laws was most of a closure's
        # selection: 1.4 s at a million requests). Each chunk's rows are read below, by id, with their row locks.
        found = conn.execute(select(Request.id, Request.law, Agency.slug).join(Agency, Agency.id == Request.agency_id)
                             .where(*chosen).order_by(Request.id)).all()
        ids = [r[0] for r in found if calendar_id is None or law_for(r[1], r[2]).calendar == calendar_id]
        rows = []
    moved: list[Moved] = []
    closures_cache: dict[tuple[str, int], list[Closure]] = {}
    clock_updates: list[dict[str, Any]] = []
    clock_inserts: list[dict[str, Any]] = []
    clock_deletes: list[int] = []
    request_updates: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    stale_ids: list[int] = []
    followed: dict[int, dict[str, date | None]] = {}  # clocks of the requests whose dates moved, for their tasks
    calendar_key: dict[int, tuple[str, int]] = {}
    # Every open request: the ledger and the cached clocks are read by id range (`id_chunks`), never by a list of ids:
    # a 2,000-id IN list became, once psycopg prepared it, a generic plan comparing every row with every id (review
    # §4.2). The range on both sides of each join: PostgreSQL does not carry a range across a join's equality.
    # A change from a date on (`affected_from`) picks a sparse set: its chunks are read by their ids, as one array
    # parameter on PostgreSQL (`= ANY(:ids)`: one index probe per id, prepared or not) and as one JSON array on SQLite
    # (`IN (SELECT value FROM json_each(:ids))`: an expanding IN list of 2,000 parameters cost more to build than to run).
    postgres = _dialect(session) == "postgresql"
    by_ids = affected_from is not None
    in_scope: list[ColumnElement[bool]] = [] if by_ids else [Request.id.between(bindparam("lo"), bindparam("hi"))]
    in_scope.append(Request.status.not_in(CLOSED_STATUSES))
    if agency_id is not None:
        in_scope.append(Request.agency_id == agency_id)
    if by_ids:
        # Sent as text on both ('{1,2,3}' cast to integer[] on PostgreSQL): psycopg dumps a list of 2,000 ints in Python.
        ids_param = bindparam("ids", type_=String)

        def of_ids(col: Any) -> ColumnElement[bool]:
            if postgres:
                return col == any_(cast(ids_param, ARRAY(Integer)))
            return col.in_(select(literal_column("value")).select_from(func.json_each(ids_param)))

        events_q = (select(*_EVENT_COLS)
                    .where(of_ids(Event.request_id), Event.kind.in_(LEDGER_KINDS), Event.voided_at.is_(None))
                    .order_by(Event.request_id, Event.occurred_on, Event.id))
        clocks_q = (select(*_CLOCK_COLS).where(of_ids(RequestClock.request_id)))
        # The chunk's request rows, read by id with their row locks (as `lock_requests`; PostgreSQL).
        rows_q = (select(*row_cols).join(Agency, Agency.id == Request.agency_id).where(of_ids(Request.id), *in_scope)
                  .order_by(Request.id))
        if postgres:
            rows_q = rows_q.with_for_update(of=Request, key_share=True)
    else:
        if calendar_id is not None:  # exactly the calendar's requests, as (law, agency) pairs
            in_scope.append(tuple_(Request.law, Request.agency_id).in_(sorted({(r[2], r[4]) for r in rows})
                                                                       or [("", 0)]))
        events_q = (select(*_EVENT_COLS)
                    .join(Request, Request.id == Event.request_id)
                    .where(Event.request_id.between(bindparam("lo"), bindparam("hi")), Event.kind.in_(LEDGER_KINDS),
                           Event.voided_at.is_(None), *in_scope)
                    .order_by(Event.request_id, Event.occurred_on, Event.id))
        clocks_q = (select(*_CLOCK_COLS)
                    .join(Request, Request.id == RequestClock.request_id)
                    .where(RequestClock.request_id.between(bindparam("lo"), bindparam("hi")), *in_scope))
        lock_q = (select(Request.id).where(*in_scope)
                  .order_by(Request.id).with_for_update(of=Request, key_share=True))
    for lo, hi, start, stop in id_chunks(ids, rows=CHUNK_ROWS, spread=CHUNK_SPREAD,
                                         slack=CHUNK_SLACK if not by_ids else 1 << 62):
        if by_ids:
            listed = ",".join(str(i) for i in ids[start:stop])
            bounds: dict[str, Any] = {"ids": "{" + listed + "}" if postgres else "[" + listed + "]"}
            chunk = convert.requests(conn.execute(rows_q, bounds).all())  # PostgreSQL: locked, in id order
        else:
            chunk = rows[start:stop]
            bounds = {"lo": lo, "hi": hi}
            if postgres:  # row locks in id order (as `lock_requests`), on the range's open requests
                conn.execute(lock_q, bounds)
        # Both reads select exactly the chunk's requests (the ranges repeat the selection in SQL, and nothing writes
        # a ledger or a clock under the exclusive lock); the events come ordered by request.
        events_by_req = {rid: list(group) for rid, group in groupby(convert.events(conn.execute(events_q, bounds).all()),
                                                                    key=itemgetter(0))}
        cached: dict[int, dict[str, Any]] = defaultdict(dict)
        for crow in convert.clocks(conn.execute(clocks_q, bounds).all()):
            cached[crow[1]][crow[2]] = crow
        agencies: dict[tuple[str, str], AgencyRules] = {}
        for rid, ref, law_slug, expedited, req_agency_id, cur_response_due, cur_next_due, agency_slug, tz, fee_cat in chunk:
            law = laws.get((law_slug, agency_slug)) or law_for(law_slug, agency_slug)
            key = (law.calendar, req_agency_id)
            closures = closures_cache.get(key)
            if closures is None:
                closures = closures_cache[key] = _closures_for(session, law.calendar, req_agency_id)
            akey = (agency_slug, tz)
            rules = agencies.get(akey)
            if rules is None:
                rules = agencies[akey] = AgencyRules(slug=agency_slug, timezone=tz or default_timezone())
            clocks = compute_clocks(law, ledger_for(events_by_req.get(rid, ()), live=True), agency=rules,
                                    closures=closures, expedited=expedited,
                                    options=request_options(fee_cat))
            old = cached.get(rid)
            changes: list[Moved] = []
            response_due = next_due = None
            seen_response = False
            for c in clocks:
                due = c.due
                if c.kind == "response" and not seen_response:
                    response_due, seen_response = due, True
                if due is not None and c.status == "open" and (next_due is None or due < next_due):
                    next_due = due
                row = old.get(c.kind) if old else None
                if row is None:
                    clock_inserts.append({"request_id": rid, "kind": c.kind, "label": c.label, "due": due,
                                          "status": c.status, "computed_at": now})
                    if due is not None:
                        changes.append(Moved(ref, c.kind, None, due))
                elif row[3] != due or row[4] != c.status or row[5] != c.label:
                    clock_updates.append({"id": row[0], "due": due, "status": c.status, "label": c.label,
                                          "computed_at": now})
                    if row[3] != due:
                        changes.append(Moved(ref, c.kind, row[3], due))
            if old:
                kinds = {c.kind for c in clocks}
                clock_deletes.extend(row[0] for kind, row in old.items() if kind not in kinds)
            if response_due != cur_response_due or next_due != cur_next_due:  # as _summary(clocks)
                request_updates.append({"id": rid, "response_due": response_due, "next_due": next_due,
                                        "stale": bool(changes)})
            elif changes:
                stale_ids.append(rid)
            if changes:
                moved.extend(changes)
                followed[rid] = {c.kind: c.due for c in clocks}
                calendar_key[rid] = key
                audits.append({
                    "at": now, "actor_id": actor.id if actor else None, "action": "recompute", "request_id": rid,
                    "entity_type": "requests", "entity_id": str(rid),
                    "before": {"reason": reason, **{m.kind: m.before.isoformat() if m.before else None for m in changes}},
                    "after": {"reason": reason, **{m.kind: m.after.isoformat() if m.after else None for m in changes}},
                })
    # Plain table statements with executemany (psycopg pipelines them): the ORM's bulk paths cost more than the
    # work itself here. Every statement is keyed by one id, so it plans the same prepared or not.
    clocks_t, requests_t = RequestClock.__table__, Request.__table__
    if clock_updates:
        conn.execute(clocks_t.update().where(clocks_t.c.id == bindparam("b_id"))
                     .values(due=bindparam("due"), status=bindparam("status"), label=bindparam("label"),
                             computed_at=bindparam("computed_at")),
                     [{"b_id": u.pop("id"), **u} for u in clock_updates])
    if clock_inserts:
        conn.execute(clocks_t.insert(), clock_inserts)
    if clock_deletes:
        conn.execute(clocks_t.delete().where(clocks_t.c.id == bindparam("b_id")), [{"b_id": i} for i in clock_deletes])
    # A request whose clock dates moved gets reminders_stale (its reminders follow the old dates until re-planned): in
    # the same statement as its new summary dates when those changed too (one UPDATE, one firing of its triggers).
    if request_updates:
        conn.execute(requests_t.update().where(requests_t.c.id == bindparam("b_id"))
                     .values(response_due=bindparam("response_due"), next_due=bindparam("next_due"),
                             reminders_stale=or_(requests_t.c.reminders_stale, bindparam("stale", type_=Boolean))),
                     [{"b_id": u.pop("id"), **u} for u in request_updates])
    if audits:
        conn.execute(AuditLog.__table__.insert(), audits)
    if stale_ids:
        conn.execute(requests_t.update().where(requests_t.c.id == bindparam("b_id")).values(reminders_stale=True),
                     [{"b_id": i} for i in stale_ids])
    if followed:  # tasks set relative to a clock that moved follow it, on the clock's own calendar
        follow_tasks(session, followed, lambda rid: agency_calendar(session, *calendar_key[rid]))
    if clock_updates or clock_inserts or clock_deletes or request_updates or stale_ids:
        session.expire_all()  # bulk statements bypass the identity map: reload what the caller holds
    return moved


def _driver(col: Any) -> Any:
    """A column read as the database driver returns it: no SQLAlchemy result processing (`_Rows` converts)."""
    return type_coerce(col, NullType()).label(col.key)


class _LedgerRow(NamedTuple):
    """A ledger row of the bulk recompute, as `ledger_for` reads it."""

    request_id: int
    kind: str
    occurred_on: date
    occurred_at: datetime | None
    data: Any
    id: int


# The bulk recompute's reads (`_recompute_open`): a request's row, its ledger rows, its cached clocks.
_EVENT_COLS = (_driver(Event.request_id), _driver(Event.kind), _driver(Event.occurred_on), _driver(Event.occurred_at),
               type_coerce(case((Event.kind.in_(_DATA_KINDS), Event.data), else_=null()), NullType()).label("data"),
               _driver(Event.id))
_CLOCK_COLS = tuple(_driver(c) for c in (RequestClock.id, RequestClock.request_id, RequestClock.kind, RequestClock.due,
                                         RequestClock.status, RequestClock.label))


class _Rows:
    """The bulk recompute's rows, from the driver's values to what the models' types would have given: on SQLite, dates
    from their ISO text, UTC datetimes from SQLAlchemy's naive UTC text and JSON from its text; on PostgreSQL (psycopg
    gives dates, aware datetimes and parsed JSON), datetimes in UTC. Each by C-level parsers over whole chunks."""

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"

    def requests(self, rows: Sequence[Any]) -> list[Any]:
        """(id, ref, law, expedited, agency_id, response_due, next_due, agency slug, agency timezone, fee_category)."""
        if not self.sqlite:
            return list(rows)
        day = date.fromisoformat
        return [(r[0], r[1], r[2], bool(r[3]), r[4], day(r[5]) if r[5] else None, day(r[6]) if r[6] else None,
                 r[7], r[8], r[9]) for r in rows]

    def events(self, rows: Sequence[Any]) -> list[_LedgerRow]:
        if self.sqlite:
            day, stamp, loads = date.fromisoformat, datetime.fromisoformat, json.loads
            return [_LedgerRow(r[0], r[1], day(r[2]), stamp(r[3]).replace(tzinfo=UTC) if r[3] else None,
                               loads(r[4]) if r[4] is not None else None, r[5]) for r in rows]
        return [_LedgerRow(r[0], r[1], r[2], r[3].astimezone(UTC) if r[3] is not None else None, r[4], r[5])
                for r in rows]

    def clocks(self, rows: Sequence[Any]) -> list[Any]:
        """(id, request_id, kind, due, status, label)."""
        if not self.sqlite:
            return list(rows)
        day = date.fromisoformat
        return [(r[0], r[1], r[2], day(r[3]) if r[3] else None, r[4], r[5]) for r in rows]


def clock_rows(clocks: Sequence[Clock], today: date, calendar) -> list[dict[str, Any]]:
    """What a page shows for each clock: date, days left (working or calendar; negative when overdue),
    explanation. Working days are counted by `Calendar.working_days_between`."""
    rows = []
    for c in clocks:
        left = None
        if c.due is not None:
            left = calendar.working_days_between(today, c.due) if c.unit == "business_days" else (c.due - today).days
        rows.append({"clock": c, "left": left,
                     "left_unit": "working days" if c.unit == "business_days" else "calendar days"})
    return rows
