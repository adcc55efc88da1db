"""Personal API tokens: bearer only (a cookie session gets 401), revocation, deactivation, last use, rate limits,
JSON errors, the Settings section and `flask foia token ...`."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import g
from sqlalchemy import select

from foia.api.tokens import authenticate, hash_token
from foia.models import AuditLog
from foia.models.exchange import ApiToken
from tests.api.conftest import bearer
from tests.conftest import NOW, csrf_token, login


def _switch_clients() -> None:
    """The tests share one app context, so `g` (the signed-in user, the CSRF token) between two test clients."""
    for key in ("_login_user", "csrf_token"):
        g.pop(key, None)


def _audits(session, action: str) -> list[AuditLog]:
    session.expire_all()
    return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_no_token_an_unknown_one_or_a_revoked_one_is_401(client, token_for, session, world):
    resp = client.get("/api/v1/requests")
    assert resp.status_code == 401 and resp.is_json
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert set(resp.get_json()) == {"code", "status", "message", "errors"}
    for header in ("Bearer ftk_" + "A" * 43, "Bearer ", "Basic dXNlcjpwYXNz", "ftk_abc"):
        resp = client.get("/api/v1/requests", headers={"Authorization": header})
        assert resp.status_code == 401, header
    resp = client.get("/api/v1/requests", headers=bearer("ftk_" + "A" * 43))
    assert 'error="invalid_token"' in resp.headers["WWW-Authenticate"]

    token = token_for("reporter")
    assert client.get("/api/v1/requests", headers=bearer(token)).status_code == 200
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    assert row.token_hash != token and token not in row.prefix and token.startswith(row.prefix)
    row.revoked_at = NOW
    session.commit()
    assert client.get("/api/v1/requests", headers=bearer(token)).status_code == 401


def test_a_deactivated_users_tokens_stop_working(client, token_for, session, world):
    token = token_for("colleague")
    assert client.get("/api/v1/agencies", headers=bearer(token)).status_code == 200
    world["users"]["colleague"].active = False
    session.commit()
    assert client.get("/api/v1/agencies", headers=bearer(token)).status_code == 401


def test_a_cookie_session_alone_gets_401_and_no_cookie_is_set(login_as, client, token_for, world, session):
    login_as("staff")
    assert client.get("/dashboard").status_code == 200  # the browser session works on the web
    for method, path in (("get", "/api/v1/requests"), ("get", "/api/v1/agencies"), ("post", "/api/v1/requests")):
        resp = getattr(client, method)(path, json={} if method == "post" else None)
        assert resp.status_code == 401, (method, path, resp.status_code)
        assert "Set-Cookie" not in resp.headers
    # unmatched API URLs answer JSON too, not the HTML error page
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404 and resp.is_json
    resp = client.delete("/api/v1/agencies")
    assert resp.status_code == 405 and resp.is_json
    # with a token as well, the token decides who is calling, never the cookie
    staff_private = world["requests"][("staff", "private")].ref
    token = token_for("outsider")
    refs = {i["ref"] for i in client.get("/api/v1/requests", headers=bearer(token)).get_json()["items"]}
    assert staff_private not in refs
    assert client.get(f"/api/v1/requests/{staff_private}", headers=bearer(token)).status_code == 404


def test_last_used_is_written_at_most_once_a_minute(session, token_for):
    token = token_for("staff")
    found = authenticate(session, token, now=NOW)
    assert found is not None and found[1].last_used_at == NOW
    session.commit()
    authenticate(session, token, now=NOW + timedelta(seconds=30))
    assert not session.dirty
    authenticate(session, token, now=NOW + timedelta(seconds=61))
    assert session.dirty
    session.commit()
    assert session.scalar(select(ApiToken.last_used_at)) == NOW + timedelta(seconds=61)


def test_the_api_records_last_use(client, token_for, session):
    token = token_for("staff")
    client.get("/api/v1/agencies", headers=bearer(token))
    session.expire_all()
    assert session.scalar(select(ApiToken.last_used_at)) is not None


def test_over_the_limit_is_429_json_per_token(client, token_for, app, monkeypatch):
    monkeypatch.setitem(app.config, "FOIA_API_RATE_LIMIT", "3 per minute")
    one, two = token_for("staff"), token_for("reporter")
    codes = [client.get("/api/v1/agencies", headers=bearer(one)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    resp = client.get("/api/v1/agencies", headers=bearer(one))
    assert resp.status_code == 429 and resp.is_json and resp.get_json()["code"] == 429
    assert int(resp.headers["Retry-After"]) >= 1
    assert client.get("/api/v1/agencies", headers=bearer(two)).status_code == 200  # another token, its own count


def test_nul_in_an_api_call_is_a_json_400(client, token_for):
    resp = client.get("/api/v1/requests?q=a%00b", headers=bearer(token_for("staff")))
    assert resp.status_code == 400 and resp.is_json


# ---------------------------------------------------------------------------------------------- Settings

def test_settings_create_shows_once_lists_and_revokes(login_as, client, session, world):
    login_as("reporter")
    page = client.get("/settings").get_data(as_text=True)
    assert 'id="api-tokens"' in page and "You have no API tokens." in page
    resp = client.post("/settings/api-tokens", data={"csrf_token": csrf_token(client, "/settings"),
                                                     "name": "deadline bot"})
    assert resp.status_code == 200
    token = re.search(r'value="(ftk_[A-Za-z0-9_-]{43})"', resp.get_data(as_text=True)).group(1)
    assert resp.headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/requests", headers=bearer(token)).status_code == 200

    page = client.get("/settings").get_data(as_text=True)
    row = session.scalar(select(ApiToken))
    assert "deadline bot" in page and row.prefix in page and token not in page
    assert "Never" not in page  # it was used just now
    [created] = _audits(session, "api_token:create")
    assert created.actor_id == world["users"]["reporter"].id and token not in str(created.after)

    # no name: refused, nothing created
    resp = client.post("/settings/api-tokens", data={"csrf_token": csrf_token(client, "/settings"), "name": " "})
    assert resp.status_code == 303 and session.scalar(select(ApiToken).where(ApiToken.id != row.id)) is None
    # without CSRF: refused (the web form is a cookie-session form)
    assert client.post("/settings/api-tokens", data={"name": "x"}).status_code == 400

    # someone else cannot revoke it
    other = client.application.test_client()
    _switch_clients()
    login(other, world["users"]["colleague"].email)
    resp = other.post(f"/settings/api-tokens/{row.id}/revoke", data={"csrf_token": csrf_token(other, "/settings")})
    assert resp.status_code == 404
    assert client.get("/api/v1/requests", headers=bearer(token)).status_code == 200

    _switch_clients()
    resp = client.post(f"/settings/api-tokens/{row.id}/revoke", data={"csrf_token": csrf_token(client, "/settings")})
    assert resp.status_code == 303
    assert client.get("/api/v1/requests", headers=bearer(token)).status_code == 401
    assert len(_audits(session, "api_token:revoke")) == 1
    page = client.get("/settings").get_data(as_text=True)
    assert "Revoked" in page and 'aria-controls="revoke-token-' not in page


# ---------------------------------------------------------------------------------------------- CLI

def test_cli_token_create_list_revoke(cli, client, session, world):
    email = world["users"]["staff"].email
    result = cli.invoke(args=["foia", "token", "create", email, "--name", "nightly export"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"ftk_[A-Za-z0-9_-]{43}", token)
    assert client.get("/api/v1/agencies", headers=bearer(token)).status_code == 200
    row = session.scalar(select(ApiToken))
    assert row.user_id == world["users"]["staff"].id and row.name == "nightly export"
    assert len(_audits(session, "api_token:create")) == 1

    listed = cli.invoke(args=["foia", "token", "list", email])
    assert listed.exit_code == 0 and "nightly export" in listed.output and row.prefix in listed.output
    assert token not in listed.output and "active" in listed.output

    revoked = cli.invoke(args=["foia", "token", "revoke", str(row.id)])
    assert revoked.exit_code == 0 and "Revoked" in revoked.output
    assert client.get("/api/v1/agencies", headers=bearer(token)).status_code == 401
    assert "revoked" in cli.invoke(args=["foia", "token", "list", email]).output
    assert len(_audits(session, "api_token:revoke")) == 1
    assert "already" in cli.invoke(args=["foia", "token", "revoke", str(row.id)]).output

    assert cli.invoke(args=["foia", "token", "create", "nobody@example.com"]).exit_code == 2
    assert cli.invoke(args=["foia", "token", "revoke", "999999"]).exit_code == 2
    assert cli.invoke(args=["foia", "token", "create", email, "--name", ""]).exit_code == 2
