"""L6, L2, L3: ids too large for the database are 404s (one bounded converter for every route), over-long time
zones are refused with a message, HSTS with secure cookies, no-store for signed-in pages and downloads."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from foia.core.clock import valid_timezone
from foia.core.db import MAX_ID, parse_id
from foia.models import Watcher
from tests.conftest import csrf_token

HUGE = 2**70


def _int_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if any(type(conv).__name__ == "BoundedIntConverter" for conv in rule._converters.values())]


def test_route_audit_every_int_id_route_answers_404_for_huge_ids(app, login_as, world):
    client = login_as("admin")
    token = csrf_token(client, "/settings")
    ref = world["requests"][("staff", "private")].ref
    rules = _int_rules(app)
    # every `<int:...>` of the app is bounded: werkzeug's plain converter is no longer reachable
    assert not [r for r in app.url_map.iter_rules()
                if any(type(c).__name__ == "IntegerConverter" for c in r._converters.values())]
    assert len(rules) >= 16, [r.rule for r in rules]
    seen = []
    for rule in rules:
        values = {}
        for name, conv in rule._converters.items():
            values[name] = HUGE if type(conv).__name__ == "BoundedIntConverter" else (ref if name == "ref" else "x")
        path = rule.rule
        for name, value in values.items():
            path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?" + name + ">", str(value), path)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            resp = client.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
            assert resp.status_code == 404, (method, path, resp.status_code)
            seen.append((method, rule.endpoint))
    for endpoint in ("documents.download", "letters.show", "letters.preview", "letters.compare", "requests.group",
                     "mailroom.message", "mailroom.assign", "mailroom.discard",
                     "watchers.delete", "admin.delete_closure_view"):
        assert endpoint in {e for _m, e in seen}, endpoint


def test_largest_storable_id_is_still_an_ordinary_404(login_as):
    client = login_as("admin")
    assert client.get(f"/documents/{MAX_ID}/download").status_code == 404
    assert client.get(f"/documents/{MAX_ID + 1}/download").status_code == 404


def test_form_and_query_ids_out_of_range(login_as, world, session):
    client = login_as("staff")
    req = world["requests"][("staff", "private")]
    token = csrf_token(client, f"/requests/{req.ref}")
    resp = client.post(f"/requests/{req.ref}/watchers", data={"csrf_token": token, "user_id": str(HUGE)})
    assert resp.status_code == 303
    assert "Choose a person from the list." in client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert session.scalar(select(func.count(Watcher.id))) == 0
    for cursor in (f"-.{HUGE}", f"2026-01-01.{HUGE}", "-.-1", "junk"):
        assert client.get(f"/requests?after={cursor}").status_code == 200
    assert [parse_id(v) for v in ("7", " 7 ", str(MAX_ID), str(MAX_ID + 1), "0", "-1", "1e3", "٣", "", None)] == \
        [7, 7, MAX_ID, None, None, None, None, None, None, None]


def test_overlong_and_malformed_time_zones_are_refused_with_a_message(login_as, world):
    for name in ("a/" + "a" * 300, "Europe/" + "x" * 250, "America/../../etc/passwd", "Mars/Olympus", "America/New York"):
        assert valid_timezone(name) is False
    assert valid_timezone("America/New_York") is True
    client = login_as("staff")
    token = csrf_token(client, "/settings")
    for name in ("a" * 256, "a/" + "a" * 300):
        resp = client.post("/settings", data={"csrf_token": token, "mode": "immediate", "timezone": name})
        assert resp.status_code == 400
        assert "Choose a time zone from the list" in resp.get_data(as_text=True)


def test_hsts_only_with_secure_cookies(app, client, ctx):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        for path in ("/login", "/static/app.css", "/no-such-page"):
            resp = client.get(path, base_url="https://localhost")
            assert resp.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains", path
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False


def test_no_store_for_signed_in_pages_and_downloads_but_not_static_assets(client, login_as, world):
    anonymous = client.get("/login")
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    static = client.get("/static/app.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    login_as("admin")
    ref = world["requests"][("staff", "private")].ref
    for path in ("/dashboard", f"/requests/{ref}", "/agencies", "/settings", "/no-such-page"):
        resp = client.get(path)
        assert resp.headers["Cache-Control"] == "no-store", path
    export = client.get(f"/requests/{ref}/export")
    assert export.status_code == 200 and export.headers["Cache-Control"] == "no-store"
    static = client.get("/static/app.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
