"""Benchmark: one reminder sweep sending 1,000 due reminders, against a real SMTP server, with its floor.

The database (``--db URL``, WIPED: use a database of your own) holds ``--total`` reminder rows: 1,000 due, the
rest reminders sent long ago (what a table looks like after years of use) plus a tenth still to come.

``--mailer smtp`` (default): the script starts aiosmtpd on 127.0.0.1 in a child process (so the server does
not share this process's interpreter) that counts every message it receives. Each round runs, interleaved
(the order alternates round by round):

* app:   ``dispatch_due`` with ``SMTPMailer`` (FOIA_SMTP_URL), after the due rows are set back to pending;
* floor: raw ``smtplib`` sending the same 1,000 messages (the bytes the app's first round delivered, so the
  same byte count) over ONE connection: MAIL / RCPT / DATA each, what the wire needs and nothing more.

Both must be received in full by the server (counted), or the script fails. It prints min / median / max of
both and the ratio app / floor (per round, and of the medians).

``--mailer memory``: the sweep with an in-memory mailer at each ``--sizes`` (the old mode: database and
rendering only; prints the ratio between the largest and smallest table).

    .venv/bin/python bench/bench_sweep.py --db postgresql+psycopg://postgres@127.0.0.1:5432/wt_sweep_bench \
        --total 10000 --rounds 3
    .venv/bin/python bench/bench_sweep.py --mailer memory --sizes 10000,1000000
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import smtplib
import socket
import statistics
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text, update

from foia.accounts.service import create_user, get_or_create_organization
from foia.demo import upsert_agencies
from foia.extensions import db
from foia.factory import create_app
from foia.mail import SMTPMailer
from foia.models import Agency, Reminder, Request, RequestClock
from foia.reminders.dispatch import DispatchSettings, dispatch_due

NOW = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)
DUE = 1000


# ----------------------------------------------------------------------------------------- the SMTP server


def _server_main(port: int, conn) -> None:
    """Child process: aiosmtpd on 127.0.0.1:port; answers ("count",) and ("take",) over `conn`."""
    from aiosmtpd.controller import Controller

    lock = threading.Lock()
    state = {"count": 0, "bytes": 0, "captured": []}

    class Counting:
        async def handle_DATA(self, server, session, envelope):
            with lock:
                state["count"] += 1
                state["bytes"] += len(envelope.original_content)
                state["captured"].append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    conn.send("ready")
    try:
        while True:
            cmd = conn.recv()
            with lock:
                if cmd == "count":
                    conn.send((state["count"], state["bytes"]))
                elif cmd == "take":  # the messages received since the last take
                    conn.send(state["captured"])
                    state["captured"] = []
                else:
                    break
    finally:
        controller.stop()


class Server:
    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.conn, child = mp.Pipe()
        self.proc = mp.get_context("spawn").Process(target=_server_main, args=(self.port, child), daemon=True)
        self.proc.start()
        assert self.conn.recv() == "ready"

    def count(self) -> tuple[int, int]:
        self.conn.send("count")
        return self.conn.recv()

    def take(self) -> list:
        self.conn.send("take")
        return self.conn.recv()

    def stop(self) -> None:
        self.conn.send("stop")
        self.proc.join(10)


# ------------------------------------------------------------------------------------------------- data


def seed(total: int) -> list[int]:
    """Wipe the database and build the rows; returns the ids of the 1,000 due reminders."""
    db.drop_all()
    db.create_all()
    s = db.session
    org = get_or_create_organization(s, "Bench City", now=NOW)
    user = create_user(s, email="bench@example.org", name="Bench", role="staff", organization=org,
                       password="bench-password", now=NOW)
    upsert_agencies(s, NOW)
    ice = s.scalar(select(Agency).where(Agency.slug == "dhs-ice"))
    s.commit()
    reqs, clocks = [], []
    for i in range(DUE):
        reqs.append(dict(id=i + 1, ref=f"FT-2026-{i + 1:06d}", ref_year=2026, ref_seq=i + 1, title=f"Request {i}",
                         records_sought="records", requester_id=user.id, organization_id=org.id, agency_id=ice.id,
                         law="us-foia", status="submitted", fee_category="other", fee_waiver=False,
                         fee_waiver_justification="", expedited=False, expedited_justification="",
                         preferred_format="", visibility="organization", tracking_number="", created_at=NOW,
                         updated_at=NOW, response_due=date(2026, 6, 30), next_due=date(2026, 6, 30)))
        clocks.append(dict(request_id=i + 1, kind="response", label="Determination due", due=date(2026, 6, 30),
                           status="open", computed_at=NOW))
    s.execute(insert(Request), reqs)
    s.execute(insert(RequestClock), clocks)
    base = dict(user_id=user.id, clock_kind="response", attempts=0, last_error="", created_at=NOW)
    due_rows = [dict(base, request_id=i + 1, due=date(2026, 6, 30), rule="on_date", seq=0,
                     send_at=NOW - timedelta(hours=1), status="pending", message_id="") for i in range(DUE)]
    s.execute(insert(Reminder), due_rows)
    batch = []
    for n in range(total - DUE):
        req_id = n % DUE + 1
        seq = n // DUE + 1
        future = n % 10 == 0  # a tenth still to come, the rest long sent
        batch.append(dict(base, request_id=req_id, due=date(2025, 1, 1) + timedelta(days=seq % 3000),
                          rule="overdue_weekly", seq=seq,
                          send_at=NOW + timedelta(days=3) if future else NOW - timedelta(days=30),
                          status="pending" if future else "sent", sent_at=None if future else NOW - timedelta(days=30),
                          message_id="" if future else f"<old-{n}@bench>"))
        if len(batch) == 20000:
            s.execute(insert(Reminder), batch)
            batch = []
    if batch:
        s.execute(insert(Reminder), batch)
    s.commit()
    if db.engine.dialect.name == "postgresql":
        s.execute(text("ANALYZE"))
        s.commit()
    return list(s.scalars(select(Reminder.id).where(Reminder.send_at == NOW - timedelta(hours=1))))


def make_due_again(due_ids: list[int]) -> None:
    s = db.session
    s.execute(update(Reminder).where(Reminder.id.in_(due_ids))
              .values(status="pending", sent_at=None, message_id="", claim_token=None, claimed_at=None, attempts=0,
                      last_error="", next_attempt_at=None).execution_options(synchronize_session=False))
    s.commit()
    if db.engine.dialect.name == "postgresql":
        s.execute(text("ANALYZE reminders"))
        s.commit()


# ---------------------------------------------------------------------------------------------- timings


def app_round(server: Server, mailer, settings: DispatchSettings, due_ids: list[int]) -> float:
    make_due_again(due_ids)
    before = server.count()[0]
    t0 = time.perf_counter()
    sent = dispatch_due(db.session, now=NOW, mailer=mailer, settings=settings)
    elapsed = time.perf_counter() - t0
    received = server.count()[0] - before
    if sent != DUE or received != DUE:
        raise SystemExit(f"app round: dispatch says {sent} sent, the server received {received}; expected {DUE}")
    return elapsed


def floor_round(server: Server, messages: list) -> float:
    before = server.count()[0]
    t0 = time.perf_counter()
    client = smtplib.SMTP("127.0.0.1", server.port, timeout=30)
    for mail_from, rcpt_tos, data in messages:
        client.sendmail(mail_from, rcpt_tos, data)
    client.quit()
    elapsed = time.perf_counter() - t0
    received = server.count()[0] - before
    if received != len(messages):
        raise SystemExit(f"floor round: the server received {received} of {len(messages)}")
    return elapsed


def spread(values: list[float]) -> str:
    return f"{min(values):.3f} / {statistics.median(values):.3f} / {max(values):.3f} s"


def run_smtp(url: str, total: int, rounds: int, batch: int | None) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "INSTANCE_PATH": "/tmp/foia-bench-instance"})
    server = Server()
    try:
        with app.app_context():
            due_ids = seed(total)
            mailer = SMTPMailer.from_url(f"smtp://127.0.0.1:{server.port}", timeout=30)
            settings = DispatchSettings() if batch is None else DispatchSettings(batch=batch)
            server.take()
            apps: list[float] = []
            floors: list[float] = []
            # Round 1: the app first (its messages are the floor's); then the order alternates.
            apps.append(app_round(server, mailer, settings, due_ids))
            messages = server.take()
            size = sum(len(m[2]) for m in messages)
            floors.append(floor_round(server, messages))
            for r in range(1, rounds):
                if r % 2:
                    floors.append(floor_round(server, messages))
                    apps.append(app_round(server, mailer, settings, due_ids))
                else:
                    apps.append(app_round(server, mailer, settings, due_ids))
                    floors.append(floor_round(server, messages))
                server.take()
            count, received_bytes = server.count()
            engine = db.engine.dialect.name
            ratios = [a / f for a, f in zip(apps, floors, strict=True)]
            print(f"{engine:10} rows={total:>9,}  {DUE} due reminders, batch {settings.batch}, {rounds} rounds; "
                  f"server received {count:,} messages ({received_bytes:,} bytes; {size:,} bytes per round)")
            print(f"  app sweep (SMTPMailer):            {spread(apps)}")
            print(f"  floor (smtplib, one connection):   {spread(floors)}")
            print(f"  ratio app / floor per round: {min(ratios):.2f} / {statistics.median(ratios):.2f} / "
                  f"{max(ratios):.2f}x (min / median / max); of the medians: "
                  f"{statistics.median(apps) / statistics.median(floors):.2f}x")
            db.session.remove()
            db.engine.dispose()
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------- memory mailer


class MemoryMailer:
    def __init__(self):
        self.sent = 0

    def send(self, msg) -> None:
        bytes(msg)  # serialise it, as a transport would
        self.sent += 1

    def send_raw(self, data: bytes, *, mail_from: str, rcpt_to: list[str]) -> None:
        self.sent += 1


def run_memory(url: str, total: int) -> float:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "INSTANCE_PATH": "/tmp/foia-bench-instance"})
    with app.app_context():
        seed(total)
        mailer = MemoryMailer()
        t0 = time.perf_counter()
        sent = dispatch_due(db.session, now=NOW, mailer=mailer, settings=DispatchSettings())
        elapsed = time.perf_counter() - t0
        assert sent == DUE, sent
        t1 = time.perf_counter()
        again = dispatch_due(db.session, now=NOW, mailer=mailer, settings=DispatchSettings())
        idle = time.perf_counter() - t1
        print(f"{db.engine.dialect.name:10} rows={total:>9,}  sweep sending {sent} reminders: {elapsed:.3f}s "
              f"({elapsed / sent * 1000:.2f} ms each); next sweep with nothing due: {idle * 1000:.1f} ms ({again} sent)")
        db.session.remove()
        db.engine.dispose()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default="sqlite:////tmp/foia-bench-sweep.sqlite3",
                    help="database URL; it is WIPED (default: a SQLite file in /tmp)")
    ap.add_argument("--mailer", choices=("smtp", "memory"), default="smtp")
    ap.add_argument("--total", type=int, default=10000, help="reminder rows in all (smtp mode)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved app/floor rounds (smtp mode, at least 3)")
    ap.add_argument("--batch", type=int, default=None, help="claim batch (default: the app's default)")
    ap.add_argument("--sizes", default="10000,1000000", help="table sizes (memory mode)")
    args = ap.parse_args()

    def clean() -> None:
        if args.db.startswith("sqlite:////"):
            for suffix in ("", "-wal", "-shm"):
                Path(args.db.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)

    if args.mailer == "smtp":
        if args.rounds < 3:
            ap.error("--rounds must be at least 3")
        clean()
        run_smtp(args.db, args.total, args.rounds, args.batch)
        return
    results = {}
    for size in (int(x) for x in args.sizes.split(",")):
        clean()
        results[size] = run_memory(args.db, size)
    if len(results) >= 2:
        small, large = min(results), max(results)
        print(f"ratio {large:,} / {small:,} rows: {results[large] / results[small]:.2f}x")


if __name__ == "__main__":
    main()
