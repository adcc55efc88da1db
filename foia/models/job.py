"""Background jobs the scheduler runs apart from the reminder sweep (issue 17): for now, extracting a
document's text in a separate, limited process. Claimed like reminders (a token and a lease)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from foia.extensions import Model
from foia.models.types import UTCDateTime

#: What a job does. recompute_clocks: recompute open requests' clocks after a calendar closure was added or
#: removed (foia.clocks.jobs; payload: calendar_id, agency_id, affected_from, reason, actor_id). import_requests: a
#: confirmed web import of a request log (foia.imports.jobs; payload: token, filename, actor_id, organization_id,
#: mapping, choices, skip_invalid, rows; once done, result).
JOB_KINDS: tuple[str, ...] = ("extract_text", "recompute_clocks", "import_requests")
#: queued (waiting, or waiting to retry at run_after), running (claimed), done, failed (gave up; last_error says why).
JOB_STATUSES: tuple[str, ...] = ("queued", "running", "done", "failed")


class Job(Model):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), nullable=True,
                                                    index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    status: Mapped[str] = mapped_column(String(10), default="queued", server_default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    run_after: Mapped[datetime] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
