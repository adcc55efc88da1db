"""Server-side sessions: sign-out, timeouts and deactivation end every copy of the cookie (M1, L5)."""

from __future__ import annotations

from sqlalchemy import select

from foia.accounts.sessions import end_user_sessions
from foia.models import AuditLog, UserSession
from tests.conftest import csrf_token, login


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_sign_in_starts_a_server_side_session_holding_only_its_token(client, world, session, clock):
    resp = login(client, "clerk@lacity.example")
    assert resp.status_code == 302
    rows = session.scalars(select(UserSession)).all()
    assert len(rows) == 1 and rows[0].user_id == world["users"]["staff"].id and rows[0].ended_at is None
    assert rows[0].ip == "127.0.0.1"
    session.refresh(world["users"]["staff"])
    assert world["users"]["staff"].last_login_at == clock.now
    assert session.scalar(select(AuditLog).where(AuditLog.action == "sign_in")) is not None
    # No remember-me cookie: the only credential is the session cookie naming the server-side row.
    assert not any(c.startswith("remember_token") for c in resp.headers.getlist("Set-Cookie"))


def test_a_cookie_copied_before_sign_out_does_not_work_after_it(new_client, world, session, clock):
    client = new_client()
    login(client, "clerk@lacity.example")
    assert client.get("/dashboard").status_code == 200
    stolen = _session_cookie(client)
    resp = client.post("/logout", data={"csrf_token": csrf_token(client, "/settings")})
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    row = session.scalars(select(UserSession)).one()
    session.refresh(row)
    assert row.ended_reason == "signed_out"
    # Replay the copied cookie from another client: refused.
    thief = new_client()
    thief.set_cookie("session", stolen)
    resp = thief.get("/dashboard")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    # ...and it cannot change anything either.
    before = world["users"]["staff"].calendar_token
    resp = thief.post("/settings/calendar-token", data={"csrf_token": "x"})
    assert resp.status_code in (302, 400)
    session.refresh(world["users"]["staff"])
    assert world["users"]["staff"].calendar_token == before


def test_sessions_end_after_the_idle_limit(client, world, session, clock, app, monkeypatch):
    monkeypatch.setitem(app.config, "FOIA_SESSION_IDLE_MINUTES", 60)
    login(client, "clerk@lacity.example")
    clock.advance(minutes=59)
    assert client.get("/dashboard").status_code == 200  # use keeps it alive
    clock.advance(minutes=59)
    assert client.get("/dashboard").status_code == 200
    clock.advance(minutes=61)
    resp = client.get("/dashboard")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    row = session.scalars(select(UserSession)).one()
    session.refresh(row)
    assert row.ended_reason == "idle"
    # Coming back to life is not possible: the row stays ended.
    clock.advance(minutes=-61)
    assert client.get("/dashboard").status_code == 302


def test_sessions_end_at_the_absolute_limit_however_busy(client, world, session, clock, app, monkeypatch):
    monkeypatch.setitem(app.config, "FOIA_SESSION_MAX_HOURS", 12)
    login(client, "clerk@lacity.example")
    for _ in range(14):  # every 50 minutes for 11 h 40 min
        clock.advance(minutes=50)
        assert client.get("/dashboard").status_code == 200
    clock.advance(minutes=21)  # 12 h 01 min after sign-in
    assert client.get("/dashboard").status_code == 302
    row = session.scalars(select(UserSession)).one()
    session.refresh(row)
    assert row.ended_reason == "expired"


def test_sign_in_gives_a_new_csrf_secret(client, world):
    before = csrf_token(client, "/login")
    resp = client.post("/login", data={"email": "clerk@lacity.example", "password": "correct horse battery",
                                       "csrf_token": before})
    assert resp.status_code == 302
    # The token issued before sign-in no longer passes...
    resp = client.post("/settings/calendar-token", data={"csrf_token": before})
    assert resp.status_code == 400
    # ...a token issued after it does.
    resp = client.post("/settings/calendar-token", data={"csrf_token": csrf_token(client, "/settings")})
    assert resp.status_code == 302


def test_deactivated_users_are_signed_out_at_once(client, world, session, clock):
    login(client, "clerk@lacity.example")
    assert client.get("/dashboard").status_code == 200
    world["users"]["staff"].active = False
    session.commit()
    assert client.get("/dashboard").status_code == 302
    row = session.scalars(select(UserSession)).one()
    session.refresh(row)
    assert row.ended_reason == "inactive"


