"""Real processes: `flask foia reminders dispatch` twice at once, and `flask foia scheduler` killed
with SIGKILL mid-sweep, restarted, and stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from test_reminders import _many_due

from foia.models import Reminder

ROOT = Path(__file__).resolve().parents[2]


def _env(app, smtp, **extra) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "FLASK_APP": "app.py",
        "FOIA_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "FOIA_SECRET_KEY": "test",
        "FOIA_SMTP_URL": smtp.url,
        "FOIA_MAIL_FROM": "FOIA Tracker <reminders@foia.test>",
        "FOIA_BASE_URL": "http://foia.test",
        "PYTHONUNBUFFERED": "1",
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "foia", *args]


def test_two_dispatcher_processes_send_each_reminder_once(app, world, session, smtp):
    assert _many_due(world, session, 10, date(2026, 6, 1)) == 10
    session.commit()
    session.close()
    smtp.inbox.delay = 0.05
    env = _env(app, smtp)
    procs = [subprocess.Popen(_flask("reminders", "dispatch", "--now", "2026-06-23T09:00:00-07:00"), cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    sent = [int(out.split("Sent ")[1].split()[0]) for out, _err in outs]
    ids = smtp.inbox.ids()
    assert sum(sent) == 10 and len(ids) == 10 and len(set(ids)) == 10, (sent, ids)


def _wait(predicate, timeout: float, what: str) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_scheduler_killed_mid_sweep_delivers_everything_after_restart(app, world, session, smtp, capsys):
    expected = _many_due(world, session, 12, date(2026, 6, 1))
    # Real time is long after June 2026, so for each request only its latest reminder is due.
    session.commit()
    session.close()
    smtp.inbox.delay = 0.25
    bound = 5  # FOIA_REMINDER_CLAIM_BATCH: a claimed batch is marked in one commit after it is sent
    env = _env(app, smtp, FOIA_REMINDER_LEASE_SECONDS=2, FOIA_SCHEDULER_INTERVAL=1, FOIA_REMINDER_CLAIM_BATCH=bound)
    first = subprocess.Popen(_flask("scheduler"), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait(lambda: len(smtp.inbox.messages) >= 4, 60, "the first messages")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    received_before_kill = len(smtp.inbox.messages)
    assert received_before_kill < 12  # killed in the middle of the sweep

    second = subprocess.Popen(_flask("scheduler"), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait(lambda: len(set(smtp.inbox.ids())) >= 12, 90, "every reminder")
        _wait(lambda: session.scalar(select(func.count(Reminder.id)).where(Reminder.status == "sent")) == 12, 30,
              "every row marked sent")
    finally:
        second.send_signal(signal.SIGTERM)
        out, _ = second.communicate(timeout=30)
    assert second.returncode == 0, out
    assert b"scheduler stopped" in out

    session.expire_all()
    rows = session.scalars(select(Reminder).where(Reminder.status == "sent")).all()
    expected_ids = {r.message_id for r in rows}
    received = Counter(smtp.inbox.ids())
    lost = expected_ids - set(received)
    duplicated = sum(n - 1 for n in received.values())
    unexpected = set(received) - expected_ids
    with capsys.disabled():
        print(f"\n[crash test] reminders due={expected} received={sum(received.values())} "
              f"unique={len(received)} duplicated={duplicated} lost={len(lost)} "
              f"(received before SIGKILL: {received_before_kill})")
    assert expected == 12 and len(expected_ids) == 12
    assert not lost and not unexpected
    # Anything re-sent after the crash carries the same Message-ID, so mail clients fold it into one.
    assert all(mid in expected_ids for mid in received)
    # A crash re-sends at most the batch in flight (sent, not yet marked).
    assert duplicated <= bound


def test_scheduler_stops_cleanly_on_sigterm(app, world, session, smtp, tmp_path):
    session.commit()
    env = _env(app, smtp, FOIA_SCHEDULER_INTERVAL=1)
    log = tmp_path / "scheduler.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(_flask("scheduler"), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait(lambda: b"scheduler started" in log.read_bytes(), 60, "the scheduler to start")
            time.sleep(1.5)  # let at least one sweep run
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    text = log.read_bytes()
    assert proc.returncode == 0, text
    assert b"scheduler stopped" in text
