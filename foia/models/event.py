from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foia.extensions import Model
from foia.models.types import UTCDateTime
from foia.models.user import User

# Kinds of fact recorded in a request's ledger. The deadline engine reads these.
EVENT_KINDS: dict[str, str] = {
    "created": "Drafted",
    "sent": "Sent to agency",
    "received": "Received by agency",
    "acknowledged": "Acknowledged",
    "extension": "Extension invoked",
    "toll_start": "Agency asked for clarification (clock paused)",
    "toll_end": "Requester answered (clock resumed)",
    "restart": "Clock restarted",
    "estimated_completion": "Agency's estimated completion date",
    "agreed_date": "Date agreed with requester",
    "fee_estimate": "Fee estimate",
    "fee_accepted": "Fee estimate accepted",
    "fee_narrowed": "Request narrowed to lower the fee",
    "advance_payment": "Advance payment requested",
    "fee_paid": "Fee paid",
    "fee_waiver_decided": "Fee waiver decided",
    "litigation_filed": "Complaint filed in court",
    "court_date": "Court date",
    "litigation_closed": "Litigation ended",
    "release": "Records released",
    "determination": "Adverse determination",
    "appeal_filed": "Appeal filed",
    "appeal_decided": "Appeal decided",
    "closed": "Closed",
    "delivery_failed": "Delivery failed (the letter bounced)",
    "note": "Note",
}


class Event(Model):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_request_on", "request_id", "occurred_on", "id"),
        # A closure's recompute finds the requests with a live event on or after its day (clocks.service.recompute_open)
        # by this index, not by scanning every event.
        Index("ix_events_live_on", "occurred_on", "request_id", postgresql_where=text("voided_at IS NULL"),
              sqlite_where=text("voided_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    # The legal date of the fact (in the agency's time zone) and, when known, the exact instant.
    occurred_on: Mapped[date] = mapped_column(Date)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A mistaken fact is voided, never deleted: it stays in the ledger, shown as voided with the reason,
    # and the deadline engine no longer reads it (foia.requests.corrections).
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    void_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None

    @property
    def kind_label(self) -> str:
        return EVENT_KINDS.get(self.kind, self.kind)
