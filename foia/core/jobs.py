"""Claiming a row of the `jobs` table: one mechanism for every job kind the scheduler runs alone (recomputes,
request-log imports). Text extraction and OCR (`foia.documents.jobs`) claim their own way, with a lease per kind."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session

from foia.models import Job

__all__ = ["claim_job"]


def claim_job(session: Session, *, kind: str, now: datetime, lease: timedelta) -> tuple[Job, str] | None:
    """Claim the oldest due job of `kind` (or one whose claimant's lease ran out) with a conditional UPDATE, and
    commit the claim. Returns the job and the claim token, or None when there is nothing to do."""
    due = and_(Job.kind == kind, or_(and_(Job.status == "queued", Job.run_after <= now),
                                     and_(Job.status == "running", Job.claimed_until < now)))
    for job_id in session.scalars(select(Job.id).where(due).order_by(Job.id).limit(5)).all():
        token = secrets.token_hex(16)
        result = cast(CursorResult[Any], session.execute(
            update(Job).where(Job.id == job_id, due)
            .values(status="running", claim_token=token, claimed_until=now + lease, started_at=now,
                    attempts=Job.attempts + 1)
            .execution_options(synchronize_session=False)))
        session.commit()
        if result.rowcount == 1:
            return session.get_one(Job, job_id, populate_existing=True), token
    return None
