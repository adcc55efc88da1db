"""Closed vocabularies that command options offer as choices (`--role`, `--event`, `--format`).

A leaf that imports nothing: `flask foia user --help` lists the roles without importing a model. The models
re-export each name from where it was defined (`foia.models.ROLES`, `foia.models.exchange.WEBHOOK_EVENTS`...)."""

from __future__ import annotations

#: Account roles (`User.role`).
ROLES = ("admin", "staff", "reporter")

#: The events a webhook can subscribe to.
WEBHOOK_EVENTS: tuple[str, ...] = (
    "deadline.approaching", "deadline.missed", "reply.received", "status.changed", "delivery.failed",
)
#: Payload formats: our signed JSON, or a Slack/Teams-compatible {"text": ...} message (also signed).
WEBHOOK_FORMATS: tuple[str, ...] = ("json", "slack")
