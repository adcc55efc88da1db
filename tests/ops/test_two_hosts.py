"""Two hosts on one database: two gunicorn app processes and two `flask foia scheduler` processes, all real,
on loopback, sharing one database (PostgreSQL when FOIA_TEST_DATABASE_URL is set, in a fresh database of its own;
otherwise one SQLite file), with an aiosmtpd server receiving the reminders (issue 18, "past one machine").

Writes go through both app processes at once (sign in, file requests, add notes, each with its CSRF token) while
both schedulers sweep; reminders that came due (requests sent weeks ago) must each arrive exactly once, and every
write that was answered with a redirect must be in the database."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from foia.extensions import db
from foia.factory import create_app
from foia.models import InternalNote, Reminder, Request

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SEEDED = 12  # requests sent weeks ago: each has a reminder due now
WRITES_PER_USER = 4  # per app process: filings and notes


class Inbox:
    def __init__(self) -> None:
        self.ids: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        time.sleep(0.05)  # a real server takes a moment: sweeps overlap
        message_id = message_from_bytes(envelope.content)["Message-ID"]
        with self.lock:
            self.ids.append(str(message_id))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database(tmp_path: Path) -> str:
    """A fresh database for this test: <test database>_twohost on PostgreSQL, else a SQLite file."""
    base = os.environ.get("FOIA_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path / 'twohost.sqlite3'}"
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{url.database}_twohost"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _seed(app, n: int) -> list[str]:
    """Two users of one organization and `n` requests sent to ICE 50 days ago (their reminders are due)."""
    from foia.accounts.service import create_user, get_or_create_organization
    from foia.demo import upsert_agencies
    from foia.requests.service import RequestInput, create_request, log_event

    now = datetime.now(UTC)
    sent = (now - timedelta(days=50)).date()
    with app.app_context():
        s = db.session
        org = get_or_create_organization(s, "Two Hosts City", now=now)
        upsert_agencies(s, now)
        users = [create_user(s, email=f"clerk{i}@city.example", name=f"Clerk {i}", role="staff", organization=org,
                             password=PASSWORD, now=now) for i in (1, 2)]
        refs = []
        for i in range(n):
            req = create_request(s, actor=users[i % 2], now=now, data=RequestInput(
                title=f"seeded {i}", records_sought="Records about the thing in question.", agency_slug="dhs-ice"))
            log_event(s, actor=users[i % 2], now=now, req=req, kind="sent", occurred_on=sent,
                      occurred_at=datetime(sent.year, sent.month, sent.day, 9, tzinfo=ZoneInfo("America/New_York")))
            refs.append(req.ref)
        s.commit()
        # Their deadlines passed weeks ago, so the planner puts each one's next follow-up at its next slot: now, or on
        # some days later today (8 am at the requester's). Make each request's first pending reminder due a minute
        # ago, so that what this test checks does not depend on the hour it runs (it failed before 16:00 UTC on
        # 2026-12-01 with no reminder due).
        first: dict[int, Reminder] = {}
        for reminder in s.scalars(select(Reminder).where(Reminder.status == "pending").order_by(Reminder.send_at)):
            first.setdefault(reminder.request_id, reminder)
        assert len(first) == n
        for reminder in first.values():
            reminder.send_at = min(reminder.send_at, now - timedelta(minutes=1))
        s.commit()
        db.session.remove()
    return refs


def _due(app) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count(Reminder.id)).where(
            Reminder.status.in_(("pending", "sending")), Reminder.send_at <= datetime.now(UTC))) or 0
        db.session.remove()
        return n


def _token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token"
    return match.group(1)


def _writer(base: str, email: str, refs: list[str], tag: str, landed: list[str], errors: list[str]) -> None:
    """Sign in on one app process, then file requests and add notes there."""
    try:
        s = requests.Session()
        r = s.post(f"{base}/login", data={"email": email, "password": PASSWORD,
                                          "csrf_token": _token(s.get(f"{base}/login", timeout=60).text)},
                   allow_redirects=False, timeout=60)
        assert r.status_code == 302, (r.status_code, r.text[:300])
        for i in range(WRITES_PER_USER):
            title = f"{tag} filing {i}"
            r = s.post(f"{base}/requests/new", allow_redirects=False, timeout=60, data={
                "csrf_token": _token(s.get(f"{base}/requests/new", timeout=60).text), "title": title,
                "agencies": "dhs-ice", "law": "", "records_sought": "Records about the thing in question.",
                "fee_category": "other", "visibility": "organization"})
            assert r.status_code == 302, (r.status_code, r.text[:300])
            landed.append(f"request:{title}")
            ref = refs[i % len(refs)]
            body = f"{tag} note {i}"
            r = s.post(f"{base}/requests/{ref}/notes", allow_redirects=False, timeout=60, data={
                "csrf_token": _token(s.get(f"{base}/requests/{ref}", timeout=60).text), "body": body})
            assert r.status_code == 303, (r.status_code, r.text[:300])
            landed.append(f"note:{body}")
    except Exception as exc:  # reported by the test, with the host it came from
        errors.append(f"{tag}: {exc!r}")


def _wait(predicate, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_app_processes_and_two_schedulers_on_one_database(tmp_path):
    url = _database(tmp_path)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=_free_port(), ready_timeout=10)
    smtp.start()
    env = dict(os.environ, PYTHONPATH=str(ROOT), FLASK_APP="app.py", FOIA_DATABASE_URL=url,
               FOIA_SECRET_KEY="two-hosts", FOIA_STORAGE_DIR=str(tmp_path / "storage"),
               FOIA_OUTBOX_DIR=str(tmp_path / "outbox"), FOIA_BASE_URL="http://foia.test",
               FOIA_MAIL_FROM="FOIA Tracker <reminders@foia.test>", FOIA_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
               FOIA_SCHEDULER_INTERVAL="1", FOIA_REMINDER_LEASE_SECONDS="30", FOIA_REQUIRE_2FA_ROLES="",
               WEB_CONCURRENCY="1", FOIA_THREADS="4", FOIA_ACCESS_LOG=str(tmp_path / "access.log"),
               PYTHONUNBUFFERED="1")
    env.pop("FOIA_TEST_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "two-hosts", "FOIA_STORAGE_DIR": str(tmp_path / "storage"),
                      "FOIA_OUTBOX_DIR": str(tmp_path / "outbox"), "FOIA_REQUIRE_2FA_ROLES": ()})
    refs = _seed(app, SEEDED)
    due = _due(app)
    assert due >= SEEDED  # at least one reminder per sent request is due now

    procs: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        bases = []
        for host in (1, 2):
            port = _free_port()
            log = open(tmp_path / f"web{host}.log", "wb")  # noqa: SIM115 (closed in finally)
            logs.append(log)
            procs.append(subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
                                          cwd=ROOT, env=dict(env, PORT=str(port)), stdout=log,
                                          stderr=subprocess.STDOUT))
            bases.append(f"http://127.0.0.1:{port}")
        for host in (1, 2):
            log = open(tmp_path / f"scheduler{host}.log", "wb")  # noqa: SIM115
            logs.append(log)
            procs.append(subprocess.Popen([sys.executable, "-m", "flask", "foia", "scheduler"], cwd=ROOT, env=env,
                                          stdout=log, stderr=subprocess.STDOUT))

        def up(base: str) -> bool:
            try:
                return requests.get(base + "/healthz?checks=database,schema", timeout=5).status_code == 200
            except requests.RequestException:
                return False

        _wait(lambda: all(up(b) for b in bases), 120, "both app processes")
        landed: list[str] = []
        errors: list[str] = []
        writers = [threading.Thread(target=_writer, args=(base, f"clerk{n}@city.example", refs, f"host{h}-user{n}",
                                                           landed, errors))
                   for h, base in enumerate(bases, start=1) for n in (1, 2)]
        for w in writers:
            w.start()
        for w in writers:
            w.join(180)
        assert errors == []
        assert len(landed) == 2 * 2 * WRITES_PER_USER * 2

        _wait(lambda: _due(app) == 0 and len(inbox.ids) >= due, 120, "every due reminder to be sent")
        time.sleep(2)  # two more sweeps each: nothing is sent twice afterwards either
        for proc in procs:
            assert proc.poll() is None, "a process died: see its log"
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()
        smtp.stop()

    with app.app_context():
        s = db.session
        sent_ids = set(s.scalars(select(Reminder.message_id).where(Reminder.status == "sent")))
        titles = set(s.scalars(select(Request.title).where(Request.title.like("host%"))))
        notes = set(s.scalars(select(InternalNote.body).where(InternalNote.body.like("host%"))))
        db.session.remove()
        db.engine.dispose()
    received = Counter(inbox.ids)
    assert len(sent_ids) >= due
    assert set(received) == sent_ids  # every reminder marked sent arrived, and nothing else did
    assert max(received.values()) == 1, [mid for mid, n in received.items() if n > 1]  # each exactly once
    assert titles == {x.split(":", 1)[1] for x in landed if x.startswith("request:")}
    assert notes == {x.split(":", 1)[1] for x in landed if x.startswith("note:")}
