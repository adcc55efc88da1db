"""Every route in the app, enumerated from its URL map: anonymous visitors reach nothing but the
deliberately public endpoints, and a signed-in outsider sees none of another organization's private
request through any request-scoped route."""

from __future__ import annotations

from tests.conftest import csrf_token

# Public by design, each for a stated reason.
PUBLIC = {
    "passwords.forgot",  # "forgot your password": the person cannot sign in
    "passwords.reset",   # the emailed one-time reset link is the credential
    "passwords.invite",  # the emailed one-time invitation link is the credential
    "auth.login",        # the way in
    "ops.healthz",      # load balancers and monitoring
    "ops.metrics",       # Prometheus: loopback (the test client's address) or FOIA_METRICS_TOKEN; tests/ops check both
    "static",            # CSS, JS, fonts
    "letters.asset",     # letter.css and fonts for the sandboxed letter preview (an opaque origin)
    "account.feed",      # calendar apps cannot sign in: the secret token is the credential (404 without it)
    "laws.index",        # reference: which laws and clocks the app knows, with citations (no request data)
    "laws.show",         # reference: one law's clocks, sources, holidays and exemptions (no request data)
    "help.index",        # the glossary and how-to: general text, nothing about any request or person
    "api-docs.openapi_json",  # the API's OpenAPI document: its shape, no data (every operation needs a token)
    "api_docs.docs",     # the API's docs page, the same document for people
}
#: The JSON API takes a bearer token, never the cookie session: without one it answers 401 (JSON), not a redirect.
API_ENDPOINTS = ("api_requests.", "api_agencies.")


def _values(rule, ref: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for arg in rule.arguments:
        if arg == "ref":
            out[arg] = ref
        elif arg == "scope":
            out[arg] = "mine"
        elif arg in ("slug",):
            out[arg] = "dhs-ice"
        elif arg in ("filename", "name"):
            out[arg] = "x.eml" if rule.endpoint.startswith("admin") else "letter.css"
        else:
            out[arg] = 1
    return out


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint not in PUBLIC]


def test_every_non_public_route_sends_anonymous_visitors_to_login(ctx, client, world):
    ref = world["requests"][("staff", "private")].ref
    checked = 0
    for rule in _rules(ctx):
        with ctx.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **_values(rule, ref))
        if rule.endpoint.startswith(API_ENDPOINTS):
            for method in sorted(rule.methods & {"GET", "POST"}):
                resp = client.open(url, method=method, json={})
                assert resp.status_code == 401 and resp.is_json, (rule.rule, resp.status_code)
                checked += 1
            continue
        if "GET" in rule.methods:
            resp = client.get(url)
            assert resp.status_code == 302 and resp.headers["Location"].startswith("/login"), (rule.rule, resp.status_code)
            checked += 1
        if "POST" in rule.methods:
            resp = client.post(url, data={})
            assert resp.status_code in (302, 400), (rule.rule, resp.status_code)  # login redirect or CSRF refusal
            if resp.status_code == 302:
                assert resp.headers["Location"].startswith("/login"), rule.rule
            checked += 1
    assert checked >= 40


def test_an_outsider_reaches_no_private_request_through_any_route(ctx, login_as, world):
    """Every route that takes a request reference, as someone from another organization: 404 (it is
    hidden exactly as if it did not exist), never its content."""
    req = world["requests"][("staff", "private")]
    client = login_as("outsider")
    token = csrf_token(client, "/requests")
    from foia.api.tokens import create_token
    from foia.extensions import db

    outsider = world["users"]["outsider"]
    bearer = {"Authorization": "Bearer " + create_token(db.session(), actor=outsider, owner=outsider, name="routes",
                                                        now=outsider.created_at).token}
    db.session.commit()
    scoped = [r for r in _rules(ctx) if "ref" in r.arguments]
    assert len(scoped) >= 12
    for rule in scoped:
        with ctx.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **_values(rule, req.ref))
        for method in sorted(rule.methods & {"GET", "POST"}):
            if rule.endpoint.startswith(API_ENDPOINTS):  # the API, with the outsider's own token
                resp = client.open(url, method=method, headers=bearer, json={})
            else:
                resp = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
            assert resp.status_code == 404, (method, rule.rule, resp.status_code)
            assert req.title not in resp.get_data(as_text=True)


def test_public_endpoints_are_the_stated_ones(ctx):
    endpoints = {r.endpoint for r in ctx.url_map.iter_rules()}
    assert endpoints >= PUBLIC  # the list is kept true as routes change
