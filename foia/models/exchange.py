"""Data in and out (issue 16): personal API tokens, per-organization webhooks, their deliveries and
every delivery attempt. Request-log imports mark requests with the spreadsheet's own id
(`Request.external_id`) so a re-import finds them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column

from foia.core.vocab import WEBHOOK_EVENTS as WEBHOOK_EVENTS  # the events a webhook can subscribe to
from foia.core.vocab import WEBHOOK_FORMATS as WEBHOOK_FORMATS  # payload formats: signed JSON, or Slack/Teams text
from foia.extensions import Model
from foia.models.types import UTCDateTime

#: Where a delivery stands: waiting (first try or a retry), delivered, or given up after the last retry.
WEBHOOK_DELIVERY_STATUSES: tuple[str, ...] = ("pending", "delivered", "failed")


class ApiToken(Model):
    """A personal API token (`Authorization: Bearer ftk_...`). Only the SHA-256 of the token is stored; the
    token is shown once, when it is created. It acts as its user, with the user's access, until revoked."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters of the token (e.g. "ftk_a1b2c3"), shown so a person can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Webhook(Model):
    """An organization's subscription: events POSTed to `url`, signed with HMAC-SHA256 of `secret`."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    #: The signing secret (needed in clear to sign; shown once at creation, never again).
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    format: Mapped[str] = mapped_column(String(10), default="json", server_default="json")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: An administrator allowed a private or loopback address for this URL (refused otherwise: SSRF).
    allow_private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDelivery(Model):
    """One event for one webhook, delivered by the scheduler with retries and backoff. `event_key` makes an
    event enqueue once per webhook (e.g. "deadline.approaching:FT-2026-0001:response:2026-12-01")."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("webhook_id", "event_key", name="uq_webhook_deliveries_event"),
                      Index("ix_webhook_deliveries_due", "status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    event_key: Mapped[str] = mapped_column(String(300))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id", ondelete="SET NULL"), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: A sender's claim (like reminders'): the token it holds and until when.
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookAttempt(Model):
    """Every try at delivering, with what the receiver answered (shown on the admin page)."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="", server_default="")
    duration_ms: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
