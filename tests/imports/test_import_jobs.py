"""The confirmed web import is a background job (issue 18): the POST only queues it; the scheduler's runner
imports the rows (all or none), the status page says where it stands, to the right people only."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

import foia.imports.service as import_service
from foia.core.clock import utcnow
from foia.imports.jobs import IMPORT
from foia.models import Job, Request
from foia.scheduler import import_requests
from tests.conftest import csrf_token, login
from tests.imports.import_data import GOOD, csv_bytes, make_directory


@pytest.fixture
def directory(session, world):
    agencies = make_directory(session)
    session.commit()
    return agencies


def _requests(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(Request.id))) or 0


def _confirm(client, user, *, sign_in: bool = True) -> tuple[str, str, int]:
    """Upload the test log as `user`, keep the recognised columns, confirm the import. Returns the upload
    token, the status page's path and the job's id."""
    if sign_in:
        login(client, user.email)
    csrf = csrf_token(client, "/requests/import")
    resp = client.post("/requests/import", data={"csrf_token": csrf, "file": (io.BytesIO(csv_bytes()), "log.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    token = re.search(r"/requests/import/([\w-]+)/columns", resp.headers["Location"]).group(1)
    assert f"Import {len(GOOD)} requests" in client.get(f"/requests/import/{token}/preview").get_data(as_text=True)
    csrf = csrf_token(client, f"/requests/import/{token}/preview")
    resp = client.post(f"/requests/import/{token}/preview", data={"csrf_token": csrf, "action": "import"})
    assert resp.status_code == 303
    match = re.fullmatch(r"(?:https?://[^/]+)?(/requests/import/jobs/(\d+))", resp.headers["Location"])
    assert match, resp.headers["Location"]
    return token, match.group(1), int(match.group(2))


def test_confirming_queues_a_job_and_imports_nothing_in_the_request(client, app, session, world, directory):
    before = _requests(session)
    token, status, job_id = _confirm(client, world["users"]["staff"])
    assert _requests(session) == before  # the POST wrote no request
    job = session.get_one(Job, job_id)
    assert (job.kind, job.status, job.attempts) == (IMPORT, "queued", 0)
    assert job.payload["token"] == token and job.payload["actor_id"] == world["users"]["staff"].id
    assert job.payload["organization_id"] == world["orgs"]["city"].id and job.payload["rows"] == len(GOOD)
    page = client.get(status).get_data(as_text=True)
    assert f"Importing {len(GOOD)} requests" in page and "is queued" in page
    assert 'role="status"' in page and f'href="{status}">Refresh</a>' in page
    # confirming again (the back button) queues nothing new: the first job stands
    csrf = csrf_token(client, f"/requests/import/{token}/preview")
    again = client.post(f"/requests/import/{token}/preview", data={"csrf_token": csrf, "action": "import"})
    assert again.status_code == 303 and again.headers["Location"].endswith(status)
    assert session.scalar(select(func.count(Job.id)).where(Job.kind == IMPORT)) == 1


def test_the_scheduler_runs_it_and_the_status_page_shows_the_result(client, app, session, world, directory):
    before = _requests(session)
    token, status, job_id = _confirm(client, world["users"]["staff"])
    result = import_requests(app)
    assert result is not None and (result.done, result.failed, result.retrying) == (1, 0, 0)
    assert _requests(session) == before + len(GOOD)
    imported = session.scalars(select(Request).where(Request.external_id.in_(GOOD))).all()
    assert {r.external_id for r in imported} == set(GOOD)
    job = session.get_one(Job, job_id)
    assert job.status == "done" and job.finished_at is not None and job.payload["result"]["imported"] == len(GOOD)
    page = client.get(status).get_data(as_text=True)
    assert f"Imported {len(GOOD)} requests" in page and 'role="status"' in page
    assert f"{len(GOOD)} created, 0 skipped as already imported, 3 rows with problems left out" in page
    assert "Row 7:" in page and "Row 8:" in page and "Row 9:" in page
    assert len(set(re.findall(r'href="/requests/(FT-\d{4}-\d{4})"', page))) == len(GOOD)
    assert "Refresh</a>" not in page
    # the upload is gone once imported, and a second pass finds nothing to do
    assert client.get(f"/requests/import/{token}/preview").status_code == 404
    assert import_requests(app).done == 0


def _sign_in_as(client, user) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client, "/requests")})
    login(client, user.email)


def test_only_the_importer_their_staff_and_admins_see_the_status(client, app, session, world, directory):
    _token, status, _job_id = _confirm(client, world["users"]["reporter"])  # of the newsroom
    for who, code in (("news_staff", 200), ("admin", 200), ("colleague", 404), ("staff", 404), ("outsider", 404),
                      ("reporter", 200)):
        _sign_in_as(client, world["users"][who])
        assert client.get(status).status_code == code, who
    _sign_in_as(client, world["users"]["admin"])
    assert client.get("/requests/import/jobs/999999").status_code == 404
    recompute = Job(kind="recompute_clocks", payload={}, status="queued", run_after=utcnow(), created_at=utcnow())
    session.add(recompute)
    session.commit()
    assert client.get(f"/requests/import/jobs/{recompute.id}").status_code == 404  # not an import
    client.post("/logout", data={"csrf_token": csrf_token(client, "/requests")})
    assert client.get(status).status_code == 302  # signed out: to sign in


def test_a_file_gone_from_the_store_fails_the_job_with_its_reason(client, app, session, world, directory):
    before = _requests(session)
    token, status, job_id = _confirm(client, world["users"]["staff"])
    store = Path(app.config.get("FOIA_IMPORT_DIR") or f"{app.instance_path}/imports")
    (store / f"{token}.bin").unlink()
    result = import_requests(app)
    assert result is not None and (result.done, result.failed) == (0, 1)
    job = session.get_one(Job, job_id)
    assert job.status == "failed" and job.attempts == 1 and "no longer on the server" in job.last_error
    assert _requests(session) == before
    page = client.get(status).get_data(as_text=True)
    assert "The import failed" in page and "no longer on the server" in page and 'role="status"' in page


def test_a_failed_attempt_imports_nothing_and_its_retry_does_not_duplicate(client, app, session, world, directory,
                                                                          monkeypatch):
    before = _requests(session)
    _token, status, job_id = _confirm(client, world["users"]["staff"])
    real, calls = import_service.import_row, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # the database goes away in the middle of the import
            raise RuntimeError("connection lost")
        return real(*args, **kwargs)

    monkeypatch.setattr(import_service, "import_row", flaky)
    assert import_requests(app).retrying == 1
    assert _requests(session) == before  # all rows or none: the first two were rolled back
    job = session.get_one(Job, job_id)
    assert job.status == "queued" and job.attempts == 1 and "unexpected error (RuntimeError)" in job.last_error
    assert "connection lost" not in job.last_error  # details stay in the log
    assert "to be tried again after an error" in client.get(status).get_data(as_text=True)
    assert import_requests(app).done == 0  # not due yet (backoff)
    job.run_after = utcnow() - timedelta(seconds=1)
    session.commit()
    assert import_requests(app).done == 1
    assert _requests(session) == before + len(GOOD)
    assert session.get_one(Job, job_id, populate_existing=True).attempts == 2


def test_a_second_job_over_rows_already_imported_creates_none(client, app, session, world, directory):
    before = _requests(session)
    _confirm(client, world["users"]["staff"])
    # a second upload of the same log, queued before either job ran
    _second_token, second_status, second_id = _confirm(client, world["users"]["staff"], sign_in=False)
    assert import_requests(app).done == 2
    assert _requests(session) == before + len(GOOD)
    result = session.get_one(Job, second_id).payload["result"]
    assert result["imported"] == 0 and len(result["duplicates"]) == len(GOOD)
    page = client.get(second_status).get_data(as_text=True)
    assert "Imported 0 requests" in page and f"0 created, {len(GOOD)} skipped as already imported" in page


def test_the_command_runs_the_queue_once(cli, client, session, world, directory):
    before = _requests(session)
    _confirm(client, world["users"]["staff"])
    out = cli.invoke(args=["foia", "import-jobs"])
    assert out.exit_code == 0, out.output
    assert "Imports: 1 done, 0 failed, 0 to retry." in out.output
    assert _requests(session) == before + len(GOOD)


def test_an_import_that_keeps_failing_gives_up_with_its_reason(client, app, session, world, directory, monkeypatch):
    import foia.imports.jobs as import_jobs

    before = _requests(session)
    _token, status, job_id = _confirm(client, world["users"]["staff"])

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(import_service, "import_row", broken)
    monkeypatch.setattr(import_jobs, "MAX_ATTEMPTS", 2)
    assert import_requests(app).retrying == 1
    job = session.get_one(Job, job_id)
    job.run_after = utcnow() - timedelta(seconds=1)
    session.commit()
    result = import_requests(app)
    assert result is not None and (result.failed, result.retrying) == (1, 0)
    job = session.get_one(Job, job_id, populate_existing=True)
    assert (job.status, job.attempts) == ("failed", 2) and job.finished_at is not None
    assert _requests(session) == before
    page = client.get(status).get_data(as_text=True)
    assert "The import failed" in page and "An unexpected error (RuntimeError) stopped the import" in page
