"""Scale data for the benches: a database of N requests built through the migrations (not a test).

    .venv/bin/python bench/scale_data.py --db URL --n 100000 [--copies 10] [--revision 0020_jobs]
    .venv/bin/python bench/scale_data.py --db URL_OF_A_COPY --n 100000 --copies 10 --replicate-only

Builds the schema with the project's migrations (so the PostgreSQL tsvector index and the SQLite FTS5
triggers are real), seeds ``--n`` requests with ``bench_pages.seed`` (two organizations, private / shared /
public requests over the demo agencies, each with a ledger, clocks computed by the app's own bulk
recompute, a share closed) and one 400-800 character search entry per request (English-like text with a
few rare words: ``bench_search.make_text``). With ``--copies K`` (PostgreSQL only) the seeded set is then
replicated K-1 more times in SQL: every table with a ``request_id`` column is copied with its ids shifted,
so 100k seeded requests x 10 copies is 1M requests with 3.5M events and 1M search entries, the way the
performance review built its 1M database. Ends with ANALYZE (VACUUM ANALYZE on PostgreSQL).

THE DATABASE IS WIPED: its ``public`` schema (PostgreSQL) or its file (SQLite) is rebuilt.

The signed-in bench user is ``bench@example.org`` / ``bench-password`` (staff, organization "Bench City");
``outsider@example.org`` is a reporter of another organization. A built PostgreSQL database can serve as a
template: ``createdb -T foia_scale_1m my_copy`` (no one may be connected to the template).
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def normalise(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def wipe(url: str) -> None:
    from sqlalchemy import create_engine, text

    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    elif url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


def add_search_entries(session, rng: random.Random) -> int:
    """One search entry per request, as the app writes for a request's own text."""
    from bench_search import make_text
    from sqlalchemy import insert, inspect, select

    from foia.models import Request, SearchEntry

    # From revision 0021 on, an entry carries its request's visibility columns (as SearchEntry.of writes them).
    carries = "visibility" in {c["name"] for c in inspect(session.get_bind()).get_columns("search_entries")}
    rows = []
    count = 0
    for rid, title, org, requester, vis in session.execute(
            select(Request.id, Request.title, Request.organization_id, Request.requester_id, Request.visibility)
            .order_by(Request.id)):
        body = make_text(rng)[: rng.randint(400, 800)]
        rows.append(dict(request_id=rid, source_type="request", source_id=rid, title=title, body=body,
                         **(dict(organization_id=org, requester_id=requester, visibility=vis) if carries else {})))
        if len(rows) == 5000:
            session.execute(insert(SearchEntry), rows)
            count += len(rows)
            rows = []
    if rows:
        session.execute(insert(SearchEntry), rows)
        count += len(rows)
    session.commit()
    return count


def replicate(engine, copies: int) -> None:
    """Copy every request and each row that hangs off it ``copies - 1`` more times, ids shifted."""
    from sqlalchemy import inspect, text

    insp = inspect(engine)
    tables = [t for t in insp.get_table_names()
              if t == "requests" or any(c["name"] == "request_id" for c in insp.get_columns(t))]
    with engine.begin() as conn:
        counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}
        tables = [t for t in tables if counts[t]]
        span = {t: conn.execute(text(f'SELECT coalesce(max(id), 0) FROM "{t}"')).scalar_one() for t in tables}
    fks = {t: {fk["constrained_columns"][0]: fk["referred_table"]
               for fk in insp.get_foreign_keys(t) if len(fk["constrained_columns"]) == 1} for t in tables}
    print(f"replicating x{copies}: " + ", ".join(f"{t} {counts[t]:,}" for t in tables))
    # Parents first: requests, then the rest (their FKs point at requests or at tables copied before them).
    order = ["requests"] + sorted(t for t in tables if t != "requests")
    for k in range(1, copies):
        t0 = time.perf_counter()
        with engine.begin() as conn:
            for t in order:
                cols = [c["name"] for c in insp.get_columns(t) if not c.get("computed")]  # not tsv
                exprs = []
                for c in cols:
                    if c == "id":
                        exprs.append(f"id + {k * span[t]}")
                    elif c in fks[t] and fks[t][c] in span:
                        exprs.append(f'"{c}" + {k * span[fks[t][c]]}')
                    elif t == "requests" and c == "ref":
                        exprs.append(f"ref || '-{k}'")
                    elif t == "requests" and c == "ref_seq":
                        exprs.append(f"ref_seq + {k * span['requests']}")
                    elif t == "search_entries" and c == "source_id":
                        exprs.append(f"CASE WHEN source_type = 'request' THEN source_id + {k * span['requests']} "
                                     "ELSE source_id END")
                    else:
                        exprs.append(f'"{c}"')
                collist = ", ".join(f'"{c}"' for c in cols)
                conn.execute(text(f'INSERT INTO "{t}" ({collist}) SELECT {", ".join(exprs)} FROM "{t}" '
                                  f"WHERE id <= {span[t]}"))
        print(f"  copy {k + 1}/{copies} in {time.perf_counter() - t0:.1f} s")
    with engine.begin() as conn:
        for t in order:
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM \"{t}\"))"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True, help="database URL (WIPED)")
    ap.add_argument("--n", type=int, default=100_000, help="requests to seed")
    ap.add_argument("--copies", type=int, default=1, help="PostgreSQL: replicate the seeded set this many times")
    ap.add_argument("--revision", default="head",
                    help="migrate to this revision (e.g. 0020_jobs, to test a later migration's backfill at scale)")
    ap.add_argument("--replicate-only", action="store_true",
                    help="do not wipe or seed: replicate the requests already there (e.g. a createdb -T copy)")
    args = ap.parse_args()
    url = normalise(args.db)
    if args.copies > 1 and not url.startswith("postgresql"):
        ap.error("--copies needs PostgreSQL")

    import bench_pages
    from flask_migrate import upgrade
    from sqlalchemy import text

    from foia.extensions import db
    from foia.factory import create_app

    if not args.replicate_only:
        wipe(url)
    tmp = Path(tempfile.mkdtemp(prefix="foia-scale-"))
    config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(tmp / "instance"),
              "FOIA_STORAGE_DIR": str(tmp / "storage")}
    if url.startswith("postgresql"):
        # The bulk recompute's IN-lists must not become a generic prepared plan while seeding.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"prepare_threshold": None}}
    app = create_app(config)
    started = time.perf_counter()
    with app.app_context():
        logging.getLogger("alembic").setLevel(logging.WARNING)
        if not args.replicate_only:
            upgrade(revision=args.revision)
            bench_pages.seed(args.n, datetime.now(ZoneInfo(app.config["FOIA_TIMEZONE"])).date())
            t0 = time.perf_counter()
            n = add_search_entries(db.session, random.Random(20261130))
            print(f"added {n:,} search entries in {time.perf_counter() - t0:.1f} s")
            db.session.remove()
        if args.copies > 1:
            replicate(db.engine, args.copies)
        t0 = time.perf_counter()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        print(f"analysed in {time.perf_counter() - t0:.1f} s")
        db.engine.dispose()
    print(f"built {args.n * args.copies:,} requests at {url} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
