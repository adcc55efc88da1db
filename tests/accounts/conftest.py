"""Account tests: a real aiosmtpd the app sends through (FOIA_SMTP_URL), a hand-moved sign-in clock and a
test client that forgets the signed-in user between requests."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from flask import g, has_app_context
from flask.testing import FlaskClient

from tests.mail.conftest import CollectingHandler, free_port


class Clock:
    """The clock the sign-in views read, moved by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    c = Clock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr("foia.accounts.auth_views.utcnow", c)
    monkeypatch.setattr("foia.accounts.views.utcnow", c)
    return c


class FreshClient(FlaskClient):
    """A test client whose every request starts with an empty `g`, as in production. (The `ctx` fixture
    keeps one application context open, which requests reuse; Flask-Login and Flask-WTF cache the user
    and the CSRF token in `g`, which would hide what a new request sees.)"""

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(ctx):
    return FreshClient(ctx, ctx.response_class, use_cookies=True)


@pytest.fixture
def new_client(ctx):
    return lambda: FreshClient(ctx, ctx.response_class, use_cookies=True)




#: A password the policy accepts (zxcvbn score 4).
STRONG = "violet tractor lagoon 42"


class Inbox:
    def __init__(self, handler: CollectingHandler):
        self.handler = handler

    def messages(self, to: str | None = None) -> list[EmailMessage]:
        out = []
        for received in self.handler.messages:
            if to is None or to in received.rcpt_tos:
                out.append(message_from_bytes(received.data, policy=policy.default))
        return out

    def link(self, to: str, kind: str) -> str:
        """The path of the last `kind` ("reset" or "invite") link mailed to `to`."""
        msgs = self.messages(to)
        assert msgs, f"no mail to {to}"
        body = msgs[-1].get_body(preferencelist=("plain",)).get_content()
        match = re.search(rf"https?://[^/\s]+(/{kind}\?token=[A-Za-z0-9_-]+)\s", body)
        assert match, body
        return match.group(1)


@pytest.fixture
def inbox(app, monkeypatch):
    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ready_timeout=10)
    controller.start()
    monkeypatch.setitem(app.config, "FOIA_SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
    yield Inbox(handler)
    controller.stop()
