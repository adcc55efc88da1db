"""Benchmark: server time of the dashboard and list pages with 100k requests.

Seeds N requests (default 100,000) with bulk Core inserts, spread over the demo agencies and two
organizations (the bench user's and another one, with private, shared and public requests), each with a
ledger: sent (sometimes a separate receipt), and for many an acknowledgment, a clarification toll, a
determination, a release or a closure, on dates over the last ~14 months. The clock cache is filled
by the same bulk recompute the app uses, then a share of requests is closed. Then, signed in as a staff
user through the Flask test client, it times GET /dashboard, /requests, /requests?status=submitted
and /agencies: a warm-up, then 50 requests each; prints median and p95.

    .venv/bin/python bench/bench_pages.py [--n 100000] [--db sqlite:////tmp/foia-bench-pages.sqlite3] [--reuse]
                                          [--cold-runs 3]

"Cold" is really cold, also with --reuse: each cold run is a NEW PROCESS (no module, template, law or
in-process cache is warm, and its engine opens new connections) and first deletes the `stats_snapshots` rows
(derived data the scheduler rebuilds), so the first GET /dashboard computes the scope's agency statistics as a
scope's first view does. In the same process, just before, the first GET /healthz?checks=database (a bare
route: the first request's own costs) is the floor it is compared with. The OS page cache and PostgreSQL's
shared buffers are not dropped (that needs root and a server restart): the database's pages may be warm.

Not a test: prints figures for the issue note.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, update

from foia.accounts.service import create_user, get_or_create_organization
from foia.clocks.service import recompute_open
from foia.demo import upsert_agencies
from foia.extensions import db
from foia.factory import create_app
from foia.models import Agency, Event, Request, RequestClock, User

PAGES = ["/dashboard", "/requests", "/requests?status=submitted", "/agencies"]
OPEN_STATUSES = ["submitted", "submitted", "acknowledged", "processing", "awaiting_requester", "partially_released"]


def seed(n: int, today: date) -> None:
    s = db.session
    now = datetime.now(UTC)
    org = get_or_create_organization(s, "Bench City", now=now)
    other = get_or_create_organization(s, "Bench Other Newsroom", now=now)
    user = create_user(s, email="bench@example.org", name="Bench", role="staff", organization=org,
                       password="bench-password", now=now)
    outsider = create_user(s, email="outsider@example.org", name="Outsider", role="reporter", organization=other,
                           password="bench-password", now=now)
    upsert_agencies(s, now)
    agencies = list(s.scalars(select(Agency).order_by(Agency.id)))
    s.commit()
    rng = random.Random(42)
    t0 = time.perf_counter()
    batch = 10_000
    closed_ids: list[tuple[int, str]] = []
    for start in range(0, n, batch):
        reqs, evs = [], []
        for i in range(start, min(start + batch, n)):
            rid = i + 1
            a = agencies[i % len(agencies)]
            mine = rng.random() < 0.7
            reqs.append(dict(id=rid, ref=f"FT-2026-{rid:06d}", ref_year=2026, ref_seq=rid, title=f"Request {i}",
                             records_sought="records", requester_id=user.id if mine else outsider.id,
                             organization_id=org.id if mine else other.id, agency_id=a.id, law=a.law,
                             status=rng.choice(OPEN_STATUSES), fee_category="other", fee_waiver=False,
                             fee_waiver_justification="", expedited=False, expedited_justification="",
                             preferred_format="", visibility=rng.choice(["private", "organization", "organization", "public"]),
                             tracking_number="", created_at=now, updated_at=now))
            sent = today - timedelta(days=rng.randrange(0, 420))

            def ev(kind: str, day: date, evs: list = evs, rid: int = rid) -> None:
                evs.append(dict(request_id=rid, kind=kind, occurred_on=day, occurred_at=None, notes="", data={},
                                created_at=now))

            ev("created", sent - timedelta(days=1))
            ev("sent", sent)
            if rng.random() < 0.2:
                ev("received", sent + timedelta(days=rng.randrange(0, 4)))
            age = (today - sent).days
            cursor = sent
            if age > 5 and rng.random() < 0.6:
                cursor = sent + timedelta(days=rng.randrange(1, min(age, 20)))
                ev("acknowledged", cursor)
            if age > 30 and rng.random() < 0.15:
                t_start = cursor + timedelta(days=rng.randrange(1, 10))
                ev("toll_start", t_start)
                cursor = t_start + timedelta(days=rng.randrange(1, 15))
                ev("toll_end", cursor)
            if age > 40 and rng.random() < 0.5:
                done = min(today, cursor + timedelta(days=rng.randrange(5, 60)))
                kind = rng.choice(["determination", "release", "closed"])
                ev(kind, done)
                if kind != "determination":
                    closed_ids.append((rid, "released" if kind == "release" else "closed"))
        s.execute(insert(Request), reqs)
        s.execute(insert(Event), evs)
    s.commit()
    print(f"seeded {n:,} requests and {s.scalar(select(func.count(Event.id))):,} events in "
          f"{time.perf_counter() - t0:.1f}s ({db.engine.dialect.name})")
    t0 = time.perf_counter()
    recompute_open(s, now=now, actor=None, reason="bench fill")
    s.commit()
    for status in ("released", "closed"):
        ids = [rid for rid, st in closed_ids if st == status]
        for k in range(0, len(ids), 5000):
            s.execute(update(Request).where(Request.id.in_(ids[k:k + 5000])).values(status=status, next_due=None))
    s.commit()
    print(f"filled the clock cache ({s.scalar(select(func.count(RequestClock.id))):,} clocks, "
          f"{len(closed_ids):,} requests closed) in {time.perf_counter() - t0:.1f}s")


def measure(app, runs: int) -> None:
    client = app.test_client()
    resp = client.post("/login", data={"email": "bench@example.org", "password": "bench-password"})
    assert resp.status_code == 302, resp.status_code
    from foia.core.access import stats_scope
    from foia.dashboard.cache import clear_stats_cache
    from foia.dashboard.stats import agency_responsiveness

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "bench@example.org"))
        today = datetime.now(ZoneInfo(app.config["FOIA_TIMEZONE"])).date()
        t0 = time.perf_counter()
        stats = agency_responsiveness(db.session, scope=stats_scope(user), today=today)
        cold = time.perf_counter() - t0
        db.session.remove()
    print(f"agency statistics, computed once (then cached {5} minutes per organization): {cold * 1000:.0f} ms "
          f"for {len(stats)} agencies, {sum(s.responses for s in stats):,} responses")
    clear_stats_cache()
    print(f"{'page':40} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for path in [*PAGES, "/dashboard (summary caches cleared)"]:
        uncached = path.endswith("cleared)")
        url = path.split(" ")[0]
        for _ in range(3):  # warm-up
            assert client.get(url).status_code == 200
        times = []
        for _ in range(runs):
            if uncached:  # counts and month grid recomputed; agency statistics stay cached (5 minutes)
                from foia.dashboard import cache as dashboard_cache

                lock, store = getattr(dashboard_cache, "_lock", None), getattr(dashboard_cache, "_cache", None)
                if lock is None or store is None:  # another cache layout: drop everything this process keeps
                    clear_stats_cache()
                else:
                    with lock:
                        for key in [k for k in store if k[0] != "stats"]:
                            del store[key]
            t0 = time.perf_counter()
            resp = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            assert resp.status_code == 200, (path, resp.status_code)
        times.sort()
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        print(f"{path:40} {statistics.median(times):10.1f} {p95:8.1f} {times[-1]:8.1f}")


def cold_child(db_url: str) -> None:
    """One cold run, in its own process (see the module doc): prints 'COLD <floor s> <dashboard s>'."""
    from sqlalchemy import delete

    from foia.models import StatsSnapshot

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "INSTANCE_PATH": "/tmp/foia-bench-instance"})
    with app.app_context():
        db.session.execute(delete(StatsSnapshot))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    client = app.test_client()
    t0 = time.perf_counter()
    assert client.get("/healthz?checks=database").status_code in (200, 503)
    floor = time.perf_counter() - t0
    resp = client.post("/login", data={"email": "bench@example.org", "password": "bench-password"})
    assert resp.status_code == 302, resp.status_code
    t0 = time.perf_counter()
    assert client.get("/dashboard").status_code == 200
    print(f"COLD {floor} {time.perf_counter() - t0}")


def measure_cold(db_url: str, runs: int) -> None:
    import subprocess

    floors, firsts = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, __file__, "--db", db_url, "--cold-child"], check=True,
                             capture_output=True, text=True).stdout
        floor, first = (float(x) for x in out.rsplit("COLD ", 1)[1].split())
        floors.append(floor)
        firsts.append(first)

    def spread(xs: list[float]) -> str:
        return f"{min(xs) * 1000:.0f} / {statistics.median(xs) * 1000:.0f} / {max(xs) * 1000:.0f} ms"

    print(f"cold first GET /dashboard (new process, no statistics snapshot), {runs} runs: {spread(firsts)}; "
          f"floor, first GET /healthz in the same process: {spread(floors)}; "
          f"ratio {statistics.median(firsts) / statistics.median(floors):.0f}x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--db", default="sqlite:////tmp/foia-bench-pages.sqlite3")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--reuse", action="store_true", help="measure an already seeded database")
    ap.add_argument("--cold-runs", type=int, default=3, help="cold first views, each in a new process")
    ap.add_argument("--cold-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cold_child:
        cold_child(args.db)
        return
    if args.db.startswith("sqlite:////") and not args.reuse:
        Path(args.db.removeprefix("sqlite:///")).unlink(missing_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "INSTANCE_PATH": "/tmp/foia-bench-instance"})
    with app.app_context():
        if not args.reuse:
            db.drop_all()
            db.create_all()
            seed(args.n, datetime.now(ZoneInfo(app.config["FOIA_TIMEZONE"])).date())
        if db.engine.dialect.name == "postgresql":  # autovacuum would do this shortly after a bulk load
            from sqlalchemy import text

            db.session.execute(text("ANALYZE"))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    measure_cold(args.db, args.cold_runs)
    measure(app, args.runs)


if __name__ == "__main__":
    main()
