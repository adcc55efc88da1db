"""Mentions in internal notes (issue 19): one row per colleague named with @handle in a note, and the queue of
their notification emails (sent by the scheduler, never inside the web request)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foia.extensions import Model
from foia.models.communication import InternalNote
from foia.models.types import UTCDateTime
from foia.models.user import User

#: A mention's email: pending -> sending (claimed, with a lease) -> sent; "failed" after the last attempt,
#: "dropped" when the colleague may no longer read the note (left the organization, lost access, note removed).
MENTION_STATUSES = ("pending", "sending", "sent", "failed", "dropped")


class NoteMention(Model):
    """A colleague mentioned in an internal note. Unique per note and person: one email each."""

    __tablename__ = "note_mentions"
    __table_args__ = (
        UniqueConstraint("note_id", "user_id", name="uq_note_mentions_note_user"),
        # Only unsent rows are swept; a partial index keeps the sweep fast however many were sent.
        Index("ix_note_mentions_unsent", "next_attempt_at",
              postgresql_where=text("status IN ('pending', 'sending')"),
              sqlite_where=text("status IN ('pending', 'sending')")),
        Index("ix_note_mentions_user", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("internal_notes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    handle: Mapped[str] = mapped_column(String(254))  # as written in the note, without the "@"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message_id: Mapped[str] = mapped_column(String(200), default="", server_default="")
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")

    note: Mapped[InternalNote] = relationship()
    user: Mapped[User] = relationship()
