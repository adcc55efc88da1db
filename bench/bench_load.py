"""Load test: 50 signed-in users against gunicorn with the project's config, mixed reads and writes, compared with a
bare route served by the same gunicorn in the same run.

Builds its own data (bench_pages.seed: N requests with ledgers and clocks, default 10,000) in a fresh database,
adds --users staff accounts of the same organization, migrates it with `flask db upgrade`, and serves it with
`gunicorn -c gunicorn.conf.py app:app` (WEB_CONCURRENCY / FOIA_THREADS as given). Each user is a thread with its
own signed-in session (real login form and CSRF token) and loops without pause over a weighted mix:

    dashboard 20%, requests list 25%, a request page 25%, search 15%, add a note with CSRF (a write) 15%

The run is split in --rounds: each round runs the mix for duration/rounds seconds, then the same users hit the bare
route (GET /healthz?checks=database: routing, middleware and one SELECT 1) for a third of that. Prints requests/s,
p50 / p95 / p99 latency and errors (non-2xx/3xx or exceptions) of each, per operation, and the ratios app / bare.

    .venv/bin/python bench/bench_load.py [--duration 60] [--users 50] [--n 10000]
    .venv/bin/python bench/bench_load.py --db postgresql+psycopg://postgres@127.0.0.1:5432/wt_workers_load --wipe

PostgreSQL: the database's public schema is DROPPED and recreated (--wipe is required as a guard). Login rate
limits are per client address: each user sends its own X-Forwarded-For through FOIA_TRUSTED_PROXIES=1, as behind a
proxy.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests
from _serve import base_env, flask, free_port, start_gunicorn, stop

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "bench-password"
MIX = [("dashboard", 20), ("list", 25), ("request page", 25), ("search", 15), ("add note (write)", 15)]
WORDS = ["records", "Request", "police", "contract", "emails", "budget"]


def seed(db_url: str, n: int, users: int) -> list[str]:
    """The data, in this process (bulk inserts), on a schema `flask db upgrade` made. Returns request refs."""
    from bench_pages import seed as seed_requests
    from sqlalchemy import select

    from foia.accounts.service import create_user
    from foia.extensions import db
    from foia.factory import create_app
    from foia.models import Organization, Request

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench", "TESTING": True,
                      "INSTANCE_PATH": "/tmp/foia-bench-instance"})
    with app.app_context():
        seed_requests(n, datetime.now(ZoneInfo(app.config["FOIA_TIMEZONE"])).date())
        org = db.session.scalar(select(Organization).where(Organization.name == "Bench City"))
        assert org is not None
        now = datetime.now(ZoneInfo("UTC"))
        for i in range(1, users):
            create_user(db.session(), email=f"bench{i}@example.org", name=f"Bench {i}", role="staff", organization=org,
                        password=PASSWORD, now=now)
        db.session.commit()
        refs = list(db.session.scalars(select(Request.ref).where(Request.organization_id == org.id)
                                       .order_by(Request.id).limit(500)))
        if db.engine.dialect.name == "postgresql":
            from sqlalchemy import text

            db.session.execute(text("ANALYZE"))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return refs


class User:
    def __init__(self, base: str, email: str, address: str, refs: list[str], seed_: int) -> None:
        self.base, self.refs, self.rng = base, refs, random.Random(seed_)
        self.s = requests.Session()
        self.s.headers["X-Forwarded-For"] = address
        page = self.s.get(f"{base}/login", timeout=60).text
        r = self.s.post(f"{base}/login", data={"email": email, "password": PASSWORD,
                                               "csrf_token": CSRF_RE.search(page).group(1)},  # type: ignore[union-attr]
                        allow_redirects=False, timeout=60)
        assert r.status_code == 302, (email, r.status_code, r.text[:200])
        self.token = CSRF_RE.search(self.s.get(f"{base}/requests/{refs[0]}", timeout=60).text).group(1)  # type: ignore[union-attr]

    def one(self, op: str) -> requests.Response:
        b, ref = self.base, self.rng.choice(self.refs)
        if op == "dashboard":
            return self.s.get(f"{b}/dashboard", timeout=60)
        if op == "list":
            return self.s.get(f"{b}/requests", timeout=60)
        if op == "request page":
            return self.s.get(f"{b}/requests/{ref}", timeout=60)
        if op == "search":
            return self.s.get(f"{b}/search", params={"q": self.rng.choice(WORDS)}, timeout=60)
        if op == "add note (write)":
            return self.s.post(f"{b}/requests/{ref}/notes", data={"csrf_token": self.token, "body": "load test note"},
                               allow_redirects=False, timeout=60)
        if op == "bare route":
            return self.s.get(f"{b}/healthz?checks=database", timeout=60)
        raise ValueError(op)


KINDS: Counter[str] = Counter()  # what the errors were: HTTP status or exception name


def phase(users: list[User], seconds: float, ops: list[str], weights: list[int],
          results: dict[str, list[float]], errors: dict[str, int]) -> float:
    """All users loop over `ops` for `seconds`; latencies appended to results[op]. Returns the elapsed time."""
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop(user: User) -> None:
        while time.monotonic() < stop_at:
            op = user.rng.choices(ops, weights)[0]
            t0 = time.perf_counter()
            kind = ""
            try:
                status = user.one(op).status_code
                kind = f"HTTP {status}" if status >= 400 else ""
            except requests.RequestException as exc:
                kind = type(exc).__name__
            elapsed = time.perf_counter() - t0
            with lock:
                results[op].append(elapsed)
                if kind:
                    errors[op] += 1
                    KINDS[f"{op}: {kind}"] += 1

    t0 = time.monotonic()
    threads = [threading.Thread(target=loop, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - t0


def pct(xs: list[float], q: int) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[q - 1] * 1000 if len(xs) > 1 else xs[0] * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=None, help="database URL (default: a SQLite file in a temporary folder)")
    ap.add_argument("--wipe", action="store_true", help="required with a PostgreSQL --db: its schema is dropped")
    ap.add_argument("--duration", type=float, default=60, help="seconds of the mixed load (bare route: a third)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--n", type=int, default=10_000, help="requests seeded")
    ap.add_argument("--workers", default="2", help="WEB_CONCURRENCY")
    ap.add_argument("--threads", default="8", help="FOIA_THREADS")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        url = args.db or f"sqlite:///{tmp / 'load.sqlite3'}"
        if url.startswith("postgresql"):
            if not args.wipe:
                ap.error("--db on PostgreSQL drops its public schema: add --wipe")
            from sqlalchemy import create_engine, text

            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
        env = base_env(url, tmp)
        env["FOIA_TRUSTED_PROXIES"] = "1"
        t0 = time.monotonic()
        flask(env, "db", "upgrade")
        refs = seed(url, args.n, args.users)
        print(f"seeded and migrated in {time.monotonic() - t0:.0f} s")
        port = free_port()
        server = start_gunicorn(env, port, WEB_CONCURRENCY=args.workers, FOIA_THREADS=args.threads)
        try:
            base = f"http://127.0.0.1:{port}"
            emails = ["bench@example.org"] + [f"bench{i}@example.org" for i in range(1, args.users)]
            users = [User(base, e, f"10.0.{i // 250}.{i % 250 + 1}", refs, i) for i, e in enumerate(emails)]
            app_res: dict[str, list[float]] = defaultdict(list)
            app_err: dict[str, int] = defaultdict(int)
            bare_res: dict[str, list[float]] = defaultdict(list)
            bare_err: dict[str, int] = defaultdict(int)
            app_time = bare_time = 0.0
            ops, weights = [m[0] for m in MIX], [m[1] for m in MIX]
            for _ in range(args.rounds):
                app_time += phase(users, args.duration / args.rounds, ops, weights, app_res, app_err)
                bare_time += phase(users, args.duration / args.rounds / 3, ["bare route"], [1], bare_res, bare_err)
        finally:
            stop(server)
        engine_name = "postgresql" if url.startswith("postgresql") else "sqlite"
        load = subprocess.run(["cat", "/proc/loadavg"], capture_output=True, text=True).stdout.split()[0]

    all_app = [x for xs in app_res.values() for x in xs]
    bare = bare_res["bare route"]
    print(f"{engine_name}, {args.n:,} requests, {args.users} signed-in users, gunicorn {args.workers} workers x "
          f"{args.threads} threads, {args.rounds} rounds interleaved: mix {app_time:.0f} s, bare {bare_time:.0f} s; "
          f"load average {load}")
    print(f"{'':24} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")

    def line(label: str, xs: list[float], seconds: float, errs: int) -> None:
        print(f"{label:24} {len(xs):9d} {len(xs) / seconds:8.1f} {pct(xs, 50):8.1f} {pct(xs, 95):8.1f} "
              f"{pct(xs, 99):8.1f} {errs:7d}")

    for op in ops:
        line(f"  {op}", app_res[op], app_time, app_err[op])
    line("mixed load (all)", all_app, app_time, sum(app_err.values()))
    line("bare route (floor)", bare, bare_time, bare_err["bare route"])
    if KINDS:
        print("errors: " + ", ".join(f"{k} x{n}" for k, n in KINDS.most_common()))
    print(f"ratio bare / app: throughput {len(bare) / bare_time / (len(all_app) / app_time):.1f}x; "
          f"p50 app / bare {pct(all_app, 50) / pct(bare, 50):.1f}x; p99 app / bare {pct(all_app, 99) / pct(bare, 99):.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
