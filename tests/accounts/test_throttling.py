"""Throttling sign-in (M2) and the calendar feeds; the client address is not the client's to choose (L4)."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from foia.extensions import db
from foia.models import AuditLog, User
from tests.conftest import PASSWORD, csrf_token, make_app


def _post_login(client, email: str, password: str, **kw):
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(client, "/login")}, **kw)


def test_the_right_password_is_refused_while_locked_and_accepted_after(client, world, session, clock, app,
                                                                        monkeypatch):
    monkeypatch.setitem(app.config, "FOIA_LOGIN_MAX_FAILURES", 5)
    for i in range(4):
        assert _post_login(client, "clerk@lacity.example", f"wrong{i}").status_code == 401
    resp = _post_login(client, "clerk@lacity.example", "wrong4")  # the fifth: locked for 1 minute
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) == 60
    assert "locked for 1 more minute" in resp.get_data(as_text=True)
    assert session.scalar(select(AuditLog).where(AuditLog.action == "sign_in_locked")) is not None

    clock.advance(seconds=30)
    resp = _post_login(client, "clerk@lacity.example", PASSWORD)  # right password, still locked
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) == 30
    assert client.get("/dashboard").status_code == 302

    clock.advance(seconds=31)
    resp = _post_login(client, "clerk@lacity.example", PASSWORD)
    assert resp.status_code == 302 and resp.headers["Location"] == "/dashboard"
    user = session.scalar(select(User).where(User.email == "clerk@lacity.example"))
    session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


def test_each_further_failure_locks_for_longer_up_to_an_hour(client, world, session, clock, app, monkeypatch):
    monkeypatch.setitem(app.config, "FOIA_LOGIN_MAX_FAILURES", 2)
    waits = []
    assert _post_login(client, "clerk@lacity.example", "wrong").status_code == 401
    for _ in range(9):
        resp = _post_login(client, "clerk@lacity.example", "wrong")
        assert resp.status_code == 429
        waits.append(int(resp.headers["Retry-After"]))
        clock.advance(seconds=waits[-1])  # wait out the lock, then fail again
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


def test_unknown_accounts_get_the_generic_answer(client, world):
    for _ in range(8):
        assert _post_login(client, "nobody@lacity.example", "wrong").status_code == 401


def test_login_posts_are_limited_per_address_with_retry_after(client, new_client, world):
    codes = [_post_login(client, f"nobody{i}@lacity.example", "wrong").status_code for i in range(21)]
    assert codes[:20] == [401] * 20
    resp = _post_login(client, "clerk@lacity.example", PASSWORD)
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) > 0
    assert "Too many attempts" in resp.get_data(as_text=True)
    # Another address is not affected.
    other = new_client()
    resp = _post_login(other, "reporter@newsroom.example", PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert resp.status_code == 302


def test_login_posts_are_limited_per_account_across_addresses(client, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "FOIA_LOGIN_MAX_FAILURES", 1000)  # only the rate limit here
    for i in range(10):
        resp = _post_login(client, "clerk@lacity.example", "wrong", environ_base={"REMOTE_ADDR": f"10.0.1.{i}"})
        assert resp.status_code == 401
    resp = _post_login(client, "clerk@lacity.example", "wrong", environ_base={"REMOTE_ADDR": "10.0.1.99"})
    assert resp.status_code == 429 and "Retry-After" in resp.headers


def test_a_spoofed_x_forwarded_for_does_not_change_the_address_limited(client, world):
    codes = [_post_login(client, f"nobody{i}@lacity.example", "wrong",
                         headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(21)]
    assert codes[-1] == 429


def test_calendar_feeds_are_limited_per_address(client, world):
    codes = [client.get(f"/feeds/mine.ics?token=guess{i}").status_code for i in range(61)]
    assert codes[:60] == [404] * 60 and codes[60] == 429


@pytest.fixture
def proxied_app(tmp_path):
    application = make_app(tmp_path, FOIA_TRUSTED_PROXIES=1, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.sqlite3'}")
    with application.app_context():
        upgrade()
        yield application
        db.session.remove()
        db.engine.dispose()


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(proxied_app):
    from foia.extensions import limiter

    limiter.reset()
    client = proxied_app.test_client()
    token = csrf_token(client, "/login")
    codes = [client.post("/login", data={"email": f"a{i}@b.example", "password": "x", "csrf_token": token},
                         headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(25)]
    assert 429 not in codes  # 25 different clients behind the proxy, each under its limit
    limiter.reset()
