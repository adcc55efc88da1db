"""Fault script for the reminder mailer (issue 17; review F1, F2, F7, F8). Anyone can run it:

    .venv/bin/python bench/fault_reminders.py                         # this checkout, SQLite
    .venv/bin/python bench/fault_reminders.py --pg postgresql+psycopg://postgres@127.0.0.1:5432
    .venv/bin/python bench/fault_reminders.py --repo /path/to/other/checkout --scenario ahead

Scenarios (each on a fresh database with N requests filed over the past weeks, so their reminders are due now;
the SMTP relays are aiosmtpd servers (or a silent socket) started by this script on 127.0.0.1):

  slow     two dispatcher processes sweeping every 2 s against a relay taking DELAY s per message, with a lease
           shorter than a batch takes (the review's 5 s/message with a 300 s lease, scaled: --delay, --lease)
  ahead    one dispatcher on the wall clock and, once it is sending, one `--now` 2 h ahead (a skewed host or a
           catch-up run), both sweeping every second, default lease, relay 0.2 s/message
  outage   virtual time: the relay refuses connections for 120 min, then comes back; a sweep every minute.
           Reports how many minutes after the relay came back everything was delivered
  silent   a relay that accepts TCP and never answers: how long one sweep stalls; then a working relay and
           one sweep a minute later: how many are delivered

Per scenario it prints due / delivered / unique / duplicated / lost (and the scenario's own figure):
due = reminders due at the start that were not legitimately skipped; delivered = messages the relay accepted;
unique = distinct Message-IDs; duplicated = delivered - unique; lost = due reminders never accepted by the relay.
The dispatchers run the checkout given by --repo (its own .venv, its own `foia` package), so the same script
measures the code before and after a change. PostgreSQL databases are created and dropped with createdb/dropdb.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]

# ------------------------------------------------------------------------------------------------ relays


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """aiosmtpd handler: records each accepted message's Message-ID (after `delay` seconds) with a stamp."""

    def __init__(self, delay: float = 0.0, stamp=time.time) -> None:
        self.delay = delay
        self.stamp = stamp
        self.accepted: list[tuple[str, float]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        mid = ""
        for line in envelope.original_content.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                mid = line.split(b":", 1)[1].strip().decode()
                break
            if not line:
                break
        with self.lock:
            self.accepted.append((mid, self.stamp()))
        return "250 OK"

    def ids(self) -> list[str]:
        with self.lock:
            return [m for m, _ in self.accepted]


def start_relay(handler: Recorder, port: int):
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    return controller


class Silent:
    """Accepts TCP connections and never says a word (the review's black hole)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(100)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
                self.held.append(conn)
            except OSError:
                continue

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        for c in self.held:
            c.close()
        self.sock.close()


# ------------------------------------------------------------------------------------------------ driver
# Runs inside the checkout under test (python bench/fault_reminders.py --driver ...; PYTHONPATH=<repo>).


def _app():
    from foia.factory import create_app

    return create_app()


def driver_setup(n: int) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from foia.accounts.service import create_user, get_or_create_organization
    from foia.demo import upsert_agencies
    from foia.extensions import db
    from foia.models import Reminder
    from foia.requests.service import RequestInput, create_request, log_event

    app = _app()
    with app.app_context():
        upgrade()
        session = db.session()
        t0 = datetime.now(UTC)
        made = t0 - timedelta(days=70)
        org = get_or_create_organization(session, "City", now=made)
        upsert_agencies(session, made)
        user = create_user(session, email="clerk@city.example", name="Clerk", role="staff", organization=org,
                           password="correct horse battery", now=made)
        create_user(session, email="admin@city.example", name="Admin", role="admin", organization=org,
                    password="correct horse battery", now=made)
        for i in range(n):
            sent = (t0 - timedelta(days=8 + (i * 37) % 40)).replace(hour=16, minute=0, second=0, microsecond=0)
            req = create_request(session, actor=user, now=sent, data=RequestInput(
                title=f"fault {i}", records_sought="Records about the thing in question.",
                agency_slug="dhs-ice" if i % 2 else "lasd"))
            log_event(session, actor=user, now=sent, req=req, kind="sent", occurred_on=sent.date(), occurred_at=sent)
            session.commit()
        due = list(session.scalars(select(Reminder.id).where(Reminder.status == "pending", Reminder.send_at <= t0)))
        session.commit()
    return {"t0": t0.isoformat(), "due_ids": due}


def _sweep(app, now: datetime) -> int:
    from foia.extensions import db
    from foia.reminders.dispatch import dispatch_due, dispatch_settings, mailer_for

    with app.app_context():
        try:
            return dispatch_due(db.session(), now=now, mailer=mailer_for(app.config),
                                settings=dispatch_settings(app.config))
        except Exception as exc:  # a dispatcher that fails keeps sweeping, as the scheduler does
            db.session.rollback()
            print(f"sweep failed: {exc}", file=sys.stderr)
            return 0
        finally:
            db.session.remove()


def _left(app, now: datetime) -> int:
    from sqlalchemy import func, select

    from foia.extensions import db
    from foia.models import Reminder

    with app.app_context():
        try:
            return db.session.scalar(select(func.count(Reminder.id)).where(
                Reminder.status.in_(("pending", "sending")), Reminder.send_at <= now)) or 0
        finally:
            db.session.remove()


def driver_loop(offset: float, interval: float, limit: float) -> dict:
    """Sweep at wall clock + offset every `interval` s until nothing due is left (twice) or `limit` s pass."""
    app = _app()
    started = time.time()
    sent, sweeps, idle = 0, 0, 0
    while time.time() - started < limit:
        now = datetime.now(UTC) + timedelta(seconds=offset)
        sent += _sweep(app, now)
        sweeps += 1
        idle = idle + 1 if _left(app, now) == 0 else 0
        if idle >= 2:
            break
        time.sleep(interval)
    return {"sent": sent, "sweeps": sweeps, "seconds": round(time.time() - started, 1)}


def driver_outage(t0_iso: str, outage_min: int, horizon_min: int) -> dict:
    """Virtual time: the relay refuses connections until t0 + outage, then accepts; a sweep every minute."""
    app = _app()
    t0 = datetime.fromisoformat(t0_iso)
    port = free_port()
    app.config["FOIA_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    clock = {"t": 0}
    handler = Recorder(stamp=lambda: clock["t"])
    relay = None
    due_left = None
    for minute in range(horizon_min + 1):
        clock["t"] = minute
        if minute == outage_min:
            relay = start_relay(handler, port)
        _sweep(app, t0 + timedelta(minutes=minute))
        due_left = _left(app, t0)
        if minute >= outage_min and due_left == 0:
            break
    if relay is not None:
        relay.stop()
    return {"accepted": handler.accepted, "last_minute": clock["t"], "due_left": due_left}


def driver_silent(t0_iso: str, cap: float) -> dict:
    """One sweep against a silent relay (timed, capped), then a working relay and one sweep a minute later."""
    app = _app()
    t0 = datetime.fromisoformat(t0_iso)
    hole = Silent()
    app.config["FOIA_SMTP_URL"] = f"smtp://127.0.0.1:{hole.port}"
    done = threading.Event()

    def run():
        _sweep(app, t0)
        done.set()

    started = time.time()
    threading.Thread(target=run, daemon=True).start()
    finished = done.wait(cap)
    stall = time.time() - started
    hole.close()
    if not finished:  # still stuck in the silent relay: report and stop here (the thread holds claims)
        return {"stall_s": round(stall, 1), "finished": False, "accepted": []}
    port = free_port()
    handler = Recorder()
    relay = start_relay(handler, port)
    app.config["FOIA_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    _sweep(app, t0 + timedelta(minutes=1))
    relay.stop()
    return {"stall_s": round(stall, 1), "finished": True, "accepted": handler.accepted}


def driver_final() -> dict:
    from sqlalchemy import select

    from foia.extensions import db
    from foia.models import Reminder

    app = _app()
    with app.app_context():
        rows = db.session.execute(select(Reminder.id, Reminder.status, Reminder.message_id)).all()
        db.session.remove()
    return {"rows": [[i, s, m] for i, s, m in rows]}


def run_driver(argv: list[str]) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("role")
    p.add_argument("--n", type=int, default=30)
    p.add_argument("--offset", type=float, default=0)
    p.add_argument("--interval", type=float, default=2)
    p.add_argument("--limit", type=float, default=300)
    p.add_argument("--t0")
    p.add_argument("--outage", type=int, default=120)
    p.add_argument("--horizon", type=int, default=480)
    p.add_argument("--cap", type=float, default=120)
    a = p.parse_args(argv)
    out = {"setup": lambda: driver_setup(a.n), "loop": lambda: driver_loop(a.offset, a.interval, a.limit),
           "outage": lambda: driver_outage(a.t0, a.outage, a.horizon), "silent": lambda: driver_silent(a.t0, a.cap),
           "final": driver_final}[a.role]()
    sys.stdout.write("\nRESULT " + json.dumps(out) + "\n")
    sys.stdout.flush()
    os._exit(0)  # a stuck sweep thread must not keep the process alive


# ------------------------------------------------------------------------------------------------ harness


class Target:
    """A checkout under test with a fresh database."""

    def __init__(self, repo: Path, engine: str, pg: str | None, tag: str, lease: int, smtp_url: str) -> None:
        self.repo = repo
        self.tmp = Path(tempfile.mkdtemp(prefix=f"fault-{tag}-"))
        self.pg_name = None
        if engine == "postgresql":
            assert pg, "--pg URL needed for PostgreSQL"
            self.pg_name = f"foia_fault_{tag}_{os.getpid()}"
            base = pg.split("://", 1)[1].rsplit("/", 1)[0] if pg.count("/") > 2 else pg.split("://", 1)[1]
            userhost, _, port = base.rpartition(":")
            user, _, host = userhost.rpartition("@")
            self.pg_args = ["-h", host, "-p", port or "5432", "-U", user or "postgres"]
            subprocess.run(["createdb", *self.pg_args, self.pg_name], check=True)
            url = f"postgresql+psycopg://{base}/{self.pg_name}"
        else:
            url = f"sqlite:///{self.tmp / 'fault.sqlite3'}"
        self.env = dict(os.environ, PYTHONPATH=str(repo), FLASK_APP="app.py", FOIA_DATABASE_URL=url,
                        FOIA_SECRET_KEY="fault", FOIA_STORAGE_DIR=str(self.tmp / "storage"),
                        FOIA_OUTBOX_DIR=str(self.tmp / "outbox"), FOIA_BASE_URL="http://foia.test",
                        FOIA_MAIL_FROM="FOIA Tracker <reminders@foia.test>", FOIA_SMTP_URL=smtp_url,
                        FOIA_REMINDER_LEASE_SECONDS=str(lease), PYTHONUNBUFFERED="1")

    def python(self) -> str:
        venv = self.repo / ".venv" / "bin" / "python"
        return str(venv) if venv.exists() else sys.executable

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([self.python(), str(HERE), "--driver", *args], cwd=self.repo, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    @staticmethod
    def result(proc: subprocess.Popen, timeout: float = 1800) -> dict:
        out, err = proc.communicate(timeout=timeout)
        for line in out.splitlines():
            if line.startswith("RESULT "):
                return json.loads(line[7:])
        raise RuntimeError(f"driver failed ({proc.returncode}):\n{err[-3000:]}")

    def run(self, *args: str, timeout: float = 1800) -> dict:
        return self.result(self.start(*args), timeout)

    def close(self) -> None:
        if self.pg_name:
            subprocess.run(["dropdb", *self.pg_args, "--if-exists", self.pg_name], check=False)


def figures(setup: dict, final: dict, accepted_ids: list[str]) -> dict:
    status = {i: (s, m) for i, s, m in final["rows"]}
    due = [i for i in setup["due_ids"] if status.get(i, ("", ""))[0] != "skipped"]
    accepted = Counter(accepted_ids)
    lost = [i for i in due if status[i][0] != "sent" or status[i][1] not in accepted]
    return {"due": len(due), "delivered": len(accepted_ids), "unique": len(accepted),
            "duplicated": len(accepted_ids) - len(accepted), "lost": len(lost)}


def scenario_slow(repo, engine, pg, a) -> dict:
    port = free_port()
    handler = Recorder(delay=a.delay)
    relay = start_relay(handler, port)
    t = Target(repo, engine, pg, "slow", a.lease, f"smtp://127.0.0.1:{port}")
    try:
        setup = t.run("setup", "--n", str(a.n))
        started = time.time()
        procs = [t.start("loop", "--interval", "2", "--limit", str(a.limit)) for _ in range(2)]
        loops = [t.result(p) for p in procs]
        took = time.time() - started
        final = t.run("final")
    finally:
        relay.stop()
        t.close()
    return {**figures(setup, final, handler.ids()), "seconds": round(took, 1),
            "per_process_sent": [x["sent"] for x in loops]}


def scenario_ahead(repo, engine, pg, a) -> dict:
    port = free_port()
    handler = Recorder(delay=0.2)
    relay = start_relay(handler, port)
    t = Target(repo, engine, pg, "ahead", 300, f"smtp://127.0.0.1:{port}")
    try:
        setup = t.run("setup", "--n", str(a.n))
        procs = [t.start("loop", "--interval", "1", "--limit", str(a.limit))]
        # The skewed one starts once the wall-clock dispatcher is sending (it holds claims), as in the review.
        end = time.time() + 60
        while not handler.ids() and time.time() < end:
            time.sleep(0.05)
        procs.append(t.start("loop", "--interval", "1", "--limit", str(a.limit), "--offset", str(2 * 3600)))
        loops = [t.result(p) for p in procs]
        final = t.run("final")
    finally:
        relay.stop()
        t.close()
    return {**figures(setup, final, handler.ids()), "per_process_sent": [x["sent"] for x in loops]}


def scenario_outage(repo, engine, pg, a) -> dict:
    t = Target(repo, engine, pg, "outage", 300, "smtp://127.0.0.1:9")
    try:
        setup = t.run("setup", "--n", str(a.n))
        out = t.run("outage", "--t0", setup["t0"], "--outage", "120", "--horizon", "480")
        final = t.run("final")
    finally:
        t.close()
    due_mids = {m for i, s, m in final["rows"] if i in set(setup["due_ids"]) and s == "sent"}
    last = max((stamp for mid, stamp in out["accepted"] if mid in due_mids), default=None)
    return {**figures(setup, final, [m for m, _ in out["accepted"]]),
            "all_due_delivered_min_after_relay_back": None if last is None else last - 120}


def scenario_silent(repo, engine, pg, a) -> dict:
    t = Target(repo, engine, pg, "silent", 300, "smtp://127.0.0.1:9")
    try:
        setup = t.run("setup", "--n", str(a.n))
        out = t.run("silent", "--t0", setup["t0"], "--cap", str(a.cap))
        final = t.run("final")
    finally:
        t.close()
    return {**figures(setup, final, [m for m, _ in out["accepted"]]), "sweep_stall_s": out["stall_s"],
            "sweep_finished": out["finished"], "delivered_by_next_sweep": len(out["accepted"])}


SCENARIOS = {"slow": scenario_slow, "ahead": scenario_ahead, "outage": scenario_outage, "silent": scenario_silent}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--driver":
        run_driver(sys.argv[2:])
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repo", type=Path, default=ROOT, help="checkout to test (default: this one)")
    p.add_argument("--scenario", action="append", choices=sorted(SCENARIOS), help="default: all")
    p.add_argument("--engine", action="append", choices=("sqlite", "postgresql"), help="default: sqlite (+ postgresql with --pg)")
    p.add_argument("--pg", help="PostgreSQL server URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432")
    p.add_argument("--n", type=int, default=30, help="requests filed (default 30)")
    p.add_argument("--delay", type=float, default=1.0, help="slow: seconds per message at the relay (default 1)")
    p.add_argument("--lease", type=int, default=8, help="slow: FOIA_REMINDER_LEASE_SECONDS (default 8)")
    p.add_argument("--limit", type=float, default=240, help="seconds each dispatcher keeps sweeping at most")
    p.add_argument("--cap", type=float, default=90, help="silent: give up on a stalled sweep after this long")
    a = p.parse_args()
    engines = a.engine or (["sqlite", "postgresql"] if a.pg else ["sqlite"])
    for name in a.scenario or list(SCENARIOS):
        for engine in engines:
            res = SCENARIOS[name](a.repo.resolve(), engine, a.pg, a)
            print(json.dumps({"scenario": name, "engine": engine, "repo": str(a.repo), **res}), flush=True)


if __name__ == "__main__":
    main()
