"""Requests → Import a spreadsheet on the web: upload → columns → preview (with the question) → import."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from foia.models import Request
from foia.scheduler import import_requests
from tests.conftest import csrf_token, login
from tests.imports.import_data import GOOD, csv_bytes, make_directory, xlsx_bytes


@pytest.fixture
def directory(session, world):
    agencies = make_directory(session)
    session.commit()
    return agencies


def _upload(client, data: bytes, name: str):
    token = csrf_token(client, "/requests/import")
    return client.post("/requests/import", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _token(resp) -> str:
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return re.search(r"/requests/import/([\w-]+)/columns", resp.headers["Location"]).group(1)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_upload_map_preview_answer_and_import(client, app, session, world, directory, fmt):
    login(client, world["users"]["staff"].email)
    assert "Import a spreadsheet" in client.get("/requests").get_data(as_text=True)
    data, name = (csv_bytes(), "log.csv") if fmt == "csv" else (xlsx_bytes(), "log.xlsx")
    token = _token(_upload(client, data, name))

    page = client.get(f"/requests/import/{token}/columns").get_data(as_text=True)
    assert '<option value="1" selected>Agency' in page  # recognised
    form = {f"col-{f}": str(i) for f, i in (("external_id", 0), ("agency", 1), ("title", 2), ("records_sought", 3),
                                             ("date_sent", 4), ("tracking_number", 5), ("status", 6),
                                             ("date_acknowledged", 7), ("date_closed", 8), ("notes", 9))}
    csrf = csrf_token(client, f"/requests/import/{token}/columns")
    # a column chosen twice is refused with a message
    bad = client.post(f"/requests/import/{token}/columns", data={**form, "col-title": "1", "csrf_token": csrf})
    assert bad.status_code == 400 and "is already used for the agency" in bad.get_data(as_text=True)
    resp = client.post(f"/requests/import/{token}/columns", data={**form, "csrf_token": csrf})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/requests/import/{token}/preview")

    page = client.get(f"/requests/import/{token}/preview").get_data(as_text=True)
    assert f"{len(GOOD)}</strong> requests ready to import" in page
    assert "“Sheriff&#39;s Department” (row 9)" in page
    assert "“next Tuesday” is not a date we can read" in page
    assert "Acknowledged: <time datetime=\"2025-06-25\">" in page and "tracking number 2025-ICFO-41231" in page
    assert "Import 6 requests" in page

    csrf = csrf_token(client, f"/requests/import/{token}/preview")
    sdsd = directory["sdsd"].id
    fbi = directory["doj-fbi"].id
    forged = client.post(f"/requests/import/{token}/preview", data={"csrf_token": csrf, "q-0": str(fbi), "action": "answer"})
    assert forged.status_code == 303
    assert "Import 6 requests" in client.get(f"/requests/import/{token}/preview").get_data(as_text=True)
    client.post(f"/requests/import/{token}/preview", data={"csrf_token": csrf, "q-0": str(sdsd), "action": "answer"})
    page = client.get(f"/requests/import/{token}/preview").get_data(as_text=True)
    assert "Import 7 requests" in page and f'value="{sdsd}" checked' in page

    before = session.scalar(select(func.count(Request.id)))
    done = client.post(f"/requests/import/{token}/preview", data={"csrf_token": csrf, "q-0": str(sdsd), "action": "import"})
    assert done.status_code == 303
    status = re.fullmatch(r".*/requests/import/jobs/(\d+)", done.headers["Location"])
    assert status, done.headers["Location"]
    assert session.scalar(select(func.count(Request.id))) == before  # queued: nothing imported in the request
    queued = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Importing 7 requests" in queued and 'role="status"' in queued and ">Refresh</a>" in queued
    assert import_requests(app).done == 1  # the scheduler's job
    session.expire_all()
    assert session.scalar(select(func.count(Request.id))) == before + 7
    body = client.get(done.headers["Location"]).get_data(as_text=True)
    refs = re.findall(r'href="/requests/(FT-\d{4}-\d{4})"', body)
    assert len(refs) == 7 and "Imported 7 requests" in body
    assert session.scalar(select(Request).where(Request.external_id == "R-008")).agency.slug == "sdsd"
    # the upload is gone: the steps answer 404 now
    assert client.get(f"/requests/import/{token}/preview").status_code == 404

    # importing it again: everything is a duplicate
    token2 = _token(_upload(client, data, name))
    client.post(f"/requests/import/{token2}/columns", data={**form, "csrf_token": csrf})
    page = client.get(f"/requests/import/{token2}/preview").get_data(as_text=True)
    assert "0</strong> requests ready" in page and "already imported (skipped)" in page


def test_bad_files_are_refused_with_a_message(client, world, directory):
    login(client, world["users"]["reporter"].email)
    for data, name, message in ((b"", "x.csv", "Choose a CSV"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1junk", "old.xls", "old Excel"),
                                (b"not a zip", "x.xlsx", "not an Excel workbook"),
                                (b"Agency,Title\n", "x.csv", "no requests under it"),
                                (b"a,b\x00,c\n1,2,3\n", "nul.csv", "NUL")):
        if not data:
            token = csrf_token(client, "/requests/import")
            resp = client.post("/requests/import", data={"csrf_token": token}, content_type="multipart/form-data")
        else:
            resp = _upload(client, data, name)
        assert resp.status_code == 400, name
        assert message in resp.get_data(as_text=True), name


def test_too_large_and_too_many_columns(client, world, directory):
    login(client, world["users"]["staff"].email)
    wide = (",".join(f"c{i}" for i in range(60)) + "\n" + ",".join("x" for _ in range(60)) + "\n").encode()
    resp = _upload(client, wide, "wide.csv")
    assert resp.status_code == 400 and "the limit is 50" in resp.get_data(as_text=True)
    big = b"Agency,Title\n" + b"ICE," + b"x" * (6 * 1024 * 1024) + b"\n"
    resp = _upload(client, big, "big.csv")
    assert resp.status_code in (400, 413)


def test_an_upload_is_bound_to_its_uploader_and_needs_csrf(client, app, world, directory):
    login(client, world["users"]["staff"].email)
    token = _token(_upload(client, csv_bytes(), "log.csv"))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/requests")})
    other = app.test_client()
    login(other, world["users"]["news_staff"].email)
    for path in ("columns", "preview"):
        assert other.get(f"/requests/import/{token}/{path}").status_code == 404
    assert other.get(f"/requests/import/{'A' * 32}/preview").status_code == 404
    resp = other.post("/requests/import", data={"file": (io.BytesIO(csv_bytes()), "log.csv")},
                      content_type="multipart/form-data")
    assert resp.status_code == 400  # no CSRF token


def test_signed_out_visitors_go_to_sign_in(client, world):
    resp = client.get("/requests/import")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_the_web_import_takes_a_bounded_number_of_rows(client, app, world, directory, monkeypatch):
    login(client, world["users"]["staff"].email)
    monkeypatch.setitem(app.config, "FOIA_IMPORT_WEB_MAX_ROWS", 3)
    resp = _upload(client, csv_bytes(), "log.csv")
    assert resp.status_code == 400
    assert "The file has 9 requests; the web import takes up to 3 at a time" in resp.get_data(as_text=True)
