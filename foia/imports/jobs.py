"""A confirmed web import of a request log as a background job (issue 18): the preview page checks the file and
queues an `import_requests` job in the same transaction (`queue_import`); the scheduler (or `flask foia
import-jobs`) claims it with a lease and runs it (`run_import_jobs`), never a web request.

The job re-reads the upload from the store (`foia.imports.store`, bound to the person who queued it), plans its
rows again with the columns and answers chosen on the preview, and imports the ready rows through
`service.run_import`: all rows or none, and the job is marked done (with its result in the payload) in the
same transaction as the requests. A retry therefore finds either nothing imported (the attempt rolled back) or
the job already done; and a second claimant (a lease that ran out) re-plans the rows against the requests the
first one committed (their ids are duplicates now), and its "done" only counts if it still holds the claim.
A file no longer in the store or a row the services refuse fails the job at once (the reason is shown on the
status page); any other error is retried with backoff, like the clock recompute (`foia.clocks.jobs`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from foia.core.errors import ValidationError
from foia.core.jobs import claim_job
from foia.imports.service import ImportFailed, preview_file, run_import
from foia.imports.store import UploadStore
from foia.models import Job, User

log = logging.getLogger("foia.imports.jobs")

IMPORT = "import_requests"
LEASE = timedelta(minutes=30)
MAX_ATTEMPTS = 3
#: A successful import of at least this many requests refreshes the planner's statistics (as the CLI does).
ANALYZE_AFTER = 1000


class ImportJobFailed(Exception):
    """A failure a retry cannot fix (the file is gone, a row is refused): the job fails at once."""


def queue_import(session: Session, *, now: datetime, actor: User, token: str, filename: str,
                 mapping: dict[str, Any], choices: dict[str, int], rows: int) -> Job:
    """Queue the import of upload `token` (of `actor`, into their organization) with the preview's columns and
    answers. `rows`: the rows ready at confirmation (shown while it waits). Does not commit."""
    job = Job(kind=IMPORT, document_id=None, status="queued", attempts=0, run_after=now, created_at=now,
              payload={"token": token, "filename": filename, "actor_id": actor.id,
                       "organization_id": actor.organization_id, "mapping": mapping, "choices": choices,
                       "skip_invalid": True, "rows": rows})
    session.add(job)
    session.flush()
    return job


def import_job_for(session: Session, *, job_id: int, viewer: User) -> Job | None:
    """The import job if `viewer` may see it: the person who queued it, staff of their organization, admins."""
    job = session.get(Job, job_id)
    if job is None or job.kind != IMPORT:
        return None
    p = job.payload or {}
    if viewer.role == "admin" or p.get("actor_id") == viewer.id:
        return job
    if viewer.role == "staff" and viewer.organization_id is not None \
            and p.get("organization_id") == viewer.organization_id:
        return job
    return None


def claim_import(session: Session, *, now: datetime) -> tuple[Job, str] | None:
    """Claim the oldest due import job (foia.core.jobs.claim_job) and commit the claim."""
    return claim_job(session, kind=IMPORT, now=now, lease=LEASE)


def run_import_job(session: Session, *, now: datetime, job: Job, token: str, store: UploadStore,
                   timezone: str | None) -> dict[str, Any]:
    """Run a claimed import job and mark it done with its result in the same transaction (the caller commits).
    Raises ImportJobFailed (final) or what the import raises (retried); the import is rolled back then."""
    p = dict(job.payload or {})
    actor = session.get(User, p.get("actor_id") or 0)
    if actor is None or actor.organization_id != p.get("organization_id"):
        raise ImportJobFailed("The account that queued this import no longer belongs to its organization.")
    data = store.data(str(p.get("token") or ""), actor.id)
    if data is None:
        raise ImportJobFailed("The uploaded file is no longer on the server (uploads are kept for a day). "
                              "Upload it again: the rows already imported are skipped.")
    choices = {str(k): int(v) for k, v in (p.get("choices") or {}).items()}
    try:
        preview = preview_file(session, actor=actor, now=now, data=data, filename=str(p.get("filename") or ""),
                               mapping=p.get("mapping"), choices=choices)
    except ValidationError as exc:
        raise ImportJobFailed(" ".join(exc.errors.values())) from exc
    try:
        result = run_import(session, actor=actor, now=now, preview=preview, skip_invalid=bool(p.get("skip_invalid")),
                            timezone=timezone, source=str(p.get("filename") or ""))
    except ImportFailed as exc:
        raise ImportJobFailed(f"Row {exc.row}: {exc.reason}") from exc
    outcome = {**result.as_dict(), "imported_rows": [[row, ref] for row, ref in result.imported]}
    done = cast(CursorResult[Any], session.execute(
        update(Job).where(Job.id == job.id, Job.claim_token == token)
        .values(status="done", finished_at=now, claimed_until=None, last_error="", payload={**p, "result": outcome})
        .execution_options(synchronize_session=False)))
    if done.rowcount != 1:  # another process claimed it after our lease ran out: its run counts, not ours
        session.rollback()
        raise RuntimeError(f"import job {job.id} lost its claim")
    return outcome


def import_failed(session: Session, *, now: datetime, job_id: int, token: str, error: str, final: bool) -> None:
    """Record a failed attempt (the caller rolled back the import): final failures and the last attempt give
    up (status failed, last_error says why), others are retried with backoff. The caller commits."""
    job = session.get_one(Job, job_id, populate_existing=True)
    if job.claim_token != token:
        return
    gave_up = final or job.attempts >= MAX_ATTEMPTS
    job.status = "failed" if gave_up else "queued"
    job.run_after = now + timedelta(minutes=2 ** job.attempts)
    job.claimed_until, job.last_error = None, error[:2000]
    if gave_up:
        job.finished_at = now


@dataclass
class ImportPass:
    done: int = 0
    failed: int = 0
    retrying: int = 0


def run_import_jobs(session: Session, *, now: datetime, store: UploadStore, timezone: str | None,
                    limit: int = 5) -> ImportPass:
    """Claim and run up to `limit` due import jobs, each in its own transaction; the upload is removed from the
    store once its import is committed. `now` is the pass's clock (each job's claim and run use it)."""
    out = ImportPass()
    for _ in range(limit):
        claimed = claim_import(session, now=now)
        if claimed is None:
            break
        job, token = claimed
        job_id, upload = job.id, str((job.payload or {}).get("token") or "")
        try:
            outcome = run_import_job(session, now=now, job=job, token=token, store=store, timezone=timezone)
            session.commit()
        except ImportJobFailed as exc:
            session.rollback()
            import_failed(session, now=now, job_id=job_id, token=token, error=str(exc), final=True)
            session.commit()
            out.failed += 1
            continue
        except Exception as exc:
            session.rollback()
            log.exception("import job %d failed; it will be tried again", job_id)
            # the status page shows this to the importer: the error's kind only, the details are in the log
            import_failed(session, now=now, job_id=job_id, token=token, final=False,
                          error=f"An unexpected error ({type(exc).__name__}) stopped the import.")
            session.commit()
            if session.get_one(Job, job_id).status == "failed":
                out.failed += 1
            else:
                out.retrying += 1
            continue
        out.done += 1
        store.discard_file(upload)
        if outcome["imported"] >= ANALYZE_AFTER:
            from foia.imports.cli import analyze_ledger

            analyze_ledger(session)
    return out
