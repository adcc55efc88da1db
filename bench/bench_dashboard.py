"""Benchmark: GET /dashboard uncached, the agency statistics refresh and /metrics, at scale.

    .venv/bin/python bench/bench_dashboard.py --db URL_OF_A_COPY [--rounds 15] [--code DIR]
    .venv/bin/python bench/bench_dashboard.py --build sqlite:////tmp/foia-bench-dash.sqlite3 --n 10000

``--db`` reuses a scale database (a ``createdb -T foia_scale_1m`` copy, or a copy of the SQLite file)
migrated to head; ``--build URL --n N`` builds its own (the URL is WIPED: bench/scale_data.py's seed).
``--code DIR`` runs another checkout's ``foia`` package on the same data (the "before": e.g. a
``git archive 026c868`` tree), so before and after are measured the same way.

Through the Flask test client, signed in as bench@example.org (staff of "Bench City", sees about 75%
of the requests) and outsider@example.org (a reporter of the other organization), round by round and
interleaved: the floor (a bench-only page rendered in the same layout, signed in: session load, user
load, base template), the staff dashboard, the reporter dashboard, /metrics. Before each dashboard
request every in-process cache is cleared (``foia.dashboard.cache.clear_stats_cache`` and, in the old
code, the summary caches), so each is uncached; the stored agency statistics are read as a page view
reads them. Prints min / median / max in ms and the median's ratio to the floor's.

Then the agency statistics: the new code's refresh in full (every scope, every agency) and
incremental (one event logged for one request, then refresh); the old code's per-scope computation,
which it ran for every scope every 5 minutes and on a scope's first view.

Not a test: prints figures for the issue note.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent


def _paths(code: str | None) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    import scale_data  # noqa: F401  (it puts this checkout first on sys.path: the code to run goes before it)

    sys.path.insert(0, str(Path(code).resolve() if code else ROOT))


def _fmt(times: list[float], floor: float | None = None) -> str:
    med = statistics.median(times)
    ratio = f"  ratio {med / floor:6.1f}x" if floor else ""
    return f"{min(times):8.1f} / {med:8.1f} / {max(times):8.1f} ms{ratio}"


def build(url: str, n: int) -> None:
    import logging
    import random

    import bench_pages
    from flask_migrate import upgrade
    from scale_data import add_search_entries, normalise, wipe

    from foia.extensions import db
    from foia.factory import create_app

    url = normalise(url)
    wipe(url)
    tmp = Path(tempfile.mkdtemp(prefix="foia-bench-dash-"))
    config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(tmp / "instance"),
              "FOIA_STORAGE_DIR": str(tmp / "storage")}
    if url.startswith("postgresql"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"prepare_threshold": None}}
    app = create_app(config)
    with app.app_context():
        logging.getLogger("alembic").setLevel(logging.WARNING)
        upgrade()
        bench_pages.seed(n, datetime.now(ZoneInfo(app.config["FOIA_TIMEZONE"])).date())
        add_search_entries(db.session, random.Random(20261130))
        db.session.remove()
        from sqlalchemy import text

        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        db.engine.dispose()
    print(f"built {n:,} requests at {url}")


def clear_caches() -> None:
    from foia.dashboard import cache

    cache.clear_stats_cache()  # the old code: summary caches and the statistics cache; the new: nothing to clear


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="database URL of a scale copy at head (read; statistics rows written)")
    ap.add_argument("--build", help="build a database of --n requests at this URL (WIPED), then measure it")
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--refresh-runs", type=int, default=3)
    ap.add_argument("--code", help="run this checkout's foia package (e.g. the code before the change)")
    args = ap.parse_args()
    _paths(args.code)
    if args.build:
        build(args.build, args.n)
        args.db = args.build
    if not args.db:
        ap.error("--db or --build is required")

    from flask import render_template_string
    from flask_login import login_required
    from scale_data import normalise
    from sqlalchemy import func, insert, select

    import foia
    from foia.core.access import stats_scope
    from foia.dashboard import stats as stats_mod
    from foia.extensions import db
    from foia.factory import create_app
    from foia.models import Event, Request, User

    url = normalise(args.db)
    print(f"code: {Path(foia.__file__).resolve().parent.parent}  database: {url}")
    tmp = Path(tempfile.mkdtemp(prefix="foia-bench-dash-"))
    config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(tmp / "instance"),
              "FOIA_STORAGE_DIR": str(tmp / "storage"), "RATELIMIT_ENABLED": False,
              "WTF_CSRF_ENABLED": False}
    app = create_app(config)

    @app.route("/bench-floor")
    @login_required
    def bench_floor():  # the floor: a signed-in page in the same layout, no dashboard query
        return render_template_string('{% extends "base.html" %}{% block title %}Floor{% endblock %}'
                                      '{% block content %}<h1>Floor</h1>{% endblock %}')

    now = datetime.now(UTC)
    today = datetime.now(ZoneInfo(app.config["FOIA_TIMEZONE"])).date()
    new_code = hasattr(stats_mod, "refresh_stats")
    with app.app_context():
        n_requests = db.session.scalar(select(func.count()).select_from(Request))
        staff = db.session.scalar(select(User).where(User.email == "bench@example.org"))
        outsider = db.session.scalar(select(User).where(User.email == "outsider@example.org"))
        print(f"{n_requests:,} requests; engine {db.engine.dialect.name}; new code: {new_code}")
        if new_code:  # the stored statistics a page view reads (the scheduler keeps them)
            t0 = time.perf_counter()
            stats_mod.refresh_stats(db.session(), today=today, now=now)
            db.session.commit()
            print(f"initial statistics refresh: {time.perf_counter() - t0:.2f} s")
        scopes = [stats_scope(staff), stats_scope(outsider)]
        db.session.remove()

    clients = {}
    for name in ("bench", "outsider"):
        c = app.test_client()
        resp = c.post("/login", data={"email": f"{name}@example.org", "password": "bench-password"})
        assert resp.status_code == 302, (name, resp.status_code)
        clients[name] = c
    targets = [("floor (signed-in page, same layout)", "bench", "/bench-floor"),
               ("GET /dashboard, staff, uncached", "bench", "/dashboard"),
               ("GET /dashboard, reporter, uncached", "outsider", "/dashboard"),
               ("GET /metrics", "bench", "/metrics")]
    for _label, who, path in targets:  # warm-up (the old code computes a never-seen scope's statistics here)
        for _ in range(2):
            clear_caches()
            resp = clients[who].get(path)
            assert resp.status_code == 200, (path, resp.status_code)
    times: dict[str, list[float]] = {label: [] for label, _w, _p in targets}
    for _ in range(args.rounds):
        for label, who, path in targets:
            clear_caches()
            t0 = time.perf_counter()
            resp = clients[who].get(path)
            times[label].append((time.perf_counter() - t0) * 1000)
            assert resp.status_code == 200, (path, resp.status_code)
    floor = statistics.median(times[targets[0][0]])
    print(f"{args.rounds} rounds, interleaved; min / median / max, median ratio to the floor")
    for label, _w, _p in targets:
        print(f"  {label:40} {_fmt(times[label], None if label.startswith('floor') else floor)}")

    with app.app_context():
        s = db.session()
        if new_code:
            full, inc = [], []
            for _ in range(args.refresh_runs):
                t0 = time.perf_counter()
                r = stats_mod.refresh_stats(s, today=today, now=now, full=True)
                s.commit()
                full.append(time.perf_counter() - t0)
                rid = s.scalar(select(Request.id).where(Request.status == "acknowledged").limit(1))
                s.execute(insert(Event), [dict(request_id=rid, kind="note", occurred_on=today, created_at=now,
                                               notes="bench")])  # marks one agency changed
                s.commit()
                t0 = time.perf_counter()
                ri = stats_mod.refresh_stats(s, today=today, now=now)
                s.commit()
                inc.append(time.perf_counter() - t0)
            print(f"statistics refresh, full ({r.scopes} scopes): {_fmt([t * 1000 for t in full])}")
            print(f"statistics refresh, incremental (one agency changed; {ri.scopes} scopes): "
                  f"{_fmt([t * 1000 for t in inc])}")
        else:
            per_scope = []
            for _ in range(args.refresh_runs):
                for scope in scopes:
                    t0 = time.perf_counter()
                    stats_mod.agency_responsiveness(s, scope=scope, today=today)
                    per_scope.append(time.perf_counter() - t0)
                s.rollback()
            print(f"statistics, one scope computed (old code, every scope every 5 minutes and on a first view): "
                  f"{_fmt([t * 1000 for t in per_scope])}")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
