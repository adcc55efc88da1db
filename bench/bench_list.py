"""Benchmark: the requests list (foia.requests.queries.browse_requests) with 1M requests on SQLite.

Seeds N requests (default 1,000,000) with bulk Core inserts (no ledger: the list reads only the requests
table and its indexes), over the demo agencies and two organizations, with random next deadlines, statuses,
tracking numbers and update times. Then times one page (50 rows + the bounded total) for every sort, both
directions, the filters and scopes, pages 1, 2 and the deepest allowed (offset MAX_ROWS - 50), for an admin
(sees everything) and a staff user (their organization plus public). Prints each as milliseconds and as a
ratio to the floor: the default order's first page. Also prints SQLite's EXPLAIN QUERY PLAN of a few.

    .venv/bin/python bench/bench_list.py [--n 1000000] [--db sqlite:////tmp/foia-bench-list.sqlite3] [--reuse]

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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text

from foia.accounts.service import create_user, get_or_create_organization
from foia.demo import upsert_agencies
from foia.extensions import db
from foia.factory import create_app
from foia.models import STATUSES, Agency, Request, User
from foia.requests.queries import MAX_ROWS, ListQuery, browse_requests, list_filters


def seed(n: int) -> None:
    s = db.session
    now = datetime.now(UTC)
    city = get_or_create_organization(s, "Bench City", now=now)
    other = get_or_create_organization(s, "Bench Newsroom", now=now)
    for email, role, org in (("admin@bench.example", "admin", city), ("staff@bench.example", "staff", city),
                             ("reporter@bench.example", "reporter", other)):
        create_user(s, email=email, name=role, role=role, organization=org, password="bench-password", now=now)
    upsert_agencies(s, now)
    s.commit()
    users = {u.role: u for u in s.scalars(select(User))}
    agencies = list(s.scalars(select(Agency)))
    rng = random.Random(13)
    statuses = list(STATUSES)
    t0 = time.perf_counter()
    for start in range(0, n, 20_000):
        rows = []
        for i in range(start, min(start + 20_000, n)):
            rid = i + 1
            mine = rng.random() < 0.5
            a = agencies[i % len(agencies)]
            rows.append(dict(
                id=rid, ref=f"FT-2026-{rid:07d}", ref_year=2026, ref_seq=rid,
                title=f"{rng.choice(['Police', 'budget', 'Zoning', 'emails', 'Contracts'])} records {rng.randrange(10**6)}",
                records_sought="records", requester_id=(users["staff"] if mine else users["reporter"]).id,
                organization_id=(city if mine else other).id, agency_id=a.id, law=a.law,
                status=rng.choice(statuses), fee_category="other", fee_waiver=False, fee_waiver_justification="",
                expedited=False, expedited_justification="", preferred_format="",
                visibility=rng.choice(["private", "organization", "public"]),
                tracking_number=f"2026-{rng.randrange(10**5):05d}" if rng.random() < 0.6 else "",
                next_due=None if rng.random() < 0.2 else date(2026, 1, 1) + timedelta(days=rng.randrange(700)),
                created_at=now, updated_at=now - timedelta(minutes=rng.randrange(10**6))))
        s.execute(insert(Request), rows)
    s.commit()
    s.execute(text("ANALYZE"))
    s.commit()
    print(f"seeded {n:,} requests in {time.perf_counter() - t0:.1f}s")


CASES: list[tuple[str, ListQuery]] = [
    ("default (next deadline), page 1", ListQuery()),
    ("default, page 2 (offset)", ListQuery(page=2)),
    ("default, deepest page (offset 9,950)", ListQuery(page=MAX_ROWS // 50)),
    *[(f"sort {s} {d}", ListQuery(sort=s, desc=d == "desc"))
      for s in ("ref", "title", "agency", "status", "due", "tracking", "updated") for d in ("asc", "desc")],
    ("sort title, deepest page", ListQuery(sort="title", page=MAX_ROWS // 50)),
    ("status=submitted", ListQuery(status="submitted")),
    ("agency=lasd", ListQuery(agency_slug="lasd")),
    ("text 'police'", ListQuery(q="police")),
    ("text 'nothing-matches'", ListQuery(q="nothing-matches")),
    ("scope mine", ListQuery(scope="mine")),
    ("scope org, sort updated desc", ListQuery(scope="org", sort="updated", desc=True)),
]


def measure(runs: int) -> None:
    s = db.session
    for role in ("admin", "staff"):
        user = s.scalar(select(User).where(User.role == role))
        print(f"\n{role}: {'case':42} {'median ms':>10} {'max ms':>8} {'x floor':>8}")
        floor = None
        for name, lq in CASES:
            browse_requests(s, user, lq)  # warm-up
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                page = browse_requests(s, user, lq)
                times.append((time.perf_counter() - t0) * 1000)
                s.expunge_all()
            med = statistics.median(times)
            floor = floor or med
            print(f"{'':7}{name:42} {med:10.1f} {max(times):8.1f} {med / floor:8.1f}  (total {page.total:,})")
    user = s.scalar(select(User).where(User.role == "staff"))
    for name, lq in (("sort title", ListQuery(sort="title")), ("default page 1", ListQuery())):
        stmt = select(Request.id).where(*list_filters(s, user, lq))
        from foia.requests.queries import _order
        stmt = stmt.order_by(*_order(lq.sort, lq.desc)).limit(50)
        sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
        print(f"\nEXPLAIN QUERY PLAN ({name}, staff):")
        for row in s.execute(text("EXPLAIN QUERY PLAN " + sql)):
            print("   ", row[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--db", default="sqlite:////tmp/foia-bench-list.sqlite3")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--reuse", action="store_true")
    args = ap.parse_args()
    if args.db.startswith("sqlite:////") and not args.reuse:
        Path(args.db.removeprefix("sqlite:///")).unlink(missing_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "SECRET_KEY": "bench", "INSTANCE_PATH": "/tmp/foia-bench-instance"})
    with app.app_context():
        if not args.reuse:
            db.drop_all()
            db.create_all()
            seed(args.n)
        measure(args.runs)


if __name__ == "__main__":
    main()
