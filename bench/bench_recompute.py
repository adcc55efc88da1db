"""Benchmark: recompute every open request's clocks after a calendar change.

Seeds N open requests (default 100,000) spread over federal FOIA and CPRA agencies, each with a
"sent" event in the last 40 days, fills the clock cache, then adds a closure to the federal calendar
through the same service the admin page uses and times the recompute.

    .venv/bin/python bench/bench_recompute.py [--n 100000] [--db sqlite:////tmp/bench.sqlite3]

Not a test: prints figures for the issue note.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from foia.accounts.service import create_user, get_or_create_organization
from foia.clocks.closures import add_closure
from foia.clocks.service import recompute_open
from foia.demo import upsert_agencies
from foia.extensions import db
from foia.factory import create_app
from foia.models import Agency, Event, Request, RequestClock


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--db", default="sqlite:////tmp/foia-bench-recompute.sqlite3")
    args = ap.parse_args()
    if args.db.startswith("sqlite:////"):
        Path(args.db.removeprefix("sqlite:///")).unlink(missing_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "SECRET_KEY": "bench", "INSTANCE_PATH": "/tmp/foia-bench-instance"})
    now = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
    with app.app_context():
        db.drop_all()
        db.create_all()
        s = db.session
        org = get_or_create_organization(s, "Bench City", now=now)
        user = create_user(s, email="bench@example.org", name="Bench", role="staff", organization=org,
                           password="bench-password", now=now)
        upsert_agencies(s, now)
        agencies = list(s.scalars(select(Agency)))
        s.commit()
        rng = random.Random(42)
        t0 = time.perf_counter()
        batch = 10_000
        for start in range(0, args.n, batch):
            reqs, evs = [], []
            for i in range(start, min(start + batch, args.n)):
                a = agencies[i % len(agencies)]
                reqs.append(dict(id=i + 1, ref=f"FT-2026-{i + 1:06d}", ref_year=2026, ref_seq=i + 1, title=f"Request {i}",
                                 records_sought="records", requester_id=user.id, organization_id=org.id,
                                 agency_id=a.id, law=a.law, status="submitted", fee_category="other",
                                 fee_waiver=False, fee_waiver_justification="", expedited=False,
                                 expedited_justification="", preferred_format="", visibility="organization",
                                 tracking_number="", created_at=now, updated_at=now))
                day = date(2026, 5, 1) + timedelta(days=rng.randrange(40))
                evs.append(dict(request_id=i + 1, kind="sent", occurred_on=day,
                                occurred_at=datetime(day.year, day.month, day.day, 16, 0, tzinfo=UTC),
                                notes="", data={}, created_at=now))
            s.execute(insert(Request), reqs)
            s.execute(insert(Event), evs)
        s.commit()
        print(f"seeded {args.n:,} open requests in {time.perf_counter() - t0:.1f}s ({db.engine.dialect.name})")

        t0 = time.perf_counter()
        moved = recompute_open(s, now=now, actor=None, reason="initial fill")
        s.commit()
        print(f"initial fill of the clock cache: {time.perf_counter() - t0:.2f}s "
              f"({s.scalar(select(func.count(RequestClock.id))):,} clock rows)")

        t0 = time.perf_counter()
        moved = recompute_open(s, now=now, actor=None, reason="no change")
        s.commit()
        print(f"recompute all, nothing changed: {time.perf_counter() - t0:.2f}s, {len(moved)} dates moved")

        t0 = time.perf_counter()
        _closure, moved = add_closure(s, actor=user, now=now, on=date(2026, 5, 29), name="Bench closure",
                                      calendar_id="us-federal")
        s.commit()
        elapsed = time.perf_counter() - t0
        print(f"add a federal closure and recompute every open request: {elapsed:.2f}s, "
              f"{len(moved):,} dates moved on {len({m.ref for m in moved}):,} requests")


if __name__ == "__main__":
    main()
