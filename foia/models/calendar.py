from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foia.extensions import Model
from foia.models.agency import Agency
from foia.models.types import UTCDateTime


class CalendarClosure(Model):
    """An ad-hoc closure an admin adds: for a whole calendar (e.g. an executive-order closure of
    federal offices, calendar_id="us-federal") or for one agency (an office shut by a storm)."""

    __tablename__ = "calendar_closures"
    __table_args__ = (
        Index("ix_calendar_closures_calendar_on", "calendar_id", "closed_on"),
        Index("ix_calendar_closures_agency_on", "agency_id", "closed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    closed_on: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    agency: Mapped[Agency | None] = relationship()

    @property
    def scope(self) -> str:
        return f"agency:{self.agency.slug}" if self.agency_id and self.agency else f"calendar:{self.calendar_id}"
