"""Benchmark: the bulk clock recompute (`clocks.service.recompute_open`) against the engine alone.

    .venv/bin/python bench/bench_recompute.py --seed --n 100000 [--db sqlite:////tmp/foia-bench-recompute.sqlite3]
    .venv/bin/python bench/bench_recompute.py --seed --n 100000 --db postgresql+psycopg://postgres@127.0.0.1/wt_x
    .venv/bin/python bench/bench_recompute.py --db URL_OF_A_COPY_OF_A_SCALE_DATABASE [--rounds 3]

`--seed` builds its own data: the database is WIPED and rebuilt through the migrations with `scale_data`'s
functions (`bench_pages.seed`: N requests over the demo agencies, federal FOIA and CPRA, with ledgers and the
clock cache filled by the app's own recompute, a share closed). Without `--seed`, `--db` must be an existing
database built by `bench/scale_data.py` (e.g. `createdb -T foia_scale_100k`), migrated to head. Either way the
tables are ANALYZEd first (after a bulk load PostgreSQL's statistics are stale or empty, review §4.2), and VACUUMed on
PostgreSQL (autovacuum's work, if the server has it off).

Each round, interleaved:
- floor: the ENGINE ALONE: the same clocks computed in memory (`ledger_for` + `compute_clocks`) from the same
  ledger rows, loaded once before the rounds; no database, no comparison, no writes;
- "nothing changed": `recompute_open` over every open request (reads, compares, writes nothing), committed;
- "a closure moves N clocks": a closure added to the CPRA court calendar three weeks ago (`--closure-in`) (`add_closure`, what the
  `recompute_clocks` job runs), committed; the floor is the engine over the same requests (those the closure can
  affect) with the closure; then the closure is removed again (recompute, committed; not timed) for the next round.

Prints min/median/max of each and the RATIO of the app's median to the floor's median (aim: within 2x).
Not a test.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CALENDAR = "ca-court"  # the CPRA's calendar: closures extend its clocks (federal clocks ignore them)


def analyze(engine) -> None:
    from sqlalchemy import text

    if engine.dialect.name == "postgresql":
        # VACUUM too: the seed's recompute rewrote every request (in one test server, 230k dead row versions of 100k
        # requests, 56 MB), which autovacuum would clean in production; it is off on this machine's server.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


class Floor:
    """Every open request's ledger rows, laws, closures and cached clock dates in memory, and the engine over them."""

    def __init__(self, session) -> None:
        from sqlalchemy import case, null, select

        from foia.clocks.service import _DATA_KINDS, LEDGER_KINDS, _closures_for, _LedgerRow
        from foia.core.clock import default_timezone
        from foia.deadlines import AgencyRules, load_law
        from foia.models import CLOSED_STATUSES, Agency, Event, Request, RequestClock

        self.requests = session.execute(
            select(Request.id, Request.law, Request.expedited, Request.agency_id, Agency.slug, Agency.timezone,
                   Request.fee_category).join(Agency, Agency.id == Request.agency_id)
            .where(Request.status.not_in(CLOSED_STATUSES)).order_by(Request.id)).all()
        open_ids = {r[0] for r in self.requests}
        self.events: dict[int, list[Any]] = defaultdict(list)
        for e in session.execute(
                select(Event.request_id, Event.kind, Event.occurred_on, Event.occurred_at,
                       case((Event.kind.in_(_DATA_KINDS), Event.data), else_=null()).label("data"), Event.id)
                .where(Event.kind.in_(LEDGER_KINDS), Event.voided_at.is_(None))
                .order_by(Event.request_id, Event.occurred_on, Event.id)):
            if e[0] in open_ids:  # as the app hands them to the engine (attribute access is a tuple's, not a Row's)
                self.events[e[0]].append(_LedgerRow(*e))
        self.last_due: dict[int, date] = {}
        self.has_clock: set[int] = set()
        for rid, due in session.execute(select(RequestClock.request_id, RequestClock.due)):
            self.has_clock.add(rid)
            if due is not None and (rid not in self.last_due or due > self.last_due[rid]):
                self.last_due[rid] = due
        self.laws = {key: load_law(key[0]).for_agency(key[1]) for key in {(r[1], r[4]) for r in self.requests}}
        self.rules = {key: AgencyRules(slug=key[0], timezone=key[1] or default_timezone())
                      for key in {(r[4], r[5]) for r in self.requests}}
        self.closures = {key: _closures_for(session, key[0], key[1])
                         for key in {(self.laws[(r[1], r[4])].calendar, r[3]) for r in self.requests}}

    def affected(self, on: date) -> list[Any]:
        """The requests `recompute_open(calendar_id=CALENDAR, affected_from=on)` recomputes."""
        out = []
        for r in self.requests:
            if self.laws[(r[1], r[4])].calendar != CALENDAR:
                continue
            rid = r[0]
            if (rid not in self.has_clock or self.last_due.get(rid, date.min) >= on
                    or any(e[2] >= on for e in self.events.get(rid, ()))):
                out.append(r)
        return out

    def run(self, requests: list[Any], extra: Any = None) -> int:
        from foia.clocks.service import ledger_for, request_options
        from foia.deadlines import compute_clocks

        n = 0
        for rid, law_slug, expedited, agency_id, agency_slug, tz, fee_cat in requests:
            law = self.laws[(law_slug, agency_slug)]
            closures = self.closures[(law.calendar, agency_id)]
            if extra is not None and law.calendar == CALENDAR:
                closures = [*closures, extra]
            n += len(compute_clocks(law, ledger_for(self.events.get(rid, ()), live=True), agency=self.rules[(agency_slug, tz)],
                                    closures=closures, expedited=expedited, options=request_options(fee_cat)))
        return n


