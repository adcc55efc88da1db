"""Two-factor sign-in with TOTP: enrol, sign in with a code, recovery codes once, forced for some roles."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import select

from foia.models import AuditLog, User, UserSession
from tests.conftest import PASSWORD, csrf_token, login

SECRET_RE = re.compile(r'id="totp-secret">([A-Z2-7]+)<')
CODES_RE = re.compile(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>")


def _enrol(client, clock) -> tuple[str, list[str]]:
    page = client.get("/settings/two-factor")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in html  # the QR code, made here: no network, allowed by the CSP
    secret = SECRET_RE.search(html).group(1)
    token = csrf_token(client, "/settings/two-factor")
    wrong = client.post("/settings/two-factor", data={"csrf_token": token, "action": "enable", "code": "000000"})
    assert wrong.status_code == 400 and "not right" in wrong.get_data(as_text=True)
    code = pyotp.TOTP(secret).at(clock.now)
    resp = client.post("/settings/two-factor", data={"csrf_token": token, "action": "enable", "code": code})
    assert resp.status_code == 200
    codes = CODES_RE.findall(resp.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, codes


def _password_step(client, email="clerk@lacity.example"):
    resp = login(client, email)
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login/code"), resp.headers.get("Location")
    return resp


def _code_step(client, code: str):
    return client.post("/login/code", data={"csrf_token": csrf_token(client, "/login/code"), "code": code})


def test_enrol_then_sign_in_with_a_code(client, world, session, clock):
    login(client, "clerk@lacity.example")
    secret, codes = _enrol(client, clock)
    user = session.scalar(select(User).where(User.email == "clerk@lacity.example"))
    session.refresh(user)
    assert user.totp_secret == secret and user.totp_enabled_at == clock.now
    assert len(user.recovery_code_hashes) == 10 and not any(c in str(user.recovery_code_hashes) for c in codes)
    assert session.scalar(select(AuditLog).where(AuditLog.action == "two_factor_enabled")) is not None
    # The codes are shown once: the page now only says it is on.
    again = client.get("/settings/two-factor").get_data(as_text=True)
    assert "is on" in again and codes[0] not in again
    client.post("/logout", data={"csrf_token": csrf_token(client, "/settings")})

    _password_step(client)
    # Between the steps nobody is signed in and no server-side session exists yet.
    assert client.get("/dashboard").status_code == 302
    live = session.scalars(select(UserSession).where(UserSession.ended_at.is_(None))).all()
    assert live == []
    assert _code_step(client, "123456").status_code == 401
    clock.advance(seconds=40)
    resp = _code_step(client, pyotp.TOTP(secret).at(clock.now))
    assert resp.status_code == 302 and resp.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    session.expire_all()
    assert len(session.scalars(select(UserSession).where(UserSession.ended_at.is_(None))).all()) == 1


def test_a_recovery_code_works_once(client, world, session, clock):
    login(client, "clerk@lacity.example")
    _, codes = _enrol(client, clock)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/settings")})
    _password_step(client)
    assert _code_step(client, codes[3].upper()).status_code == 302
    assert client.get("/dashboard").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/settings")})
    _password_step(client)
    assert _code_step(client, codes[3]).status_code == 401
    assert client.get("/dashboard").status_code == 302
    user = session.scalar(select(User).where(User.email == "clerk@lacity.example"))
    session.refresh(user)
    assert len(user.recovery_code_hashes) == 9
    assert session.scalar(select(AuditLog).where(AuditLog.action == "recovery_code_used")) is not None


def test_the_code_step_expires_after_five_minutes(client, world, clock):
    login(client, "clerk@lacity.example")
    _enrol(client, clock)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/settings")})
    _password_step(client)
    clock.advance(minutes=5, seconds=1)
    resp = client.get("/login/code")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    assert client.get("/dashboard").status_code == 302


def test_wrong_codes_lock_the_account_like_wrong_passwords(client, world, session, clock, app, monkeypatch):
    monkeypatch.setitem(app.config, "FOIA_LOGIN_MAX_FAILURES", 3)
    login(client, "clerk@lacity.example")
    secret, _ = _enrol(client, clock)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/settings")})
    _password_step(client)
    assert _code_step(client, "000000").status_code == 401
    assert _code_step(client, "000001").status_code == 401
    resp = _code_step(client, "000002")
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) == 60
    resp = _code_step(client, pyotp.TOTP(secret).at(clock.now))  # right code, still locked
    assert resp.status_code == 429
    assert client.get("/dashboard").status_code == 302


def test_turning_it_off_needs_a_current_code(client, world, session, clock):
    login(client, "clerk@lacity.example")
    secret, _ = _enrol(client, clock)
    token = csrf_token(client, "/settings/two-factor")
    resp = client.post("/settings/two-factor", data={"csrf_token": token, "action": "disable", "code": "000000"})
    assert resp.status_code == 400
    clock.advance(seconds=30)
    resp = client.post("/settings/two-factor", data={"csrf_token": token, "action": "disable",
                                                      "code": pyotp.TOTP(secret).at(clock.now)})
    assert resp.status_code == 302
    user = session.scalar(select(User).where(User.email == "clerk@lacity.example"))
    session.refresh(user)
    assert user.totp_secret is None and user.totp_enabled_at is None and user.recovery_code_hashes == []
    client.post("/logout", data={"csrf_token": csrf_token(client, "/settings")})
    assert login(client, "clerk@lacity.example").headers["Location"] == "/dashboard"


def test_required_roles_must_enrol_before_anything_else(client, new_client, world, session, clock, app,
                                                        monkeypatch):
    monkeypatch.setitem(app.config, "FOIA_REQUIRE_2FA_ROLES", ("admin",))
    resp = login(client, "admin@lacity.example")
    assert resp.status_code == 302
    for path in ("/dashboard", "/requests", "/admin/calendars", "/settings"):
        resp = client.get(path)
        assert resp.status_code == 302 and resp.headers["Location"] == "/settings/two-factor", path
    assert client.get("/static/app.css").status_code == 200  # never redirected
    _enrol(client, clock)
    assert client.get("/dashboard").status_code == 200
    assert client.get("/admin/calendars").status_code == 200
    # Staff are not in the required roles.
    other = new_client()
    assert login(other, "clerk@lacity.example").headers["Location"] == "/dashboard"
    # Sign-out stays reachable while enrolment is pending.
    fresh = new_client()
    monkeypatch.setitem(app.config, "FOIA_REQUIRE_2FA_ROLES", ("admin", "staff"))
    login(fresh, "clerk@lacity.example")
    assert fresh.get("/requests").headers["Location"] == "/settings/two-factor"
    resp = fresh.post("/logout", data={"csrf_token": csrf_token(fresh, "/settings/two-factor")})
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"


def test_pending_enrolment_secret_is_not_kept_until_confirmed(client, world, session, clock):
    login(client, "clerk@lacity.example")
    client.get("/settings/two-factor")
    user = session.scalar(select(User).where(User.email == "clerk@lacity.example"))
    session.refresh(user)
    assert user.totp_secret is None and user.totp_enabled_at is None
    # Until confirmed, signing in needs only the password.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/settings")})
    assert login(client, "clerk@lacity.example", PASSWORD).headers["Location"] == "/dashboard"
