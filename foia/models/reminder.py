from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foia.extensions import Model
from foia.models.types import UTCDateTime

# Why a reminder is sent. The planner (foia/reminders.py) turns clocks into rows with these rules.
REMINDER_RULES: dict[str, str] = {
    "before_5": "5 working days before",
    "before_1": "1 working day before",
    "on_date": "on the date",
    "overdue_1": "first working day overdue",
    "overdue_weekly": "weekly while overdue",
    "appeal_before_10": "10 days before the appeal window closes",
    "appeal_before_3": "3 days before the appeal window closes",
    "digest": "daily digest",
}
# Kinds a person can switch off in their settings.
REMINDER_KINDS: dict[str, str] = {
    "upcoming": "Before a deadline",
    "due": "On the day a deadline falls",
    "overdue": "When a deadline has passed",
    "appeal": "Before an appeal window closes",
}
RULE_KIND = {
    "before_5": "upcoming", "before_1": "upcoming", "on_date": "due", "overdue_1": "overdue",
    "overdue_weekly": "overdue", "appeal_before_10": "appeal", "appeal_before_3": "appeal", "digest": "digest",
}


class Reminder(Model):
    """One planned email: the outbox table is the source of truth for what is sent.

    Lifecycle: pending -> sending (claimed by one dispatcher, with a lease) -> sent.
    A failed send goes back to pending with its attempt count, error and next try;
    a claim whose lease ran out (process killed mid-sweep) is claimed again and re-sent
    with the same Message-ID. Rows are never deleted once sent."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("request_id", "user_id", "clock_kind", "due", "rule", "seq",
                         name="uq_reminders_identity"),
        # Only rows still to send are swept; a partial index keeps the sweep fast with millions of sent rows.
        Index("ix_reminders_unsent", "send_at", postgresql_where=text("status IN ('pending', 'sending')"),
              sqlite_where=text("status IN ('pending', 'sending')")),
        # Digest rows have no request: one per person per day, however many schedulers run.
        Index("uq_reminders_digest", "user_id", "due", "rule", unique=True,
              postgresql_where=text("request_id IS NULL"), sqlite_where=text("request_id IS NULL")),
        Index("ix_reminders_request", "request_id", "status"),
        # A claimed batch is found by its token; only rows in flight carry one, so this index stays tiny.
        Index("ix_reminders_claim", "claim_token", postgresql_where=text("claim_token IS NOT NULL"),
              sqlite_where=text("claim_token IS NOT NULL")),
        Index("ix_reminders_user", "user_id", "send_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), nullable=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    clock_kind: Mapped[str] = mapped_column(String(40))
    due: Mapped[date] = mapped_column(Date)
    rule: Mapped[str] = mapped_column(String(30))
    seq: Mapped[int] = mapped_column(Integer, default=0)  # n-th weekly overdue reminder
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message_id: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Watcher(Model):
    """Someone in the request's organization who follows it and gets its reminders."""

    __tablename__ = "request_watchers"
    __table_args__ = (UniqueConstraint("request_id", "user_id", name="uq_request_watchers_request_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user = relationship("User")
