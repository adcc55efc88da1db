"""Working as a team on requests (issue 19): tags per organization, saved list views, and the email telling a person
that requests were assigned to them (`AssignmentNotice`, sent by the scheduler).

The request's assignee is a column of `requests` (`Request.assignee_id`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foia.extensions import Model
from foia.models.types import UTCDateTime
from foia.models.user import User


class Tag(Model):
    """A label an organization puts on its requests ("ICE operations 2025"). Names are unique per
    organization, whatever their case (`name_key` is the lower-cased name)."""

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("organization_id", "name_key", name="uq_tags_organization_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    name_key: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)


class RequestTag(Model):
    """One tag on one request."""

    __tablename__ = "request_tags"
    __table_args__ = (
        UniqueConstraint("request_id", "tag_id", name="uq_request_tags_request_tag"),
        # The list's tag filter: the requests carrying a tag.
        Index("ix_request_tags_tag_request", "tag_id", "request_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    tag: Mapped[Tag] = relationship()


class SavedView(Model):
    """A named set of request-list filters (the list's query string) saved by a person, optionally shared
    with their organization."""

    __tablename__ = "saved_views"
    __table_args__ = (
        UniqueConstraint("user_id", "name", name="uq_saved_views_user_name"),
        Index("ix_saved_views_org_shared", "organization_id", "shared"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(String(1000))
    shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class AssignmentNotice(Model):
    """The email telling `user` that `actor` assigned them requests: one row per assignment action (a bulk assignment
    of several requests is one email listing them). Written in the assignment's own transaction and sent by the
    scheduler (`foia.team.mail.send_assignment_mail`), never inside the web request: claimed with a lease, sent once
    with a Message-ID made from the row, retried with a growing delay, and dropped for each request the person no
    longer owns or may no longer see when it is sent."""

    __tablename__ = "assignment_notices"
    __table_args__ = (
        # Only unsent rows are swept; a partial index keeps the sweep fast however many were sent.
        Index("ix_assignment_notices_unsent", "next_attempt_at",
              postgresql_where=text("status IN ('pending', 'sending')"),
              sqlite_where=text("status IN ('pending', 'sending')")),
        Index("ix_assignment_notices_user", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    request_ids: Mapped[list[Any]] = mapped_column(JSON)  # the requests assigned by this action, in the order shown
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message_id: Mapped[str] = mapped_column(String(200), default="", server_default="")
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
