"""What a webhook receives: the JSON body (ours, or a Slack/Teams-compatible {"text": ...} message) and the
signature header.

A delivery stores the event's facts when it is enqueued (`WebhookDelivery.payload`: occurred_at,
organization, request, data); the body is made from them when it is sent, with the delivery's id and the
request's absolute URL (FOIA_BASE_URL), so every retry sends the same body.

Signature: ``X-FOIA-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>``, computed over
the exact bytes sent. A receiver recomputes it and rejects an old `t` (replay); see the README.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

SIGNATURE_HEADER = "X-FOIA-Signature"
USER_AGENT = "FOIA-Tracker-Webhooks/1.0"

EVENT_TITLES = {
    "deadline.approaching": "Deadline approaching",
    "deadline.missed": "Deadline missed",
    "reply.received": "Reply received",
    "status.changed": "Status changed",
    "delivery.failed": "Letter not delivered",
    "test": "Test event",
}


def request_facts(req: Any) -> dict[str, Any]:
    """The request as a payload shows it (at the moment of the event)."""
    agency = getattr(req, "agency", None)
    return {"ref": req.ref, "title": req.title, "agency": agency.name if agency is not None else None,
            "status": req.status, "path": f"/requests/{req.ref}"}


def body_dict(*, event: str, delivery_id: int, payload: dict[str, Any], base_url: str) -> dict[str, Any]:
    """Our JSON format."""
    body: dict[str, Any] = {"event": event, "id": delivery_id, "occurred_at": payload.get("occurred_at"),
                            "organization": payload.get("organization")}
    req = payload.get("request")
    if req is not None:
        shown = {k: v for k, v in req.items() if k != "path"}
        shown["url"] = base_url.rstrip("/") + req.get("path", "")
        body["request"] = shown
    else:
        body["request"] = None
    body["data"] = payload.get("data") or {}
    return body


def slack_text(body: dict[str, Any]) -> str:
    """One line for a chat channel (Slack and Teams incoming webhooks both take {"text": ...})."""
    data, req = body.get("data") or {}, body.get("request")
    title = EVENT_TITLES.get(body["event"], body["event"])
    about = f"{req['ref']} “{req['title']}” ({req['agency']})" if req else ""
    event = body["event"]
    if event in ("deadline.approaching", "deadline.missed"):
        days = data.get("days_left")
        when = ("due today" if days == 0 else f"due in {days} day{'s' if days != 1 else ''}" if days and days > 0
                else f"{-days} day{'s' if days != -1 else ''} overdue" if days else "")
        detail = f"{data.get('label') or data.get('clock')}: {data.get('due')} ({when})"
    elif event == "status.changed":
        detail = f"{data.get('from')} → {data.get('to')}"
    elif event == "reply.received":
        detail = f"“{data.get('subject') or '(no subject)'}” from {data.get('from') or 'the agency'}"
    elif event == "delivery.failed":
        detail = f"the {data.get('letter') or ''} letter to {data.get('to')} was not delivered: {data.get('reason')}"
    else:
        detail = data.get("message") or ""
    parts = [f"*{title}*", about, detail]
    text = " — ".join(p for p in parts if p)
    if req:
        text += f" <{req['url']}|Open {req['ref']}>"
    return text


def render_body(*, event: str, delivery_id: int, payload: dict[str, Any], base_url: str, fmt: str) -> bytes:
    """The bytes POSTed for a delivery in format `fmt` ("json" or "slack")."""
    body = body_dict(event=event, delivery_id=delivery_id, payload=payload, base_url=base_url)
    if fmt == "slack":
        body = {"text": slack_text(body)}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The v1 signature: hex HMAC-SHA256 of "<timestamp>.<body>" with the webhook's secret."""
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: datetime | None = None, tolerance: int = 300) -> bool:
    """What a receiver does (used by the tests, and shown in the README): the signature matches and, given
    `now`, the timestamp is within `tolerance` seconds."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if now is not None and abs(now.timestamp() - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), fields.get("v1", ""))
