from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient


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
