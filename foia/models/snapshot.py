from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from foia.extensions import Model
from foia.models.types import UTCDateTime


class StatsSnapshot(Model):
    """Agency responsiveness for one viewing scope, computed off the request path: the web serves the
    snapshot and the scheduler's sweep refreshes it when it is older than a few minutes."""

    __tablename__ = "stats_snapshots"

    scope_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The day the figures were computed for: a new day recomputes every agency (deadlines pass).
    computed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    data: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
