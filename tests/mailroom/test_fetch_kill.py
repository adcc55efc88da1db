"""A real poller process killed with SIGKILL in the middle of a fetch, then run again: every reply is
logged exactly once and every message ends up marked (real Dovecot, real SQLite or PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from foia.models import Communication
from tests.mailroom.conftest import REPLY_BASE, reply_eml

ROOT = Path(__file__).resolve().parents[2]
COUNT = 40


def test_poller_killed_mid_fetch_logs_each_reply_once_after_restart(app, world, session, mailbox):
    req = world["requests"][("staff", "private")]
    req_id, ref = req.id, req.ref
    for i in range(COUNT):
        mailbox.append(reply_eml(f"Re: {ref} part {i}", f"Update {i}.", message_id=f"<kill-{i}@ice.example>"))
    session.commit()
    session.close()
    env = dict(os.environ, FLASK_APP="app.py", FOIA_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               FOIA_SECRET_KEY="test", FOIA_IMAP_URL=mailbox.url, FOIA_REPLY_ADDRESS=REPLY_BASE,
               FOIA_STORAGE_DIR=app.config["FOIA_STORAGE_DIR"], FOIA_OUTBOX_DIR=app.config["FOIA_OUTBOX_DIR"],
               PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "flask", "foia", "mail", "fetch", "--json"]

    def logged() -> int:
        session.expire_all()
        return session.scalar(select(func.count()).select_from(Communication)
                              .where(Communication.request_id == req_id, Communication.direction == "incoming"))

    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    end = time.time() + 60
    while logged() < 5 and time.time() < end and first.poll() is None:
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    before_restart = logged()
    assert 0 < before_restart < COUNT, "the kill should land in the middle of the fetch"

    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stdout + second.stderr
    assert logged() == COUNT  # none lost
    ids = session.scalars(select(Communication.message_id).where(Communication.request_id == req_id,
                                                                 Communication.direction == "incoming")).all()
    assert len(ids) == len(set(ids)) == COUNT  # none doubled
    assert all(b"$FoiaTracked" in flags for flags in mailbox.flags().values())
    third = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert '"fetched": 0' in third.stdout
    print(f"[kill test] replies={COUNT} logged before SIGKILL={before_restart} after restart={logged()} duplicates=0")
