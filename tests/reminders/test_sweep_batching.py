"""The sweep at volume (issue 18): one SMTP connection per sweep, a reconnect when the server drops it, a
claimed batch marked in one UPDATE and one COMMIT, and a crash re-sending at most that batch. Against a real
aiosmtpd server on loopback, on SQLite and on PostgreSQL (FOIA_TEST_DATABASE_URL)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select, update

from foia.extensions import db
from foia.mail import SMTPMailer, make_message_id
from foia.models import Reminder
from foia.reminders.dispatch import DispatchSettings, dispatch, reminder_key
from tests.reminders.conftest import Inbox, SMTPServer, at
from tests.reminders.test_reminders import _many_due

ROOT = Path(__file__).resolve().parents[2]
DUE_AT = at(date(2026, 6, 23))


def _settings(**kw) -> DispatchSettings:
    return DispatchSettings(base_url="http://foia.test", sender="FOIA Tracker <reminders@foia.test>", **kw)


def _mailer(server) -> SMTPMailer:
    return SMTPMailer.from_url(server.url, timeout=10, connect_timeout=5)


class Counting(Inbox):
    """Counts connections (each greets with EHLO) and the connections messages arrived on. Optionally drops
    the connection at given MAIL commands (silently, or after a 421), refuses given RCPTs for now (450), or
    holds the reply to one DATA (the client then waits, having sent the message)."""

    def __init__(self, *, drop_silently=(), drop_421=(), refuse_rcpt=(), hold_data_at=0):
        super().__init__()
        self.ehlos = 0
        self.peers: list[tuple] = []
        self.mails = 0
        self.rcpts = 0
        self.drop_silently, self.drop_421 = set(drop_silently), set(drop_421)
        self.refuse_rcpt = set(refuse_rcpt)
        self.hold_data_at = hold_data_at

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.ehlos += 1
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mails += 1
        if self.mails in self.drop_silently:
            server.transport.close()
            return "250 OK"  # never reaches the client: the connection is gone
        if self.mails in self.drop_421:
            server.transport.write(b"421 4.3.2 Too many messages on this connection, closing\r\n")
            server.transport.close()
            return "250 OK"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpts += 1
        if self.rcpts in self.refuse_rcpt:
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        with self.lock:
            self.peers.append(session.peer)
            count = len(self.messages)
        if self.hold_data_at and count == self.hold_data_at:
            await asyncio.sleep(30)  # the client has sent this message and waits for the answer
        return reply


@pytest.fixture
def server():
    servers: list[SMTPServer] = []

    def start(**kw) -> SMTPServer:
        s = SMTPServer()
        s.inbox = Counting(**kw)
        servers.append(s.start())
        return s

    yield start
    for s in servers:
        s.stop()


def _rows(session):
    session.expire_all()
    return session.scalars(select(Reminder).where(Reminder.send_at <= DUE_AT).order_by(Reminder.id)).all()


def test_one_connection_for_a_sweep_of_many_reminders(world, session, server):
    n = _many_due(world, session, 24, date(2026, 6, 1))
    assert n == 24
    session.commit()
    smtp = server()
    result = dispatch(session, now=DUE_AT, mailer=_mailer(smtp), settings=_settings(batch=7))
    inbox = smtp.inbox
    assert result.sent == 24 and result.ok
    assert len(inbox.messages) == 24
    assert inbox.ehlos == 1, f"{inbox.ehlos} connections for one sweep"
    assert len(set(inbox.peers)) == 1
    # Each message has its own Message-ID, derived from its row (the same if it is ever re-sent).
    rows = _rows(session)
    ids = inbox.ids()
    assert len(set(ids)) == 24
    assert {r.message_id for r in rows} == set(ids)
    assert all(r.status == "sent" and r.claim_token is None for r in rows)
    domain = "foia.test"
    assert all(r.message_id == make_message_id(reminder_key(r), domain) for r in rows)


def test_reconnects_when_the_server_drops_the_connection_mid_sweep(world, session, server):
    """The server hangs up at the 5th MAIL (no answer) and answers the 12th with 421 and hangs up: the sweep
    reconnects each time and goes on; every reminder arrives once."""
    assert _many_due(world, session, 18, date(2026, 6, 1)) == 18
    session.commit()
    smtp = server(drop_silently={5}, drop_421={12})
    result = dispatch(session, now=DUE_AT, mailer=_mailer(smtp), settings=_settings(batch=6))
    inbox = smtp.inbox
    ids = inbox.ids()
    assert result.sent == 18 and result.ok, result.summary()
    assert len(ids) == 18 and len(set(ids)) == 18
    assert inbox.ehlos == 3  # the first connection and two reconnects
    assert len(set(inbox.peers)) == 3
    assert all(r.status == "sent" for r in _rows(session))


def test_one_refused_recipient_does_not_stop_the_batch(world, session, server):
    assert _many_due(world, session, 8, date(2026, 6, 1)) == 8
    session.commit()
    smtp = server(refuse_rcpt={3})
    result = dispatch(session, now=DUE_AT, mailer=_mailer(smtp), settings=_settings(batch=8))
    assert result.sent == 7 and result.retrying == 1
    assert len(smtp.inbox.messages) == 7 and smtp.inbox.ehlos == 1
    rows = _rows(session)
    assert Counter(r.status for r in rows) == {"sent": 7, "pending": 1}
    waiting = next(r for r in rows if r.status == "pending")
    assert waiting.attempts == 1 and "450" in waiting.last_error and waiting.next_attempt_at is not None


def test_a_batch_is_marked_in_one_update_and_one_commit(world, session, server):
    """30 reminders in batches of 10: three marking UPDATEs, and a handful of commits per batch (claim, mark),
    not one per reminder."""
    assert _many_due(world, session, 30, date(2026, 6, 1)) == 30
    session.commit()
    smtp = server()
    commits: list[int] = []
    marks: list[str] = []
    engine = db.engine

    def on_commit(conn):
        commits.append(1)

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE REMINDERS") and "RETURNING" in statement.upper():
            marks.append(statement)

    event.listen(engine, "commit", on_commit)
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        result = dispatch(session, now=DUE_AT, mailer=_mailer(smtp), settings=_settings(batch=10))
    finally:
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "before_cursor_execute", on_execute)
    assert result.sent == 30 and len(smtp.inbox.messages) == 30
    assert len(marks) == 3, marks
    # Per batch: the claim, the read, the mark (+ a few for the sweep's set-up steps); 30 would be one per row.
    assert len(commits) <= 3 * 3 + 8, len(commits)


def _flask_env(app, smtp, **extra) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"FLASK_APP": "app.py", "FOIA_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                "FOIA_SECRET_KEY": "test", "FOIA_SMTP_URL": smtp.url,
                "FOIA_MAIL_FROM": "FOIA Tracker <reminders@foia.test>", "FOIA_BASE_URL": "http://foia.test",
                "PYTHONUNBUFFERED": "1"})
    env.update({k: str(v) for k, v in extra.items()})
    return env


def test_a_sweep_killed_mid_batch_resends_at_most_the_batch(app, world, session, server):
    """`reminders dispatch` is SIGKILLed while message 7 (the 2nd of batch 2, bound 5) waits for the server's
    answer: batch 1 is marked, batch 2 is not. After the lease lapses a second sweep sends what is left:
    every reminder arrives, at most `bound` of them twice (with the same Message-ID), every row marked."""
    n = _many_due(world, session, 14, date(2026, 6, 1))
    assert n == 14
    session.commit()
    session.close()
    bound, held = 5, 7
    smtp = server(hold_data_at=held)
    proc = subprocess.Popen([sys.executable, "-m", "flask", "foia", "reminders", "dispatch", "--now",
                             DUE_AT.isoformat()], cwd=ROOT, env=_flask_env(app, smtp, FOIA_REMINDER_CLAIM_BATCH=bound),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        end = time.time() + 120
        while len(smtp.inbox.messages) < held and time.time() < end and proc.poll() is None:
            time.sleep(0.05)
        assert len(smtp.inbox.messages) == held, proc.communicate(timeout=5)[0] if proc.poll() is not None else ""
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    before = Counter(r.status for r in _rows(session))
    assert before["sent"] == bound and before["sending"] == bound  # batch 1 marked; batch 2 claimed, unmarked
    # The killed process's claims lapse (on the database's clock) after the lease; age them past it.
    session.execute(update(Reminder).where(Reminder.status == "sending")
                    .values(claimed_at=datetime.now(UTC) - timedelta(seconds=400)))
    session.commit()
    result = dispatch(session, now=DUE_AT, mailer=_mailer(smtp), settings=_settings(lease_seconds=300, batch=bound))
    assert result.ok, result.summary()
    rows = _rows(session)
    received = Counter(smtp.inbox.ids())
    assert all(r.status == "sent" for r in rows) and len(rows) == 14
    assert set(received) == {r.message_id for r in rows}  # everyone got theirs, under the row's Message-ID
    assert sum(received.values()) <= 14 + bound
    duplicated = sum(c - 1 for c in received.values())
    assert 1 <= duplicated <= bound  # the re-sent ones are exactly the unmarked messages of batch 2


def test_the_reminder_sweep_runs_neither_statistics_nor_extraction(app, world, session, server, monkeypatch):
    """Agency statistics (seconds per scope at a million requests) and text extraction are scheduler jobs of
    their own: the reminder sweep calls neither; the statistics job does its part."""
    from foia import scheduler

    calls: list[str] = []
    monkeypatch.setattr(scheduler, "refresh_stats", lambda *a, **k: calls.append("statistics"))
    monkeypatch.setattr(scheduler, "run_jobs", lambda *a, **k: calls.append("extraction"))
    assert _many_due(world, session, 2, date(2026, 6, 1)) == 2
    session.commit()
    smtp = server()
    monkeypatch.setitem(app.config, "FOIA_SMTP_URL", smtp.url)
    scheduler.sweep(app)
    assert len(smtp.inbox.messages) == 2  # the sweep ran and sent (real time is after the due date)
    assert calls == []
    scheduler.refresh_statistics(app)
    assert calls == ["statistics"]


def test_the_same_deadline_lookup_returns_exactly_the_batchs_deadlines(world, session):
    """`_same_deadline_rows` selects the batch's (request, person, clock, due) tuples in SQL: rows that share
    only some of those (another person on the same request, the same person on another request of the batch,
    another due date or clock) and rows no longer live are not returned; every live row of each deadline is."""
    from foia.reminders.dispatch import _load_claimed, _same_deadline_rows

    a, b = world["requests"][("staff", "private")], world["requests"][("staff", "organization")]
    u1, u2 = world["users"]["staff"], world["users"]["admin"]
    d, other_day = date(2026, 6, 30), date(2026, 7, 1)
    now = DUE_AT
    session.execute(Reminder.__table__.delete())

    def row(req, user, kind="response", due=d, rule="on_date", seq=0, status="pending", token=None):
        r = Reminder(request_id=req.id if req else None, user_id=user.id, clock_kind=kind, due=due, rule=rule,
                     seq=seq, send_at=now - timedelta(hours=1), status=status, attempts=0, last_error="",
                     claim_token=token, sent_at=now - timedelta(days=1) if status == "sent" else None,
                     message_id="", created_at=now)
        session.add(r)
        session.flush()
        return r.id

    mine_a = row(a, u1, token="t")  # the batch: (a, u1) and (b, u2)
    mine_b = row(b, u2, token="t")
    sent_a = row(a, u1, rule="before_1", status="sent")  # same deadline as mine_a: returned
    pending_b = row(b, u2, rule="before_5")  # same deadline as mine_b: returned
    row(a, u1, rule="before_10", status="skipped")  # not live
    row(a, u1, rule="before_3", status="failed")  # not live
    row(a, u2, status="sent")  # crosses: a with u2
    row(b, u1, status="sent")  # crosses: b with u1
    row(a, u1, due=other_day, status="sent")  # another due date
    row(a, u1, kind="appeal", status="sent")  # another clock
    row(None, u1, rule="digest", status="sent")  # a digest (no request)
    session.commit()

    batch = _load_claimed(session, "t")
    assert sorted(r.id for r in batch) == sorted([mine_a, mine_b])
    found = _same_deadline_rows(session, batch)
    ids = {key: sorted(r[-1] for r in rows) for key, rows in found.items()}
    assert ids == {(a.id, u1.id, "response", d): sorted([mine_a, sent_a]),
                   (b.id, u2.id, "response", d): sorted([mine_b, pending_b])}
    statuses = {r[-1]: r[0] for rows in found.values() for r in rows}
    assert statuses == {mine_a: "pending", sent_a: "sent", mine_b: "pending", pending_b: "pending"}
    assert _same_deadline_rows(session, []) == {}
