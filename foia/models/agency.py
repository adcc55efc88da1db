from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from foia.core.clock import default_timezone
from foia.extensions import Model
from foia.models.types import UTCDateTime


class Agency(Model):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    department: Mapped[str] = mapped_column(String(200), default="")
    jurisdiction: Mapped[str] = mapped_column(String(100))
    law: Mapped[str] = mapped_column(String(20), index=True)
    foia_email: Mapped[str] = mapped_column(String(254), default="")
    portal_url: Mapped[str] = mapped_column(String(500), default="")
    mailing_address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    fax: Mapped[str] = mapped_column(String(50), default="", server_default="")
    appeal_authority: Mapped[str] = mapped_column(String(200), default="")
    appeal_address: Mapped[str] = mapped_column(Text, default="")
    appeal_email: Mapped[str] = mapped_column(String(254), default="")
    timezone: Mapped[str] = mapped_column(String(64), default=default_timezone)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Agency {self.slug}>"


#: Where a suggested change to the shared agency directory stands.
CHANGE_STATUSES = ("pending", "accepted", "rejected")


class AgencyChange(Model):
    """A change to the shared agency directory suggested by someone who may not edit it (staff and
    reporters of any organization), waiting for an administrator to accept or reject it. `agency_id`
    is None for a suggested new agency; `changes` maps field -> proposed value (`before` the values then)."""

    __tablename__ = "agency_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), nullable=True,
                                                  index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
