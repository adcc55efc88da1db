"""The JSON API end to end with personal tokens: create, validate, list with a cursor, read with deadlines,
log a communication, upload and download, and the access rules of the web."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from foia.clocks.service import compute_for
from foia.core.access import can_view
from foia.models import Agency, AuditLog, Communication, Request
from foia.models.communication import Document
from foia.requests.service import log_event
from tests.conftest import NOW

NEW_REQUEST = {"title": "ICE detention contracts", "agency": "dhs-ice",
               "records_sought": "All contracts for detention services signed in 2025.", "visibility": "organization",
               "fee_category": "news_media", "records_from": "2025-01-01", "records_to": "2025-12-31"}


def _send(session, req, user, day: date) -> None:
    log_event(session, actor=user, now=NOW, req=req, kind="sent", occurred_on=day,
              occurred_at=datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC))
    session.commit()


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# ---------------------------------------------------------------------------------------------- create

def test_create_request_is_the_web_forms_draft(api, world, session):
    call = api("reporter")
    before = _count(session, Request)
    resp = call("post", "/api/v1/requests", json=NEW_REQUEST)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert resp.headers["Location"].endswith(f"/api/v1/requests/{body['ref']}")
    assert body["status"] == "draft" and body["agency"]["slug"] == "dhs-ice" and body["law"] == "us-foia"
    assert body["records_from"] == "2025-01-01" and body["fee_category"] == "news_media"
    assert body["communications"] == [] and body["documents"] == []
    assert body["deadlines"] and all(d["due"] is None for d in body["deadlines"])  # not sent: no clock runs yet
    session.expire_all()
    assert _count(session, Request) == before + 1
    req = session.scalar(select(Request).where(Request.ref == body["ref"]))
    assert req.requester_id == world["users"]["reporter"].id
    assert req.organization_id == world["users"]["reporter"].organization_id and req.visibility == "organization"
    assert session.scalar(select(AuditLog).where(AuditLog.entity_type == "requests", AuditLog.entity_id == str(req.id),
                                                 AuditLog.action == "create")) is not None
    # and it reads back the same
    again = call("get", body["api_url"].split("localhost", 1)[-1])
    assert again.status_code == 200 and again.get_json()["ref"] == body["ref"]


def test_create_request_422_with_a_message_per_field(api, session):
    call = api("reporter")
    before = _count(session, Request)
    # the schema: missing, wrong type, unknown choice, unknown field
    resp = call("post", "/api/v1/requests", json={"records_sought": 12, "visibility": "everyone", "colour": "red"})
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["code"] == 422 and body["status"] == "Unprocessable Entity" and body["message"]
    errors = body["errors"]
    assert errors["title"] == ["Give the request a short title."]
    assert errors["agency"] == ["Choose an agency from the directory."]
    assert set(errors) >= {"records_sought", "visibility", "colour"}
    # the service: the same messages as the web form
    resp = call("post", "/api/v1/requests", json={**NEW_REQUEST, "agency": "no-such-agency", "records_sought": "x",
                                                  "records_from": "2025-12-31", "records_to": "2025-01-01"})
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert errors["agency"] == ["Choose an agency from the directory."]
    assert errors["records_sought"] == ["Describe the records you are asking for (at least a sentence)."]
    assert "records_to" not in errors or errors["records_to"]
    # not JSON at all
    resp = call("post", "/api/v1/requests", data="title=x", content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 422 and resp.is_json
    session.expire_all()
    assert _count(session, Request) == before


# ---------------------------------------------------------------------------------------------- list

def test_list_pages_with_an_opaque_cursor_and_filters(api, world, session):
    staff = world["users"]["staff"]
    call = api("staff")
    for n in range(5):  # more of the city's requests, some with deadlines
        resp = call("post", "/api/v1/requests", json={**NEW_REQUEST, "title": f"Body camera footage {n}"})
        assert resp.status_code == 201
    session.expire_all()
    for req in session.scalars(select(Request).where(Request.title.like("Body camera footage %"))).all()[:3]:
        _send(session, req, staff, date(2026, 1, 5))
    expected = {r.ref for r in session.scalars(select(Request)) if can_view(staff, r)}
    assert len(expected) >= 8

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        resp = call("get", "/api/v1/requests", query_string={"limit": 3, **({"cursor": cursor} if cursor else {})})
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        assert len(body["items"]) <= 3
        seen += [item["ref"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert "." not in cursor and "-" not in cursor.replace("-", "")  # opaque, not "date.id"
    assert pages >= 3 and len(seen) == len(set(seen)) and set(seen) == expected
    dated = [item for item in seen if session.scalar(select(Request.next_due).where(Request.ref == item))]
    assert seen[:len(dated)] == dated  # soonest deadline first, undated last

    resp = call("get", "/api/v1/requests", query_string={"status": "submitted"})
    assert {i["ref"] for i in resp.get_json()["items"]} == {
        r.ref for r in session.scalars(select(Request).where(Request.status == "submitted")) if can_view(staff, r)}
    resp = call("get", "/api/v1/requests", query_string={"agency": "lasd"})
    assert {i["agency"]["slug"] for i in resp.get_json()["items"]} == {"lasd"}
    resp = call("get", "/api/v1/requests", query_string={"q": "footage 3"})
    assert [i["title"] for i in resp.get_json()["items"]] == ["Body camera footage 3"]

    for bad in ({"cursor": "not-a-cursor"}, {"limit": 0}, {"limit": 101}, {"status": "lost"}):
        resp = call("get", "/api/v1/requests", query_string=bad)
        assert resp.status_code == 422 and set(resp.get_json()["errors"]) == set(bad), bad


# ---------------------------------------------------------------------------------------------- read, log

def test_read_a_request_with_deadlines_and_their_explanations(api, world, session):
    staff = world["users"]["staff"]
    req = world["requests"][("staff", "private")]
    _send(session, req, staff, date(2025, 6, 20))
    resp = api("staff")("get", f"/api/v1/requests/{req.ref}")
    assert resp.status_code == 200
    body = resp.get_json()
    clocks = {c.kind: c for c in compute_for(session, req)}
    assert {d["kind"] for d in body["deadlines"]} == set(clocks)
    response = next(d for d in body["deadlines"] if d["kind"] == "response")
    assert response["due"] == clocks["response"].due.isoformat() == "2025-07-21"
    assert response["explanation"] == clocks["response"].explanation and len(response["explanation"]) >= 2
    assert response["citation"] and response["days_left_unit"] == "working days" and response["days_left"] < 0
    assert body["requester"] == staff.name and body["ref"] == req.ref
    # lower-case reference works like the web; a malformed one is a 404
    assert api("staff")("get", f"/api/v1/requests/{req.ref.lower()}").status_code == 200
    resp = api("staff")("get", "/api/v1/requests/DROP TABLE")
    assert resp.status_code == 404 and resp.is_json


def test_log_a_communication_moves_the_status_and_the_deadlines(api, world, session):
    staff = world["users"]["staff"]
    req = world["requests"][("staff", "private")]
    _send(session, req, staff, date(2025, 6, 20))
    call = api("staff")
    resp = call("post", f"/api/v1/requests/{req.ref}/communications",
                json={"kind": "acknowledgment", "occurred_on": "2025-06-24", "tracking_number": "2025-ICFO-41231",
                      "estimated_completion": "2025-09-30", "subject": "We received your request"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["communication"]["kind"] == "acknowledgment" and body["communication"]["direction"] == "incoming"
    assert body["request"]["status"] == "acknowledged" and body["request"]["tracking_number"] == "2025-ICFO-41231"
    session.expire_all()
    assert req.status == "acknowledged"
    before = {c.kind: c.due for c in compute_for(session, req)}
    assert before["estimated_completion"] == date(2025, 9, 30)

    resp = call("post", f"/api/v1/requests/{req.ref}/communications",
                json={"kind": "extension_notice", "occurred_on": "2025-07-01", "days": 10})
    assert resp.status_code == 201, resp.get_json()
    session.expire_all()
    after = {c.kind: c.due for c in compute_for(session, req)}
    assert req.status == "processing" and after["response"] == date(2025, 8, 4) != before["response"]
    read = call("get", f"/api/v1/requests/{req.ref}").get_json()
    assert next(d for d in read["deadlines"] if d["kind"] == "response")["due"] == "2025-08-04"
    assert [c["kind"] for c in read["communications"]] == ["extension_notice", "acknowledgment"]

    # the service's validation, per field; nothing written
    n = _count(session, Communication)
    resp = call("post", f"/api/v1/requests/{req.ref}/communications",
                json={"kind": "appeal_decision", "occurred_on": "2025-07-02"})
    assert resp.status_code == 422 and "outcome" in resp.get_json()["errors"]
    resp = call("post", f"/api/v1/requests/{req.ref}/communications", json={"kind": "telegram"})
    assert resp.status_code == 422 and "kind" in resp.get_json()["errors"]
    assert _count(session, Communication) == n
    # a reader who may not change it: 403; someone who cannot see it: 404
    public = world["requests"][("staff", "public")]
    assert api("reporter")("post", f"/api/v1/requests/{public.ref}/communications",
                           json={"kind": "note", "direction": "outgoing"}).status_code == 403
    assert api("outsider")("post", f"/api/v1/requests/{req.ref}/communications",
                           json={"kind": "note", "direction": "outgoing"}).status_code == 404


# ---------------------------------------------------------------------------------------------- documents

def test_upload_lists_and_downloads_as_an_attachment(api, world, session, app, monkeypatch):
    req = world["requests"][("reporter", "private")]
    call = api("reporter")
    content = b"Deputy roster, January 2026\nNames withheld under 6254(c).\n"
    resp = call("post", f"/api/v1/requests/{req.ref}/documents",
                data={"file": (io.BytesIO(content), "roster.txt")}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    doc = resp.get_json()
    assert doc["filename"] == "roster.txt" and doc["size"] == len(content) and doc["mime"] == "text/plain"
    read = call("get", f"/api/v1/requests/{req.ref}").get_json()
    assert [d["id"] for d in read["documents"]] == [doc["id"]]

    download = call("get", doc["download_url"].split("localhost", 1)[-1])
    assert download.status_code == 200 and download.data == content
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    # HTML is stored but never served as HTML
    page = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
    resp = call("post", f"/api/v1/requests/{req.ref}/documents",
                data={"file": (io.BytesIO(page), "page.html")}, content_type="multipart/form-data")
    assert resp.status_code == 201
    served = call("get", resp.get_json()["download_url"].split("localhost", 1)[-1])
    assert served.mimetype == "application/octet-stream" and served.headers["Content-Disposition"].startswith("attachment")

    # attached to a communication of the request
    comm = call("post", f"/api/v1/requests/{req.ref}/communications",
                json={"kind": "note", "direction": "outgoing", "subject": "Scans"}).get_json()["communication"]
    resp = call("post", f"/api/v1/requests/{req.ref}/documents", content_type="multipart/form-data",
                data={"file": (io.BytesIO(b"scan one"), "scan.txt"), "communication_id": str(comm["id"])})
    assert resp.status_code == 201 and resp.get_json()["communication_id"] == comm["id"]

    # refusals: the same size cap as the web upload, no file, a foreign communication
    n = _count(session, Document)
    monkeypatch.setitem(app.config, "FOIA_MAX_UPLOAD_BYTES", 10)
    resp = call("post", f"/api/v1/requests/{req.ref}/documents",
                data={"file": (io.BytesIO(b"x" * 11), "big.txt")}, content_type="multipart/form-data")
    assert resp.status_code == 422 and list(resp.get_json()["errors"]) == ["file"]
    resp = call("post", f"/api/v1/requests/{req.ref}/documents", data={}, content_type="multipart/form-data")
    assert resp.status_code == 422 and resp.get_json()["errors"]["file"] == ["Choose a file to upload."]
    monkeypatch.setitem(app.config, "FOIA_MAX_UPLOAD_BYTES", 1 << 20)
    other = world["requests"][("staff", "private")]
    foreign = session.scalar(select(Communication).where(Communication.request_id != req.id))
    if foreign is None:
        api("staff")("post", f"/api/v1/requests/{other.ref}/communications",
                     json={"kind": "note", "direction": "outgoing"})
        foreign = session.scalar(select(Communication).where(Communication.request_id == other.id))
    resp = call("post", f"/api/v1/requests/{req.ref}/documents", content_type="multipart/form-data",
                data={"file": (io.BytesIO(b"x"), "x.txt"), "communication_id": str(foreign.id)})
    assert resp.status_code == 422 and "communication_id" in resp.get_json()["errors"]
    session.expire_all()
    assert _count(session, Document) == n


# ---------------------------------------------------------------------------------------------- access

def test_another_organizations_private_request_is_404_and_never_listed(api, world, session):
    outsider = api("outsider")
    private = world["requests"][("staff", "private")]
    resp = outsider("get", f"/api/v1/requests/{private.ref}")
    assert resp.status_code == 404 and resp.get_json()["code"] == 404
    missing = outsider("get", "/api/v1/requests/FT-2099-9999")
    assert missing.get_json()["message"] == resp.get_json()["message"]  # hidden and missing look alike
    listed = set()
    cursor = None
    while True:
        body = outsider("get", "/api/v1/requests", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})}).get_json()
        listed |= {i["ref"] for i in body["items"]}
        cursor = body["next_cursor"]
        if not cursor:
            break
    public = {r.ref for (owner, vis), r in world["requests"].items() if vis == "public"}
    assert listed == public
    assert outsider("get", "/api/v1/requests", query_string={"q": private.title}).get_json()["items"] == []
    # hidden before the body is read: an invalid body is still a 404, as for a missing request
    assert outsider("post", f"/api/v1/requests/{private.ref}/communications", json={"kind": "telegram"}).status_code == 404
    # a document on it is hidden too
    doc = api("staff")("post", f"/api/v1/requests/{private.ref}/documents",
                       data={"file": (io.BytesIO(b"secret"), "secret.txt")}, content_type="multipart/form-data")
    assert doc.status_code == 201
    assert outsider("get", f"/api/v1/documents/{doc.get_json()['id']}/download").status_code == 404
    assert outsider("post", f"/api/v1/requests/{private.ref}/documents",
                    data={"file": (io.BytesIO(b"x"), "x.txt")}, content_type="multipart/form-data").status_code == 404


# ---------------------------------------------------------------------------------------------- agencies

def test_agencies_list_with_q_parent_and_law(api, session):
    call = api("reporter")
    every = call("get", "/api/v1/agencies", query_string={"limit": 100}).get_json()
    assert every["total"] == _count(session, Agency) == len(every["items"])
    assert [a["name"] for a in every["items"]] == sorted(a["name"] for a in every["items"])
    ice = call("get", "/api/v1/agencies", query_string={"q": "immigration customs"}).get_json()
    assert [a["slug"] for a in ice["items"]] == ["dhs-ice"] and ice["items"][0]["law"] == "us-foia"
    state = call("get", "/api/v1/agencies", query_string={"law": "ca-cpra"}).get_json()
    assert state["items"] and {a["law"] for a in state["items"]} == {"ca-cpra"}
    assert state["total"] == session.scalar(select(func.count()).select_from(Agency).where(Agency.law == "ca-cpra"))
    # a department and its components
    dhs = Agency(slug="dhs", name="Department of Homeland Security", jurisdiction="Federal", law="us-foia",
                 created_at=NOW, updated_at=NOW)
    session.add(dhs)
    session.flush()
    for slug in ("dhs-ice", "dhs-cbp"):
        session.scalar(select(Agency).where(Agency.slug == slug)).parent_id = dhs.id
    session.commit()
    family = call("get", "/api/v1/agencies", query_string={"parent": "dhs"}).get_json()
    assert {a["slug"] for a in family["items"]} == {"dhs", "dhs-ice", "dhs-cbp"}
    assert {a["parent"] for a in family["items"]} == {None, "dhs"}
    page = call("get", "/api/v1/agencies", query_string={"limit": 2, "offset": 2}).get_json()
    assert [a["slug"] for a in page["items"]] == [a["slug"] for a in call(
        "get", "/api/v1/agencies", query_string={"limit": 100}).get_json()["items"]][2:4]
    assert call("get", "/api/v1/agencies", query_string={"parent": "nope"}).get_json() == {
        "items": [], "total": 0, "limit": 50, "offset": 0}


def test_a_body_over_the_servers_limit_is_a_json_413(api, world, app, monkeypatch):
    req = world["requests"][("reporter", "private")]
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    resp = api("reporter")("post", f"/api/v1/requests/{req.ref}/documents",
                           data={"file": (io.BytesIO(b"x" * 5000), "big.txt")}, content_type="multipart/form-data")
    assert resp.status_code == 413 and resp.is_json and resp.get_json()["code"] == 413
