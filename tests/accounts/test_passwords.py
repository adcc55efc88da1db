"""The password policy, changing a password, and "forgot your password" through real mail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from foia.accounts.passwords import password_problem
from foia.accounts.sessions import start_session
from foia.models import AccountToken, AuditLog, User, UserSession
from tests.accounts.conftest import STRONG
from tests.conftest import NOW, PASSWORD, csrf_token, login

OTHER_STRONG = "another quiet harbor 77"


# ---------------------------------------------------------------- policy

@pytest.mark.parametrize("password, expected", [
    ("short pass", "at least 12 characters"),
    ("password1234!", "too easy to guess"),
    ("aaaaaaaaaaaaaaaa", "too easy to guess"),
    ("qwertyuiop123", "too easy to guess"),
    ("x" * 257, "at most 256 characters"),
])
def test_policy_refuses_short_long_and_guessable_passwords(password, expected):
    problem = password_problem(password)
    assert problem is not None and expected in problem


def test_policy_gives_zxcvbns_feedback():
    problem = password_problem("password1234!")
    assert "similar to a commonly used password" in problem


def test_policy_counts_the_persons_email_and_name_as_guessable():
    # Long enough and fine for someone else, but made of this person's own name or address.
    me = {"email": "rosalind.martinez@lacity.example", "name": "Rosalind Martinez"}
    assert password_problem("Rosalind Martinez!!") is None
    assert "too easy to guess" in password_problem("Rosalind Martinez!!", **me)
    assert password_problem("rosalind.martinez@lacity") is None
    assert password_problem("rosalind.martinez@lacity", **me) == "Do not use your email address in your password."


@pytest.mark.parametrize("password", [STRONG, OTHER_STRONG, "q8#Lm2!vZr9pWx", "y" * 3 + "Tq7!horse-lamp-river" * 12])
def test_policy_accepts_strong_passwords(password):
    assert password_problem(password, email="clerk@lacity.example", name="Clerk") is None


# ---------------------------------------------------------------- change password

def _sessions(session, user):
    return {s.id: s for s in session.scalars(select(UserSession).where(UserSession.user_id == user.id))}


def test_change_password_needs_the_current_one_and_ends_other_sessions(login_as, world, session, inbox, monkeypatch):
    clerk, reporter = world["users"]["staff"], world["users"]["reporter"]
    start_session(session, user=clerk, now=NOW)
    start_session(session, user=clerk, now=NOW)
    start_session(session, user=reporter, now=NOW)
    session.commit()
    this, other = sorted(_sessions(session, clerk).values(), key=lambda s: s.id)
    import foia.accounts.views as views

    monkeypatch.setattr(views, "this_session", lambda: session.get(UserSession, this.id))
    client = login_as("staff")
    token = csrf_token(client, "/settings/password")

    wrong = client.post("/settings/password", data={"csrf_token": token, "current": "not it", "new": STRONG,
                                                    "confirm": STRONG})
    assert wrong.status_code == 400 and "That is not your current password." in wrong.get_data(as_text=True)
    weak = client.post("/settings/password", data={"csrf_token": token, "current": PASSWORD, "new": "password1234!",
                                                   "confirm": "password1234!"})
    assert weak.status_code == 400 and "too easy to guess" in weak.get_data(as_text=True)
    mismatch = client.post("/settings/password", data={"csrf_token": token, "current": PASSWORD, "new": STRONG,
                                                       "confirm": STRONG + "x"})
    assert mismatch.status_code == 400 and "not the same" in mismatch.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, clerk.id).check_password(PASSWORD)
    assert all(s.ended_at is None for s in _sessions(session, clerk).values())

    ok = client.post("/settings/password", data={"csrf_token": token, "current": PASSWORD, "new": STRONG,
                                                 "confirm": STRONG})
    assert ok.status_code == 302 and ok.headers["Location"] == "/settings"
    session.expire_all()
    user = session.get(User, clerk.id)
    assert user.check_password(STRONG) and not user.check_password(PASSWORD)
    assert user.password_changed_at is not None
    rows = _sessions(session, clerk)
    assert rows[this.id].ended_at is None
    assert rows[other.id].ended_at is not None and rows[other.id].ended_reason == "password changed"
    assert all(s.ended_at is None for s in _sessions(session, reporter).values())
    audit = session.scalar(select(AuditLog).where(AuditLog.action == "password"))
    assert audit.actor_id == clerk.id and audit.entity_id == str(clerk.id) and audit.after == {"how": "changed"}
    assert inbox.messages(to=clerk.email) == []  # the notice goes out after the response, not before it
    ok.close()
    [notice] = inbox.messages(to=clerk.email)
    assert notice["Subject"] == "Your FOIA Tracker password was changed"
    assert "/forgot" in notice.get_body(preferencelist=("plain",)).get_content()


def test_change_password_keeps_this_browser_and_signs_out_the_others(login_as, new_client, world, session, inbox):
    """Two real sign-ins of the clerk (two browsers). Changing the password in one keeps it signed in and
    ends the other at once: its cookie no longer opens a page."""
    other = new_client()
    token = csrf_token(other, "/login")
    assert other.post("/login", data={"csrf_token": token, "email": "clerk@lacity.example",
                                      "password": PASSWORD}).status_code == 302
    assert other.get("/dashboard").status_code == 200
    client = login_as("staff")
    resp = client.post("/settings/password", data={"csrf_token": csrf_token(client, "/settings/password"),
                                                   "current": PASSWORD, "new": STRONG, "confirm": STRONG})
    assert resp.status_code == 302
    assert client.get("/dashboard").status_code == 200  # this browser stays signed in
    gone = other.get("/dashboard")
    assert gone.status_code == 302 and gone.headers["Location"].startswith("/login")
    session.expire_all()
    rows = _sessions(session, world["users"]["staff"]).values()
    assert sorted(r.ended_reason for r in rows) == ["", "password changed"]


def test_change_password_needs_csrf_and_sign_in(client, login_as):
    assert client.get("/settings/password").status_code == 302
    signed_in = login_as("staff")
    resp = signed_in.post("/settings/password", data={"current": PASSWORD, "new": STRONG, "confirm": STRONG})
    assert resp.status_code == 400 and "security token" in resp.get_data(as_text=True)


# ---------------------------------------------------------------- forgot and reset

@pytest.fixture
def clock(monkeypatch):
    """The time the password pages see, moved by the test."""
    import foia.accounts.password_views as views

    now = {"at": NOW}
    monkeypatch.setattr(views, "utcnow", lambda: now["at"])
    return now


def _forgot(client, email: str):
    token = csrf_token(client, "/forgot")
    resp = client.post("/forgot", data={"csrf_token": token, "email": email})
    body = resp.get_data(as_text=True)
    resp.close()  # the server closes the response once sent: the mail goes out then
    return resp.status_code, body


def test_forgot_email_link_resets_once_and_ends_every_session(client, world, session, inbox, clock):
    clerk = world["users"]["staff"]
    start_session(session, user=clerk, now=NOW)
    session.commit()
    status, body = _forgot(client, "Clerk@LAcity.example ")
    assert status == 200 and "Check your email" in body
    [msg] = inbox.messages(to=clerk.email)
    assert msg["Subject"] == "Reset your FOIA Tracker password"
    path = inbox.link(clerk.email, "reset")
    assert path.startswith("/reset?token=")  # in the query string: the access log records the path only
    token = path.split("token=", 1)[1]
    row = session.scalar(select(AccountToken).where(AccountToken.user_id == clerk.id))
    assert row.purpose == "reset" and row.token_hash != token and len(row.token_hash) == 64
    assert row.expires_at == NOW + timedelta(hours=1)

    form = client.get(path)
    assert form.status_code == 200 and "Choose a new password" in form.get_data(as_text=True)
    csrf = csrf_token(client, path)
    weak = client.post(path, data={"csrf_token": csrf, "password": "password1234!", "confirm": "password1234!"})
    assert weak.status_code == 400 and "too easy to guess" in weak.get_data(as_text=True)
    done = client.post(path, data={"csrf_token": csrf, "password": STRONG, "confirm": STRONG})
    assert done.status_code == 302 and done.headers["Location"] == "/login"

    assert login(client, clerk.email, PASSWORD).status_code == 401  # the old password no longer works
    session.expire_all()
    assert all(s.ended_at is not None and s.ended_reason == "password reset"
               for s in session.scalars(select(UserSession).where(UserSession.user_id == clerk.id)))
    assert session.scalar(select(AuditLog).where(AuditLog.action == "password")).after == {"how": "reset"}

    again = client.post(path, data={"csrf_token": csrf, "password": OTHER_STRONG, "confirm": OTHER_STRONG})
    assert again.status_code == 410 and "already used" in again.get_data(as_text=True)
    assert client.get(path).status_code == 410
    assert login(client, clerk.email, STRONG).status_code == 302


def test_an_expired_reset_link_is_refused(client, world, session, inbox, clock):
    clerk = world["users"]["staff"]
    _forgot(client, clerk.email)
    path = inbox.link(clerk.email, "reset")
    clock["at"] = NOW + timedelta(minutes=59)
    assert client.get(path).status_code == 200
    csrf = csrf_token(client, path)
    clock["at"] = NOW + timedelta(minutes=60)
    resp = client.post(path, data={"csrf_token": csrf, "password": STRONG, "confirm": STRONG})
    assert resp.status_code == 410 and "expired" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, clerk.id).check_password(PASSWORD)


def test_a_new_reset_link_ends_the_earlier_one(client, world, inbox, clock):
    clerk = world["users"]["staff"]
    _forgot(client, clerk.email)
    first = inbox.link(clerk.email, "reset")
    _forgot(client, clerk.email)
    second = inbox.link(clerk.email, "reset")
    assert first != second
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_forgot_answers_the_same_for_unknown_and_deactivated_addresses(client, world, session, inbox, clock):
    colleague = world["users"]["colleague"]
    colleague.active = False
    session.commit()
    answers = {email: _forgot(client, email) for email in
               ("clerk@lacity.example", "nobody@lacity.example", colleague.email)}
    assert len(set(answers.values())) == 1, answers
    assert [m["To"] for m in inbox.messages()] == ["clerk@lacity.example"]
    assert session.scalar(select(func.count(AccountToken.id))) == 1


def test_forgot_sends_the_mail_after_the_response(client, world, inbox, clock):
    token = csrf_token(client, "/forgot")
    resp = client.post("/forgot", data={"csrf_token": token, "email": "clerk@lacity.example"})
    assert resp.status_code == 200 and inbox.messages() == []
    resp.close()
    assert len(inbox.messages()) == 1


def test_unknown_reset_links_and_forgot_without_csrf_are_refused(client, world):
    assert client.get("/reset?token=not-a-real-token").status_code == 404
    assert client.get("/reset").status_code == 404 and client.get("/invite").status_code == 404
    assert client.post("/forgot", data={"email": "clerk@lacity.example"}).status_code == 400
    token = csrf_token(client, "/forgot")
    empty = client.post("/forgot", data={"csrf_token": token, "email": ""})
    assert empty.status_code == 400 and "Enter the email address" in empty.get_data(as_text=True)


def test_login_page_links_to_forgot_and_settings_to_change_password(client, login_as):
    assert 'href="/forgot"' in client.get("/login").get_data(as_text=True)
    assert 'href="/settings/password"' in login_as("staff").get("/settings").get_data(as_text=True)


def test_cli_user_create_applies_the_policy(cli, session):
    args = ["foia", "user", "create", "new.clerk@city.example", "--role", "staff", "--org", "City", "--password-stdin"]
    common = cli.invoke(args=args, input="password1234!\n")
    assert common.exit_code == 2 and "too easy to guess" in common.output
    assert session.scalar(select(func.count(User.id))) == 0
    ok = cli.invoke(args=args, input=STRONG + "\n")
    assert ok.exit_code == 0, ok.output
    assert session.scalar(select(User).where(User.email == "new.clerk@city.example")).check_password(STRONG)


def test_forgot_is_rate_limited_per_account_with_retry_after(client, world, inbox, clock):
    """Asking for reset links for one address is limited (3 per 15 minutes), whatever the answer says."""
    token = csrf_token(client, "/forgot")
    for _ in range(3):
        assert client.post("/forgot", data={"csrf_token": token, "email": "clerk@lacity.example"}).status_code == 200
    refused = client.post("/forgot", data={"csrf_token": token, "email": "clerk@lacity.example"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    other = client.post("/forgot", data={"csrf_token": token, "email": "reporter@newsroom.example"})
    assert other.status_code == 200  # the limit is per address asked about, not a lockout of the page
