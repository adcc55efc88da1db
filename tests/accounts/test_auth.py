from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from foia.models import User
from tests.conftest import PASSWORD, csrf_token, login

PROTECTED_GET = ["/requests", "/requests/new", "/agencies", "/agencies/dhs-ice", "/requests/FT-2026-0001"]


@pytest.mark.parametrize("path", PROTECTED_GET)
def test_anonymous_visitors_are_sent_to_login(client, world, path):
    resp = client.get(path)
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login")


def test_root_redirects_anonymous_to_login(client, world):
    resp = client.get("/", follow_redirects=True)
    assert resp.request.path == "/login"
    assert "Sign in" in resp.get_data(as_text=True)


def test_login_success_sets_hardened_session_cookie(client, world):
    resp = login(client, "clerk@lacity.example")
    assert resp.status_code == 302 and resp.headers["Location"] == "/dashboard"
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert client.get("/requests").status_code == 200


def test_password_is_stored_with_a_modern_kdf(session, world):
    user = session.scalar(select(User).where(User.email == "clerk@lacity.example"))
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "x")


def test_failed_logins_give_one_generic_message(client, world):
    wrong_password = login(client, "clerk@lacity.example", "not the password")
    unknown_user = login(client, "nobody@lacity.example", "not the password")
    for resp in (wrong_password, unknown_user):
        assert resp.status_code == 401
        assert "That email address and password do not match an account." in resp.get_data(as_text=True)
    assert client.get("/requests").status_code == 302  # still signed out


def test_login_without_csrf_token_is_refused(client, world):
    resp = client.post("/login", data={"email": "clerk@lacity.example", "password": PASSWORD})
    assert resp.status_code == 400
    assert "security token" in resp.get_data(as_text=True)
    assert client.get("/requests").status_code == 302


def test_login_with_wrong_csrf_token_is_refused(client, world):
    csrf_token(client)
    resp = client.post("/login", data={"email": "clerk@lacity.example", "password": PASSWORD, "csrf_token": "forged"})
    assert resp.status_code == 400
    assert client.get("/requests").status_code == 302


def test_empty_login_form_says_what_is_missing(client, world):
    token = csrf_token(client)
    resp = client.post("/login", data={"email": "", "password": "", "csrf_token": token})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Enter your email address." in body and "Enter your password." in body


def test_logout_needs_post_with_csrf(login_as):
    client = login_as("staff")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no token: still signed in
    assert client.get("/requests").status_code == 200
    token = csrf_token(client, "/requests")
    resp = client.post("/logout", data={"csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert client.get("/requests").status_code == 302


def test_disabled_account_cannot_sign_in(client, world, session):
    world["users"]["staff"].active = False
    session.commit()
    assert login(client, "clerk@lacity.example").status_code == 401


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, world, target):
    token = csrf_token(client)
    resp = client.post(f"/login?next={target}", data={"email": "clerk@lacity.example", "password": PASSWORD,
                                                       "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/dashboard"


def test_login_follows_a_local_next_path(client, world):
    token = csrf_token(client)
    resp = client.post("/login?next=/agencies", data={"email": "clerk@lacity.example", "password": PASSWORD,
                                                       "csrf_token": token})
    assert resp.headers["Location"] == "/agencies"


def test_demo_accounts_shown_only_in_demo_mode(ctx, client):
    assert "clerk@lacity.example" not in client.get("/login").get_data(as_text=True)
    ctx.config["FOIA_DEMO"] = True
    try:
        body = client.get("/login").get_data(as_text=True)
    finally:
        ctx.config["FOIA_DEMO"] = False
    for email in ("clerk@lacity.example", "reporter@newsroom.example", "admin@lacity.example"):
        assert email in body
    assert "foia-demo" in body


def test_every_form_on_every_page_carries_a_csrf_token(login_as, world):
    client = login_as("admin")
    ref = world["requests"][("staff", "private")].ref
    for path in ["/requests", "/requests/new", "/agencies", "/agencies/dhs-ice", f"/requests/{ref}"]:
        html = client.get(path).get_data(as_text=True)
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", html, flags=re.S | re.I):
            assert 'name="csrf_token"' in form, (path, form[:200])