def test_ending_all_of_a_users_sessions_signs_out_every_browser(new_client, world, session, clock):
    phone, laptop, other = new_client(), new_client(), new_client()
    login(phone, "clerk@lacity.example")
    login(laptop, "clerk@lacity.example")
    login(other, "reporter@newsroom.example")
    assert end_user_sessions(session, user_id=world["users"]["staff"].id, now=clock.now, reason="password") == 2
    session.commit()
    assert phone.get("/dashboard").status_code == 302
    assert laptop.get("/dashboard").status_code == 302
    assert other.get("/dashboard").status_code == 200


def test_a_forged_user_id_without_a_live_session_is_nobody(new_client, world, session, clock):
    client = new_client()
    login(client, "reporter@newsroom.example")
    with client.session_transaction() as s:  # claim to be the admin, keeping the reporter's session token
        s["_user_id"] = str(world["users"]["admin"].id)
    resp = client.get("/dashboard")
    assert resp.status_code == 302


def test_the_address_and_browser_may_change_within_a_session(new_client, world, clock):
    """session_protection is "basic": the server-side row decides, not a hash of address and User-Agent."""
    client = new_client()
    login(client, "clerk@lacity.example")
    resp = client.get("/dashboard", headers={"User-Agent": "Other/1.0"}, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert resp.status_code == 200


def _sign_in_to(client, next_path: str):
    token = csrf_token(client, f"/login?next={next_path}")
    return client.post(f"/login?next={next_path}", data={"email": "clerk@lacity.example",
                                                        "password": "correct horse battery", "csrf_token": token})


def test_a_form_posted_after_the_session_ended_comes_back_filled_after_sign_in(client, world, session, clock):
    from foia.models import Request

    login(client, "clerk@lacity.example")
    token = csrf_token(client, "/requests/new")
    count = session.query(Request).count()
    clock.advance(minutes=61)  # went to lunch with the form open
    resp = client.post("/requests/new", data={
        "csrf_token": token, "title": "Body camera footage of the March 3 stop",
        "records_sought": "All body-worn camera video recorded by officers at the stop on March 3.",
        "password": "never kept"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/login?next=/requests/new"
    assert session.query(Request).count() == count  # nothing was saved
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Sign in to come back to the page with your text." in page
    with client.session_transaction() as s:
        assert "never kept" not in str(s.get("form_stash")) and token not in str(s.get("form_stash"))

    resp = _sign_in_to(client, "/requests/new")
    assert resp.status_code == 302 and resp.headers["Location"] == "/requests/new"
    html = client.get("/requests/new").get_data(as_text=True)
    assert "Body camera footage of the March 3 stop" in html
    assert "All body-worn camera video recorded by officers at the stop on March 3." in html
    # Once only.
    assert "Body camera footage" not in client.get("/requests/new").get_data(as_text=True)


def test_a_form_posted_without_any_session_cookie_is_kept_too(new_client, world, clock):
    """The browser dropped the session cookie: the CSRF check fails, and the text is still not lost."""
    client = new_client()
    resp = client.post("/requests/new", data={"csrf_token": "from-a-session-long-gone",
                                              "title": "Jail contracts", "records_sought": "Every contract."})
    assert resp.status_code == 302 and resp.headers["Location"] == "/login?next=/requests/new"
    assert _sign_in_to(client, "/requests/new").headers["Location"] == "/requests/new"
    html = client.get("/requests/new").get_data(as_text=True)
    assert "Jail contracts" in html and "Every contract." in html


def test_text_too_long_for_the_cookie_is_not_kept_and_the_person_is_told(client, world, clock):
    login(client, "clerk@lacity.example")
    token = csrf_token(client, "/requests/new")
    clock.advance(minutes=61)
    resp = client.post("/requests/new", data={"csrf_token": token, "title": "Long", "records_sought": "x" * 5000})
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "too long to keep" in page
    _sign_in_to(client, "/requests/new")
    assert 'value="Long"' not in client.get("/requests/new").get_data(as_text=True)


def test_letter_drafts_and_logged_communications_come_back_filled_too(new_client, world, clock):
    ref = world["requests"][("staff", "private")].ref
    for path, data, expected in (
        (f"/requests/{ref}/letters/new", {"intro": "I write for the Eastside Tenants Union."},
         "I write for the Eastside Tenants Union."),
        (f"/requests/{ref}/communications/new", {"kind": "note", "subject": "Call with the records officer",
                                                  "body": "She said the search is under way."},
         "She said the search is under way."),
    ):
        client = new_client()
        login(client, "clerk@lacity.example")
        token = csrf_token(client, path)
        clock.advance(minutes=61)
        resp = client.post(path, data={"csrf_token": token, **data})
        assert resp.status_code == 302 and resp.headers["Location"] == f"/login?next={path}"
        assert _sign_in_to(client, path).headers["Location"] == path
        assert expected in client.get(path).get_data(as_text=True)
