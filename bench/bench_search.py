"""Benchmark: search latency at scale, staff and outsider, against a raw FTS floor (not a timed test).

    .venv/bin/python bench/bench_search.py [--n 10000] [--queries 120] [--rounds 3]
    .venv/bin/python bench/bench_search.py --db URL [--list] [--code DIR]

Data: without ``--db`` it builds its own, through the migrations, with ``scale_data``'s functions
(``--n`` requests over two organizations, private / shared / public, one 400-800 character search entry
each: ``bench_pages.seed`` + ``scale_data.add_search_entries``) in a fresh SQLite file, or in ``--build-db
URL`` (a PostgreSQL database: WIPED). With ``--db URL`` it reuses a database built by
``bench/scale_data.py`` (e.g. a ``createdb -T foia_scale_1m`` copy, migrated to head), read-only.

Queries: ``--queries`` searches drawn with a fixed seed from six kinds (a common word, a rare word, two
common words, rare + common, a miss, operator-heavy input), each run as the staff user
``bench@example.org`` (own organization or public: ~78% of requests) and as ``outsider@example.org`` (a
reporter of the other organization: own or public requests), through ``foia.search.service.search`` with
the search page's limit (50). Each app search is interleaved with its floor, measured in the same run:
the raw FTS query alone on the same table (SQLite ``SELECT rowid FROM search_fts WHERE search_fts MATCH q
LIMIT 20``; PostgreSQL ``SELECT id FROM search_entries WHERE tsv @@ websearch_to_tsquery('english', q)
LIMIT 20``: no visibility, no ranking). Each query runs ``--rounds`` times (app, floor, app, floor ...).
Prints p50 / p95 / max per kind and user, the floor's, and the ratio app / floor of the medians.
Target: p95 under 100 ms for every kind.

``--list`` also times the requests list's text filter (``browse_requests`` with ``q``: a match and a
miss, staff and outsider), interleaved with the unfiltered list as its floor.

``--code DIR`` imports the app from DIR instead of this checkout (e.g. a ``git archive`` of an older
commit, to measure "before" on the same data with the same script).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

NOW = datetime(2026, 1, 15, 18, 0, tzinfo=UTC)
COMMON = ["the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "they", "you", "were", "her", "she", "there", "been", "one", "all", "we", "their", "has", "would", "when", "if", "so", "no", "will", "more", "can", "out", "up", "other", "into", "some", "could", "them", "than", "then", "its", "only", "over", "also", "after", "new", "two", "time", "first", "any", "these", "may", "such", "like", "our", "about"]
DOMAIN = ["records", "request", "agency", "department", "police", "sheriff", "detention", "facility", "transfer", "memo", "email", "report", "budget", "contract", "vendor", "audit", "inspection", "complaint", "officer", "deputy", "custody", "jail", "immigration", "county", "city", "council", "meeting", "minutes", "policy", "training", "incident", "review", "investigation", "payment", "invoice", "schedule", "letter", "response", "release", "exemption", "privacy", "redaction", "appeal", "deadline", "extension", "clarification", "fee", "waiver", "document", "camera", "footage", "body", "worn", "surveillance", "data", "spreadsheet", "analysis", "statistics", "arrest", "booking", "housing", "medical", "health", "grievance", "hearing", "board", "commission", "director", "chief", "supervisor", "staff", "employee", "overtime", "payroll", "procurement"]
RARE = ["Adelanto", "zyzzogeton", "quillfeather", "marrowbone", "obsidianite", "Calexico", "Victorville", "thistlewood", "kestrelmoor", "Lompoc", "brackwater"]


def make_text(rng: random.Random) -> str:
    target = rng.randint(2000, 5000)
    parts: list[str] = []
    size = 0
    while size < target:
        n = rng.randint(8, 22)
        words = [rng.choice(DOMAIN) if rng.random() < 0.35 else rng.choice(COMMON) for _ in range(n)]
        if rng.random() < 0.04:
            words.insert(rng.randrange(len(words)), rng.choice(RARE))
        sentence = " ".join(words).capitalize() + rng.choice((".", ".", ".", "?", ";"))
        parts.append(sentence)
        size += len(sentence) + 1
        if rng.random() < 0.12:
            parts.append("\n\n")
    return " ".join(parts)


KINDS = ["common", "rare", "two common", "rare+common", "miss", "operators"]


def make_queries(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(kind, query) pairs, the kinds in fixed proportions."""
    makers = {
        "common": lambda: rng.choice(DOMAIN),
        "rare": lambda: rng.choice(RARE),
        "two common": lambda: f"{rng.choice(DOMAIN)} {rng.choice(DOMAIN)}",
        "rare+common": lambda: f"{rng.choice(RARE)} {rng.choice(DOMAIN)}",
        "miss": lambda: rng.choice(["nonexistentword", "qwertyuiop", "xylophonic"]),
        "operators": lambda: rng.choice(['"detention" AND NOT facility*', "NEAR(jail custody)", "title:memo OR budget"]),
    }
    weights = [30, 20, 25, 15, 5, 5]
    out = []
    for _ in range(count):
        kind = rng.choices(KINDS, weights)[0]
        out.append((kind, makers[kind]()))
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def fmt(values: list[float]) -> str:
    return f"{pct(values, 0.5):7.1f} {pct(values, 0.95):7.1f} {max(values):7.1f}"


