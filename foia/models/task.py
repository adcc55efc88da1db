from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foia.extensions import Model
from foia.models.types import UTCDateTime
from foia.models.user import User

#: How a relative task date counts its days (foia.deadlines.relative).
TASK_UNITS: dict[str, str] = {"working": "working days", "calendar": "calendar days"}
TASK_DIRECTIONS: dict[str, str] = {"before": "before", "after": "after"}


class Task(Model):
    """Internal work on a request ("Chase ICE by phone"), for a person of its organization, with an INTERNAL due
    date: never a statutory deadline, never in the ledger, never sent to the agency.

    The date is either set by hand (`relative_clock` empty) or follows one of the request's clocks: N working or
    calendar days before or after it. Then `due` is a cache, like `request_clocks`: it is recomputed whenever the
    clock's stored date moves (foia.clocks.service.follow_tasks), from the clock's date and the request's working-day
    calendar (foia.deadlines.relative)."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_request", "request_id", "id"),
        # Dashboards, digests and feeds look up a person's open tasks by date.
        Index("ix_tasks_assignee_open", "assignee_id", "due", postgresql_where=text("done_at IS NULL"),
              sqlite_where=text("done_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    due: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Relative date: `relative_days` `relative_unit` ("working" / "calendar") `relative_direction` ("before" /
    # "after") the request's clock of kind `relative_clock` (e.g. "response"); all empty for a date set by hand.
    relative_clock: Mapped[str | None] = mapped_column(String(40), nullable=True)
    relative_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    relative_unit: Mapped[str | None] = mapped_column(String(10), nullable=True)
    relative_direction: Mapped[str | None] = mapped_column(String(10), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id])

    @property
    def is_relative(self) -> bool:
        return self.relative_clock is not None

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
