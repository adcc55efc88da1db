from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foia.extensions import Model
from foia.models.types import UTCDateTime
from foia.models.user import User

#: What became of a letter mailed from the app.
DELIVERY_STATUSES: dict[str, str] = {
    "sending": "Sending",          # handed to the SMTP server; its answer not yet recorded
    "accepted": "Accepted",        # the server took the message (its reply is kept)
    "failed": "Not sent",          # the server refused it or could not be reached: nothing was sent
    "bounced": "Delivery failed",  # accepted, then a delivery status notification said it failed
}


class Delivery(Model):
    """One letter mailed to an agency from the app: the proof of delivery.

    Keeps the exact bytes handed to the SMTP server (``raw_sha256``, in the blob store), the
    server's answer (code, text, queue id), and what happened after (a bounce and its reason). The
    Message-ID is fixed when the row is made, so a retry re-sends the same message, never a second one.
    """

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_request", "request_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    letter_version_id: Mapped[int | None] = mapped_column(ForeignKey("letter_versions.id", ondelete="SET NULL"),
                                                          nullable=True)
    kind: Mapped[str] = mapped_column(String(20))  # the letter kind: request | follow-up | appeal
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    to_addr: Mapped[str] = mapped_column(String(254))
    from_addr: Mapped[str] = mapped_column(String(300))
    reply_to: Mapped[str] = mapped_column(String(300), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(10), default="sending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    smtp_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    smtp_reply: Mapped[str] = mapped_column(Text, default="")
    queue_id: Mapped[str] = mapped_column(String(200), default="")
    raw_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    bounce_reason: Mapped[str] = mapped_column(Text, default="")
    bounce_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # sender told
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), nullable=True)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    sent_by: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return DELIVERY_STATUSES.get(self.status, self.status)

    def __repr__(self) -> str:
        return f"<Delivery {self.id} {self.kind} {self.status} {self.message_id}>"