def floor_sql(dialect: str) -> str:
    if dialect == "sqlite":
        return "SELECT rowid FROM search_fts WHERE search_fts MATCH :q LIMIT 20"
    return "SELECT id FROM search_entries WHERE tsv @@ websearch_to_tsquery('english', :q) LIMIT 20"


def floor_query(dialect: str, terms: list[str]) -> str:
    """The same terms the app searches for, in the engine's own syntax (quoted FTS5 strings; plain words)."""
    if dialect == "sqlite":
        return " ".join('"' + t.replace('"', '""') + '"' for t in terms)
    return " ".join(terms)


def build(url: str, n: int) -> None:
    """Build ``n`` requests with their search entries through the migrations (scale_data's functions)."""
    import logging
    from zoneinfo import ZoneInfo

    import bench_pages
    from flask_migrate import upgrade
    from scale_data import add_search_entries, wipe

    from foia.extensions import db
    from foia.factory import create_app

    wipe(url)
    tmp = Path(tempfile.mkdtemp(prefix="foia-bench-search-"))
    config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(tmp / "instance"),
              "FOIA_STORAGE_DIR": str(tmp / "storage")}
    if url.startswith("postgresql"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"prepare_threshold": None}}
    app = create_app(config)
    t0 = time.perf_counter()
    with app.app_context():
        logging.getLogger("alembic").setLevel(logging.WARNING)
        upgrade()
        bench_pages.seed(n, datetime.now(ZoneInfo(app.config["FOIA_TIMEZONE"])).date())
        add_search_entries(db.session, random.Random(20261130))
        db.session.remove()
        from sqlalchemy import text
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"))
        db.engine.dispose()
    print(f"built {n:,} requests in {time.perf_counter() - t0:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=None, help="a database built by bench/scale_data.py (read only)")
    parser.add_argument("--build-db", default=None, help="build the data here (PostgreSQL URL: WIPED)")
    parser.add_argument("--n", type=int, default=10_000, help="requests to build (without --db)")
    parser.add_argument("--queries", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each query (app and floor interleaved)")
    parser.add_argument("--list", action="store_true", help="also time the requests list's text filter")
    parser.add_argument("--code", default=None, help="import the app from this folder instead of this checkout")
    args = parser.parse_args()
    from scale_data import normalise  # (it puts this checkout on sys.path: --code goes before it)

    sys.path.insert(0, str(Path(args.code).resolve() if args.code else ROOT))

    tmp = Path(tempfile.mkdtemp(prefix="foia-bench-search-"))
    if args.db:
        url = normalise(args.db)
    else:
        url = normalise(args.build_db or f"sqlite:///{tmp / 'bench.sqlite3'}")
        build(url, args.n)

    from sqlalchemy import select, text

    import foia
    from foia.extensions import db
    from foia.factory import create_app
    from foia.models import User
    from foia.search.service import query_terms, search

    config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(tmp / "instance"),
              "FOIA_STORAGE_DIR": str(tmp / "storage")}
    app = create_app(config)
    with app.app_context():
        s = db.session
        dialect = db.engine.dialect.name
        users = {"staff": s.scalar(select(User).where(User.email == "bench@example.org")),
                 "outsider": s.scalar(select(User).where(User.email == "outsider@example.org"))}
        for u in users.values():
            assert u is not None, "no bench users: build the database with bench/scale_data.py"
            s.expunge(u)  # loaded once, as a page's current_user is: a rollback must not expire it
        entries = s.scalar(text("SELECT count(*) FROM search_entries"))
        head = os.popen(f"git -C {Path(foia.__file__).resolve().parent.parent} rev-parse --short HEAD 2>/dev/null").read().strip()
        print(f"{dialect}: {entries:,} search entries; app code {Path(foia.__file__).resolve().parent} "
              f"({head or 'not a git checkout'}); {args.queries} queries x {args.rounds} rounds, limit 50")
        floor = text(floor_sql(dialect))
        queries = make_queries(random.Random(7), args.queries)
        app_ms: dict[tuple[str, str], list[float]] = {}
        floor_ms: dict[tuple[str, str], list[float]] = {}
        slow: list[tuple[float, str, str, int]] = []
        for _kind, q in queries[:6]:  # warm the caches
            for u in users.values():
                search(s, u, q, limit=50)
            s.rollback()
        for _ in range(args.rounds):
            for kind, q in queries:
                fq = floor_query(dialect, query_terms(q))
                for who, u in users.items():
                    t0 = time.perf_counter()
                    hits = search(s, u, q, limit=50)
                    t1 = time.perf_counter()
                    s.rollback()
                    if fq:
                        t2 = time.perf_counter()
                        s.execute(floor, {"q": fq}).all()
                        t3 = time.perf_counter()
                        s.rollback()
                        floor_ms.setdefault((kind, who), []).append((t3 - t2) * 1000)
                    app_ms.setdefault((kind, who), []).append((t1 - t0) * 1000)
                    slow.append(((t1 - t0) * 1000, who, q, len(hits)))
        print(f"{'kind':<12} {'user':<9} {'n':>4} | {'app p50':>7} {'p95':>7} {'max':>7} | "
              f"{'floor p50':>9} {'p95':>7} {'max':>7} | ratio p50 | p95<100")
        worst = 0.0
        for kind in KINDS:
            for who in users:
                a = app_ms.get((kind, who))
                if not a:
                    continue
                f = floor_ms.get((kind, who))
                worst = max(worst, pct(a, 0.95))
                ratio = f"{pct(a, 0.5) / max(pct(f, 0.5), 1e-3):8.1f}x" if f else "    (none)"
                print(f"{kind:<12} {who:<9} {len(a):>4} | {fmt(a)} | {'' if f else '  (nothing to search)':>9}"
                      f"{fmt(f) if f else ''} | {ratio} | {'OK' if pct(a, 0.95) < 100 else 'MISSED'}")
        for who in users:
            a = [t for (k, w), ts in app_ms.items() if w == who for t in ts]
            f = [t for (k, w), ts in floor_ms.items() if w == who for t in ts]
            print(f"{'ALL':<12} {who:<9} {len(a):>4} | {fmt(a)} | {fmt(f)} | "
                  f"{pct(a, 0.5) / max(pct(f, 0.5), 1e-3):8.1f}x | {'OK' if pct(a, 0.95) < 100 else 'MISSED'}")
        print(f"worst p95 of a kind: {worst:.1f} ms (target < 100 ms: {'OK' if worst < 100 else 'MISSED'})")
        print("slowest:")
        for t, who, q, n in sorted(slow, reverse=True)[:5]:
            print(f"  {t:7.1f} ms  {who:<8} {n:2d} hits  {q!r}")
        if args.list:
            time_list(s, users, args.rounds)
        s.remove() if hasattr(s, "remove") else None
        db.engine.dispose()


def time_list(s, users, rounds: int) -> None:
    """The requests list's text filter (match, miss) against the unfiltered list, interleaved."""
    from foia.requests.queries import ListQuery, browse_requests

    # Titles are "Request <n>": 4711 matches 11 requests, "Request 1" one in nine, "Request" every one.
    cases = {"match": "Request 4711", "miss": "zqxjv-nothing", "common": "Request 1", "every": "Request"}
    runs = max(5, rounds * 3)
    print(f"requests list text filter (browse_requests, 50 a page), {runs} runs each:")
    print(f"{'filter':<28} {'user':<9} | {'app p50':>7} {'p95':>7} {'max':>7} | "
          f"{'floor p50':>9} {'p95':>7} {'max':>7} | ratio p50  rows/total")
    for label, q in cases.items():
        for who, u in users.items():
            a: list[float] = []
            f: list[float] = []
            page = None
            for _ in range(runs):
                t0 = time.perf_counter()
                page = browse_requests(s, u, ListQuery(q=q))
                t1 = time.perf_counter()
                s.rollback()
                browse_requests(s, u, ListQuery())
                t2 = time.perf_counter()
                s.rollback()
                a.append((t1 - t0) * 1000)
                f.append((t2 - t1) * 1000)
            assert page is not None
            print(f"{label + ' q=' + repr(q):<28} {who:<9} | {fmt(a)} | {'':>2}{fmt(f)} | "
                  f"{pct(a, 0.5) / max(pct(f, 0.5), 1e-3):8.1f}x  {len(page.rows)}/{page.total}")


if __name__ == "__main__":
    main()
