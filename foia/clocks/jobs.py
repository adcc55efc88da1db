"""A calendar or agency change's recompute as a background job (issue 17, F5; issue 18): the admin page records the
closure (or `agencies.service.update_agency` / the directory importer the agency's new short name or time zone) and
queues a `recompute_clocks` job in the same transaction; the scheduler process runs it (`run_recompute_job`), never
a web request. The recompute itself is `clocks.service.recompute_open`, under its exclusive clocks lock.

Until the job has run, the request pages are already right (they compute from the ledger and the closures
live); only the cached dates lag, and a reminder whose date no longer matches is skipped, never sent wrong.
Running a recompute twice is harmless (the second finds nothing to move), so a lease that runs out while a
very long recompute is still going costs work, not correctness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from foia.clocks.service import Moved, recompute_open
from foia.core.jobs import claim_job
from foia.models import Job, User

RECOMPUTE = "recompute_clocks"
LEASE = timedelta(minutes=15)
MAX_ATTEMPTS = 5


def queue_recompute(session: Session, *, now: datetime, actor: User | None, reason: str,
                    calendar_id: str | None = None, agency_id: int | None = None,
                    affected_from: date | None = None) -> Job:
    """Queue a recompute of the open requests on a calendar (or at an agency) from `affected_from` on."""
    job = Job(kind=RECOMPUTE, document_id=None, status="queued", attempts=0, run_after=now, created_at=now,
              payload={"calendar_id": calendar_id, "agency_id": agency_id, "reason": reason,
                       "affected_from": affected_from.isoformat() if affected_from else None,
                       "actor_id": actor.id if actor else None})
    session.add(job)
    session.flush()
    return job


def pending_recomputes(session: Session) -> int:
    return len(session.scalars(select(Job.id).where(Job.kind == RECOMPUTE, Job.status.in_(("queued", "running"))))
               .all())


def claim_recompute(session: Session, *, now: datetime) -> tuple[Job, str] | None:
    """Claim the oldest due recompute job (foia.core.jobs.claim_job) and commit the claim."""
    return claim_job(session, kind=RECOMPUTE, now=now, lease=LEASE)


@dataclass
class RecomputeRun:
    job_id: int
    moved: list[Moved]


def run_recompute_job(session: Session, *, now: datetime, job: Job, token: str) -> RecomputeRun:
    """Run a claimed recompute job and mark it done in the same transaction (the caller commits). Raises what
    the recompute raises; the caller rolls back and calls `recompute_failed`."""
    p = job.payload or {}
    actor = session.get(User, p["actor_id"]) if p.get("actor_id") else None
    moved = recompute_open(session, now=now, actor=actor, reason=str(p.get("reason") or "calendar change"),
                           calendar_id=p.get("calendar_id"), agency_id=p.get("agency_id"),
                           affected_from=date.fromisoformat(p["affected_from"]) if p.get("affected_from") else None)
    session.execute(update(Job).where(Job.id == job.id, Job.claim_token == token)
                    .values(status="done", finished_at=now, claimed_until=None, last_error="")
                    .execution_options(synchronize_session=False))
    return RecomputeRun(job.id, moved)


def recompute_failed(session: Session, *, now: datetime, job_id: int, token: str, error: str) -> None:
    """Record a failed attempt (the caller rolled back the recompute): retried with backoff, given up after
    MAX_ATTEMPTS (status failed, last_error says why). The caller commits."""
    job = session.get_one(Job, job_id, populate_existing=True)
    if job.claim_token != token:
        return
    gave_up = job.attempts >= MAX_ATTEMPTS
    job.status = "failed" if gave_up else "queued"
    job.run_after = now + timedelta(minutes=2 ** job.attempts)
    job.claimed_until, job.last_error = None, error[:2000]
    if gave_up:
        job.finished_at = now
