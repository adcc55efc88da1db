"""The clause library (issue 19): an organization's reusable paragraphs for letter drafts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foia.extensions import Model
from foia.models.types import UTCDateTime
from foia.models.user import User


class Clause(Model):
    """A paragraph staff insert into letter drafts (fee-waiver justification, news-media status, format
    preferences...). `laws`: the law slugs (foia/laws/*.toml) it fits; empty means every law. Archived clauses
    are no longer offered and are kept. `usage_count` counts insertions into drafts."""

    __tablename__ = "clauses"
    __table_args__ = (Index("ix_clauses_organization", "organization_id", "archived_at", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    laws: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    usage_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    archived_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def fits(self, law: str) -> bool:
        return not self.laws or law in self.laws
