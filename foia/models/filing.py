from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from foia.extensions import Model
from foia.models.types import UTCDateTime


class RequestGroup(Model):
    """One request sent to several agencies: each agency gets its own request (letter, clocks,
    responses); the group shows them together."""

    __tablename__ = "request_groups"
    __table_args__ = (Index("ix_request_groups_org", "organization_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FilingDraft(Model):
    """The new-request form as a person is filling it in, saved as they go (one per person)."""

    __tablename__ = "filing_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