def timed(fn) -> tuple[float, Any]:
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def line(label: str, app: list[float], floor: list[float], extra: str = "") -> str:
    def mmm(xs: list[float]) -> str:
        return f"{min(xs):7.2f} / {statistics.median(xs):7.2f} / {max(xs):7.2f} s"

    ratio = statistics.median(app) / statistics.median(floor)
    return f"{label:<28} app {mmm(app)}   floor {mmm(floor)}   ratio {ratio:5.2f}x {extra}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="sqlite:////tmp/foia-bench-recompute.sqlite3", help="database URL")
    ap.add_argument("--seed", action="store_true", help="WIPE the database and build --n requests in it")
    ap.add_argument("--n", type=int, default=100_000, help="requests to seed (with --seed)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--closure-only", action="store_true", help="time only the closure (and its floor)")
    ap.add_argument("--closure-in", type=int, default=-21,
                    help="the closure's day, in days from today (the Wednesday on or after it)")
    args = ap.parse_args()

    import scale_data

    url = scale_data.normalise(args.db)
    tmp = Path(tempfile.mkdtemp(prefix="foia-bench-recompute-"))
    from foia.extensions import db
    from foia.factory import create_app

    if args.seed:
        scale_data.wipe(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(tmp / "instance"),
                      "FOIA_STORAGE_DIR": str(tmp / "storage")})
    with app.app_context():
        from sqlalchemy import func, select

        from foia.clocks.closures import add_closure, remove_closure
        from foia.clocks.service import recompute_open
        from foia.deadlines import Closure, calendar_for
        from foia.models import CLOSED_STATUSES, CalendarClosure, Request, User

        if args.seed:
            import logging
            from zoneinfo import ZoneInfo

            import bench_pages
            from flask_migrate import upgrade

            logging.getLogger("alembic").setLevel(logging.WARNING)
            upgrade()
            bench_pages.seed(args.n, datetime.now(ZoneInfo(app.config["FOIA_TIMEZONE"])).date())
            db.session.remove()
        t0 = time.perf_counter()
        analyze(db.engine)
        s = db.session
        n_open = s.scalar(select(func.count(Request.id)).where(Request.status.not_in(CLOSED_STATUSES)))
        print(f"{db.engine.dialect.name}: {s.scalar(select(func.count(Request.id))):,} requests, {n_open:,} open; "
              f"ANALYZE {time.perf_counter() - t0:.1f} s")
        user = s.scalars(select(User).where(User.email == "bench@example.org")).one()
        now = datetime.now(UTC)
        cal = calendar_for(CALENDAR)
        on = now.date() + timedelta(days=args.closure_in)
        while not cal.is_working_day(on) or on.weekday() != 2:  # a Wednesday that is a working day
            on += timedelta(days=1)
        for old in s.scalars(select(CalendarClosure).where(CalendarClosure.name == "Bench closure")):
            remove_closure(s, actor=user, now=now, closure=old)
        s.commit()
        t0 = time.perf_counter()
        floor = Floor(s)
        s.commit()
        # The floor's copy of every ledger row (hundreds of thousands of objects) exists only in this bench: freeze it
        # out of the collector's view, or every full collection during the app's timed runs would walk it too.
        gc.collect()
        gc.freeze()
        affected = floor.affected(on)
        print(f"floor data loaded in {time.perf_counter() - t0:.1f} s; a closure on {on} ({CALENDAR}) can affect "
              f"{len(affected):,} requests")

        res: dict[str, list[float]] = defaultdict(list)
        moved_counts: list[int] = []
        for rnd in range(args.rounds):
            t_floor = t_app = 0.0
            clocks = 0
            if not args.closure_only:
                t_floor, clocks = timed(lambda: floor.run(floor.requests))
                res["floor_all"].append(t_floor)

                def nothing():
                    moved = recompute_open(s, now=now, actor=None, reason="bench: nothing changed")
                    s.commit()
                    return moved

                t_app, moved = timed(nothing)
                res["app_all"].append(t_app)
                assert not moved, f"nothing changed, yet {len(moved)} dates moved"
            t_floor_c, _ = timed(lambda: floor.run(affected, Closure(on, "Bench closure")))
            res["floor_closure"].append(t_floor_c)

            def closure():
                _c, moved = add_closure(s, actor=user, now=now, on=on, name="Bench closure", calendar_id=CALENDAR)
                s.commit()
                return moved

            t_app_c, moved = timed(closure)
            res["app_closure"].append(t_app_c)
            moved_counts.append(len(moved))
            t_rm, back = timed(lambda: remove_closure(s, actor=user, now=now, closure=s.scalars(
                select(CalendarClosure).where(CalendarClosure.name == "Bench closure")).one()))
            s.commit()
            print(f"round {rnd + 1}: engine {t_floor:.2f} s ({clocks:,} clocks) | nothing changed {t_app:.2f} s | "
                  f"closure: engine {t_floor_c:.2f} s, app {t_app_c:.2f} s, {len(moved):,} dates moved | "
                  f"closure removed {t_rm:.2f} s, {len(back):,} moved back")
        print(f"\n{db.engine.dialect.name}, {n_open:,} open requests, {args.rounds} rounds (min / median / max):")
        if not args.closure_only:
            print(line("recompute, nothing changed", res["app_all"], res["floor_all"]))
        print(line("closure moves N clocks", res["app_closure"], res["floor_closure"],
                   f"(N = {moved_counts[0]:,} dates, {len(affected):,} requests recomputed)"))
        db.engine.dispose()


if __name__ == "__main__":
    main()
