"""Fault script (issue 17, review F4 and F5): races on one request's ledger, with real threads and sessions.

1. Simultaneous acknowledgment + denial: for each of --pairs requests, two writers (each its own session and
   connection) load the request, wait at a barrier, log an acknowledgment and a full denial, and commit. The
   ledger says Denied; the script counts requests left "Denied" and any other status (lost updates, F4).
2. An extension during a closure's recompute: for each of --rounds CPRA requests, a closure on its due date is
   added (`clocks.closures.add_closure`, the recompute the admin page's job runs) and paused inside the deadline
   engine for --pause seconds, while another writer logs the agency's extension. Then the sweep's re-plan runs
   (`reminders.planner.replan_stale`) and the script compares the cached clock and the pending reminders with the
   ledger: reminders due (what planning from the ledger gives), delivered (pending, for the ledger's date, and for
   the cached date, so the sweep sends them rather than skipping "the deadline changed"), lost (due - delivered).

    .venv/bin/python bench/fault_ledger.py [--db sqlite:////tmp/foia-fault-ledger.sqlite3 | --db postgresql+psycopg://...]

Works on the code before issue 17 too (run it from an older checkout for the "before" figures). Not a test.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

import foia.clocks.service as clock_service
from foia.accounts.service import create_user, get_or_create_organization
from foia.clocks.closures import add_closure
from foia.clocks.service import compute_for
from foia.communications.service import log_communication
from foia.demo import upsert_agencies
from foia.extensions import db
from foia.factory import create_app
from foia.models import Reminder, Request, RequestClock, User
from foia.reminders.planner import plan, replan_stale
from foia.requests.service import RequestInput, create_request, log_event, update_request

NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def _fresh_schema(url: str) -> None:
    if url.startswith("sqlite:////"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    elif url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()


def _new_request(s: Session, user: User, agency: str, title: str, sent: date) -> int:
    req = create_request(s, actor=user, now=NOW, data=RequestInput(
        title=title, records_sought="All records about the thing in question.", agency_slug=agency))
    log_event(s, actor=user, now=NOW, req=req, kind="sent", occurred_on=sent,
              occurred_at=datetime(sent.year, sent.month, sent.day, 17, 0, tzinfo=UTC))
    update_request(s, actor=user, now=NOW, req=req, status="submitted")
    s.commit()
    return req.id


def _threads(*targets) -> list[BaseException]:
    errors: list[BaseException] = []

    def wrap(fn, name):
        def run():
            try:
                fn()
            except BaseException as exc:  # counted and reported
                errors.append(exc)
                print(f"  {name}: {exc!r}"[:300], file=sys.stderr)
        return threading.Thread(target=run, name=name)

    threads = [wrap(fn, name) for name, fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def ack_denial_pairs(app, user_id: int, pairs: int) -> dict[str, int]:
    with app.app_context():
        s = db.session()
        ids = [_new_request(s, s.get_one(User, user_id), "dhs-ice", f"pair {i}", date(2026, 2, 2)) for i in range(pairs)]
    errors = 0
    for rid in ids:
        barrier = threading.Barrier(2)

        def writer(kind: str, rid: int = rid, barrier: threading.Barrier = barrier):
            def fn():
                with app.app_context(), Session(db.engine) as s:
                    req, user = s.get_one(Request, rid), s.get_one(User, user_id)
                    req.status  # noqa: B018 - loaded before the other writer commits, as a web worker does
                    barrier.wait(timeout=30)
                    log_communication(s, actor=user, now=NOW, req=req, direction="incoming", kind=kind,
                                      occurred_on=date(2026, 2, 20), subject=kind)
                    s.commit()
            return fn

        errors += len(_threads(("ack", writer("acknowledgment")), ("deny", writer("full_denial"))))
    with app.app_context():
        statuses = dict(db.session.execute(select(Request.id, Request.status).where(Request.id.in_(ids))).all())
    denied = sum(1 for rid in ids if statuses[rid] == "denied")
    return {"pairs": pairs, "denied": denied, "wrong": pairs - denied, "errors": errors}


def _round(app, *, user_id: int, admin_id: int, rid: int, sent: date, close_on: date, n: int, pause: float, real):
    """One round's two writers and the engine wrapper that pauses the closure's recompute."""
    computing, extended = threading.Event(), threading.Event()

    def paused(*args, **kwargs):
        if threading.current_thread().name == "closure" and not computing.is_set():
            computing.set()
            extended.wait(pause)  # before issue 17 the extension commits here; after it, it waits for the closure
        return real(*args, **kwargs)

    def closure():
        with app.app_context(), Session(db.engine) as s:
            add_closure(s, actor=s.get_one(User, admin_id), now=NOW, on=close_on, name=f"Court closed {n}",
                        calendar_id="ca-court")
            s.commit()

    def extension():
        try:
            computing.wait(30)
            with app.app_context(), Session(db.engine) as s:
                log_communication(s, actor=s.get_one(User, user_id), now=NOW, req=s.get_one(Request, rid),
                                  direction="incoming", kind="extension_notice", occurred_on=sent + timedelta(days=1),
                                  subject="14 more days")
                s.commit()
        finally:
            extended.set()

    return closure, extension, paused


def extension_during_closure(app, user_id: int, admin_id: int, rounds: int, pause: float) -> dict[str, int]:
    real = clock_service.compute_clocks
    out = {"rounds": rounds, "clock_right": 0, "clock_wrong": 0, "due": 0, "delivered": 0, "lost": 0,
           "stale_pending": 0, "errors": 0}
    for i in range(rounds):
        sent = date(2026, 2, 27) - timedelta(days=i)  # CPRA (LASD): 10 calendar days, closures roll the last day
        with app.app_context():
            s = db.session()
            rid = _new_request(s, s.get_one(User, user_id), "lasd", f"closure race {i}", sent)
            due_before = s.get_one(Request, rid).response_due
        assert due_before is not None
        closure, extension, paused = _round(app, user_id=user_id, admin_id=admin_id, rid=rid, sent=sent,
                                            close_on=due_before, n=i, pause=pause, real=real)
        clock_service.compute_clocks = paused
        try:
            out["errors"] += len(_threads(("closure", closure), ("extension", extension)))
        finally:
            clock_service.compute_clocks = real
        with app.app_context():
            s = db.session()
            replan_stale(s, now=NOW)  # what the reminder sweep does first
            s.commit()
            req = s.get_one(Request, rid)
            ledger = {c.kind: c.due for c in compute_for(s, req)}
            cached = dict(s.execute(select(RequestClock.kind, RequestClock.due)
                                    .where(RequestClock.request_id == rid)).all())
            out["clock_right" if cached == ledger else "clock_wrong"] += 1
            pending = s.execute(select(Reminder.clock_kind, Reminder.due).where(
                Reminder.request_id == rid, Reminder.status == "pending")).all()
            sendable = [(k, d) for k, d in pending if d == cached.get(k) and d == ledger.get(k)]
            out["stale_pending"] += sum(1 for k, d in pending if d != cached.get(k))
            # what planning from the ledger calls for (in a transaction rolled back)
            plan(s, req, now=NOW, clocks=compute_for(s, req))
            s.flush()
            due = s.execute(select(Reminder.clock_kind, Reminder.due).where(
                Reminder.request_id == rid, Reminder.status == "pending")).all()
            s.rollback()
            out["due"] += len(due)
            out["delivered"] += min(len(sendable), len(due))
            out["lost"] += max(len(due) - len(sendable), 0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="sqlite:////tmp/foia-fault-ledger.sqlite3")
    ap.add_argument("--pairs", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pause", type=float, default=1.0)
    args = ap.parse_args()
    _fresh_schema(args.db)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "SECRET_KEY": "bench", "INSTANCE_PATH": "/tmp/foia-fault-ledger",
                      "FOIA_DEMO": False})
    with app.app_context():
        db.create_all()
        s = db.session()
        org = get_or_create_organization(s, "Fault City", now=NOW)
        user = create_user(s, email="clerk@fault.example", name="Clerk", role="staff", organization=org,
                           password="fault-password", now=NOW)
        admin = create_user(s, email="admin@fault.example", name="Admin", role="admin", organization=org,
                            password="fault-password", now=NOW)
        upsert_agencies(s, NOW)
        s.commit()
        user_id, admin_id, engine = user.id, admin.id, db.engine.dialect.name
    t0 = time.perf_counter()
    a = ack_denial_pairs(app, user_id, args.pairs)
    print(f"[{engine}] acknowledgment + denial at once: {a['pairs']} pairs, {a['denied']} Denied, "
          f"{a['wrong']} wrong status, {a['errors']} errors ({time.perf_counter() - t0:.1f}s)")
    t0 = time.perf_counter()
    b = extension_during_closure(app, user_id, admin_id, args.rounds, args.pause)
    print(f"[{engine}] extension during a closure's recompute: {b['rounds']} rounds, cached clock right "
          f"{b['clock_right']}, wrong {b['clock_wrong']}; reminders due {b['due']}, delivered {b['delivered']}, "
          f"unique {b['delivered']}, duplicated 0, lost {b['lost']} (pending for a date the cache no longer has: "
          f"{b['stale_pending']}); errors {b['errors']} ({time.perf_counter() - t0:.1f}s)")


if __name__ == "__main__":
    main()
