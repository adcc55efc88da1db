"""The OpenAPI document: valid OpenAPI 3.1, its paths exactly the app's /api/v1 routes, and the docs page shows every
operation."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

DOC_ROUTES = {"/api/v1/openapi.json", "/api/v1/docs"}  # the document and its page, not API operations


def _spec(client) -> dict:
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.is_json
    return resp.get_json()


def test_the_document_is_valid_openapi_3_1(client):
    spec = _spec(client)
    assert spec["openapi"] == "3.1.0" and spec["info"]["version"] == "v1" and spec["info"]["title"]
    validate(spec)
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "A personal API token (ftk_...)."}
    assert spec["security"] == [{"bearerAuth": []}]
    ops = [op for item in spec["paths"].values() for m, op in item.items() if m != "parameters"]
    assert len({op["operationId"] for op in ops}) == len(ops) and all(op.get("summary") for op in ops)


def test_its_paths_are_exactly_the_apps_routes(client, app):
    spec = _spec(client)
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item
                  if method != "parameters"}
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule in DOC_ROUTES:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed
    assert len(routed) >= 7


def test_the_docs_page_renders_every_operation(client, login_as):
    spec = _spec(client)
    for who in ("signed out", "signed in"):
        if who == "signed in":
            login_as("reporter")
        resp = client.get("/api/v1/docs")
        assert resp.status_code == 200 and resp.mimetype == "text/html", who
        html = resp.get_data(as_text=True)
        for path, item in spec["paths"].items():
            for method, op in item.items():
                if method == "parameters":
                    continue
                assert f'id="{op["operationId"]}"' in html and f"{method.upper()} {path}" in html
                section = html.split(f'id="{op["operationId"]}"', 1)[1].split('class="api-op', 1)[0]
                assert "Authorization: Bearer $FOIA_TOKEN" in section and "curl" in section
        for name in spec["components"]["schemas"]:
            assert f'id="schema-{name}"' in html
        assert "records_sought" in html and "next_cursor" in html and "-F file=@release.pdf" in html
        # our own assets only: the CSP forbids anything else
        assert all(src.startswith("/static/") for src in re.findall(r'<script[^>]+src="([^"]+)"', html))
        assert "Content-Security-Policy" in resp.headers


def test_the_documented_examples_work(client, world, session):
    """The request bodies the document shows (and the docs page's curl uses) are accepted as they are."""
    from datetime import date

    from foia.api.tokens import create_token
    from foia.requests.service import log_event
    from tests.conftest import NOW

    spec = _spec(client)
    staff = world["users"]["staff"]
    headers = {"Authorization": "Bearer " + create_token(session, actor=staff, owner=staff, name="x", now=NOW).token}
    session.commit()
    create = spec["paths"]["/api/v1/requests"]["post"]["requestBody"]["content"]["application/json"]["example"]
    resp = client.post("/api/v1/requests", json=create, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    req = world["requests"][("staff", "private")]
    log_event(session, actor=staff, now=NOW, req=req, kind="sent", occurred_on=date(2026, 1, 12))
    session.commit()
    log = spec["paths"]["/api/v1/requests/{ref}/communications"]["post"]["requestBody"]["content"]["application/json"]
    resp = client.post(f"/api/v1/requests/{req.ref}/communications", json=log["example"], headers=headers)
    assert resp.status_code == 201, resp.get_json()
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert "ICE detention contracts, 2025" in html and "2026-ICFO-0042" in html
