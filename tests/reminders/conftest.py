"""A real SMTP server (aiosmtpd on 127.0.0.1) that records every message, optionally slowly."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from foia.mail import SMTPMailer
from foia.reminders.dispatch import DispatchSettings, dispatch_due
from foia.requests.service import log_event


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Inbox:
    delay: float = 0.0
    messages: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(msg)
        return "250 OK"

    def ids(self) -> list[str]:
        with self.lock:
            return [m["Message-ID"] for m in self.messages]

    def wait_for(self, n: int, timeout: float = 30) -> None:
        end = time.time() + timeout
        while time.time() < end:
            if len(self.messages) >= n:
                return
            time.sleep(0.05)
        raise AssertionError(f"expected {n} messages, got {len(self.messages)}")


class SMTPServer:
    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SMTPServer:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, ready_timeout=10)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SMTPServer().start()
    yield server
    server.stop()


# ---------------------------------------------------------------- helpers (imported by the tests)

LA = ZoneInfo("America/Los_Angeles")


def at(d: date, hour: int = 9, tz=LA) -> datetime:
    return datetime.combine(d, clock_time(hour, 0), tz).astimezone(UTC)


def send_request(session, req, user, day: date) -> None:
    log_event(session, actor=user, now=at(day, 8), req=req, kind="sent", occurred_on=day,
              occurred_at=at(day, 8, ZoneInfo("America/New_York")))
    session.commit()


def sweep(session, smtp, now: datetime, **settings) -> int:
    return dispatch_due(session, now=now, mailer=SMTPMailer.from_url(smtp.url, timeout=10),
                        settings=DispatchSettings(base_url="http://foia.test", sender="FOIA Tracker <reminders@foia.test>",
                                                  **settings))


def working_days_between(cal, a: date, b: date) -> int:
    step = 1 if b >= a else -1
    n, d = 0, a
    while d != b:
        d += timedelta(days=step)
        if cal.is_working_day(d):
            n += step
    return n
