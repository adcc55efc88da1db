from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from foia.extensions import Model
from foia.models.types import UTCDateTime


class RequestClock(Model):
    """Cached result of the deadline engine for one clock of one request.

    The event ledger is the truth; these rows are recomputed on every event and every
    calendar change, and exist so lists, dashboards and reminders can query by date."""

    __tablename__ = "request_clocks"
    __table_args__ = (
        UniqueConstraint("request_id", "kind", name="uq_request_clocks_request_kind"),
        Index("ix_request_clocks_due", "due", "request_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    due: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(10))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
