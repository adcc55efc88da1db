"""Delivering webhook events: claim due rows, POST each signed body, log every attempt, retry with backoff.

    deliver_due(session, now=now, settings=webhook_settings(app.config)) -> WebhookPass

runs in the scheduler (`foia.scheduler.deliver_webhooks`) and in `flask foia webhooks deliver`, never in a
web request. Rows are claimed like reminders: `FOR UPDATE SKIP LOCKED` on PostgreSQL, a conditional UPDATE
on SQLite, each claim a random token with a lease (`claimed_until`, compared with the `now` of the pass, as
the reminder sweep does). The claim is committed before any receiver is contacted, and an outcome is only
written with the token still held, so two schedulers never deliver one row twice while the lease runs; a
process that dies mid-POST leaves a row that is claimed again after the lease (receivers de-duplicate by
the delivery id, which stays the same).

Each POST: the URL is checked again (its host resolved now, every address checked, DNS rebinding), the
connection goes to the checked address (the host name is only the Host header and TLS name), redirects are
never followed (a 3xx is a failure), connect timeout 5 s and 10 s in all, and at most `MAX_RESPONSE_BYTES`
of the answer is read. 2xx is delivered; anything else is tried again after 1 min, 5 min, 30 min, 2 h and
6 h (each with ±20 % jitter), then the delivery is failed.
"""

from __future__ import annotations

import http.client
import random
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session

from foia.models.exchange import Webhook, WebhookAttempt, WebhookDelivery
from foia.webhooks.addresses import RefusedAddress, Target, check_url
from foia.webhooks.payloads import SIGNATURE_HEADER, USER_AGENT, render_body, signature_header

#: Waits before the 2nd, 3rd, ... try; after the last one fails the delivery is given up.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=6))
MAX_ATTEMPTS = len(BACKOFF) + 1
JITTER = 0.2
CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 4096


@dataclass
class WebhookSettings:
    base_url: str = "http://127.0.0.1:5000"
    lease_seconds: int = 300
    batch: int = 10
    max_per_pass: int = 200
    connect_timeout: float = CONNECT_TIMEOUT
    total_timeout: float = TOTAL_TIMEOUT


def webhook_settings(config: Mapping[str, Any]) -> WebhookSettings:
    return WebhookSettings(base_url=config["FOIA_BASE_URL"],
                           lease_seconds=int(config.get("FOIA_WEBHOOK_LEASE_SECONDS") or 300))


@dataclass
class PostResult:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300 and not self.error


@dataclass
class WebhookPass:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    attempts: list[int] = field(default_factory=list)  # WebhookAttempt ids, in order


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to a checked address; the host name is only the Host header."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address, the certificate verified against the host name (SNI too)."""

    def __init__(self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext):
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post(target: Target, body: bytes, headers: Mapping[str, str], *, connect_timeout: float = CONNECT_TIMEOUT,
         total_timeout: float = TOTAL_TIMEOUT) -> PostResult:
    """POST `body` to the first checked address of `target`. Never raises for network trouble: the
    result says what happened."""
    started = time.monotonic()
    address = target.addresses[0]
    conn: http.client.HTTPConnection
    if target.scheme == "https":
        conn = _PinnedHTTPSConnection(target.host, target.port, address, connect_timeout, ssl.create_default_context())
    else:
        conn = _PinnedHTTPConnection(target.host, target.port, address, connect_timeout)
    expired = threading.Event()

    def stop() -> None:  # the whole exchange is bounded, however slowly a receiver trickles bytes
        expired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(total_timeout, stop)
    timer.daemon = True
    timer.start()
    status: int | None = None
    error = ""
    connected = False
    try:
        conn.connect()
        connected = True
        assert conn.sock is not None
        conn.sock.settimeout(max(0.1, total_timeout - (time.monotonic() - started)))
        conn.request("POST", target.path, body=body, headers=dict(headers))
        resp = conn.getresponse()
        status = resp.status
        snippet = resp.read(MAX_RESPONSE_BYTES)
        if 300 <= status < 400:
            location = resp.getheader("Location", "")[:300]
            error = f"Redirect to {location or '(no Location)'} not followed: give the final URL instead."
        elif not 200 <= status < 300:
            text = " ".join(snippet.decode("utf-8", "replace").split())[:300]
            error = f"HTTP {status} {resp.reason}" + (f": {text}" if text else "")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        status = None
        if expired.is_set() or (connected and isinstance(exc, TimeoutError)):
            error = f"No complete answer within {total_timeout:g} s."
        elif isinstance(exc, TimeoutError):
            error = f"Could not connect within {connect_timeout:g} s."
        else:
            error = f"{type(exc).__name__}: {exc}"[:500]
    finally:
        timer.cancel()
        conn.close()
    if expired.is_set() and not error:
        error = f"No complete answer within {total_timeout:g} s."
    return PostResult(status, error, int((time.monotonic() - started) * 1000))


def _claim(session: Session, now: datetime, settings: WebhookSettings) -> str | None:
    token = secrets.token_hex(16)
    active = select(Webhook.id).where(Webhook.active.is_(True))
    due = and_(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
               or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
               WebhookDelivery.webhook_id.in_(active))
    candidates = (select(WebhookDelivery.id).where(due)
                  .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(settings.batch))
    lease = now + timedelta(seconds=settings.lease_seconds)
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(candidates.with_for_update(skip_locked=True)))
        if not ids:
            session.commit()
            return None
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(ids))
                        .values(claim_token=token, claimed_until=lease)
                        .execution_options(synchronize_session=False))
    else:
        # SQLite has one writer at a time: the UPDATE re-checks every condition, so no row is claimed twice.
        result = cast(CursorResult[Any], session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id.in_(candidates.scalar_subquery()), due)
            .values(claim_token=token, claimed_until=lease).execution_options(synchronize_session=False)))
        if result.rowcount == 0:
            session.commit()
            return None
    session.commit()
    return token


def _backoff(attempts: int) -> timedelta:
    base = BACKOFF[min(attempts, len(BACKOFF)) - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)


def _headers(hook: Webhook, delivery: WebhookDelivery, body: bytes, timestamp: int, base_url: str) -> dict[str, str]:
    return {"Content-Type": "application/json; charset=utf-8", "User-Agent": f"{USER_AGENT} (+{base_url})",
            "X-FOIA-Event": delivery.event, "X-FOIA-Delivery": str(delivery.id),
            SIGNATURE_HEADER: signature_header(hook.secret, timestamp, body)}


def attempt_delivery(session: Session, delivery: WebhookDelivery, hook: Webhook, *, now: datetime,
                     settings: WebhookSettings) -> PostResult:
    """One try: check the URL again, POST, and return what happened (nothing written)."""
    try:
        target = check_url(hook.url, allow_private=hook.allow_private)
    except RefusedAddress as exc:
        return PostResult(None, f"Not sent: {exc}", 0)
    body = render_body(event=delivery.event, delivery_id=delivery.id, payload=delivery.payload or {},
                       base_url=settings.base_url, fmt=hook.format)
    headers = _headers(hook, delivery, body, int(now.timestamp()), settings.base_url)
    return post(target, body, headers, connect_timeout=settings.connect_timeout,
                total_timeout=settings.total_timeout)


_DELIVERIES = WebhookDelivery.__table__


def _record(session: Session, delivery: WebhookDelivery, token: str, result: PostResult, at: datetime,
            outcome: WebhookPass) -> None:
    """Log the attempt and, with the claim still held, the delivery's new state; commit at once."""
    attempt = WebhookAttempt(delivery_id=delivery.id, at=at, status_code=result.status_code,
                             error=result.error[:2000], duration_ms=result.duration_ms)
    session.add(attempt)
    session.flush()
    outcome.attempts.append(attempt.id)
    attempts = delivery.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "claim_token": None, "claimed_until": None}
    if result.ok:
        values |= {"status": "delivered", "delivered_at": at}
    elif attempts >= MAX_ATTEMPTS:
        values |= {"status": "failed"}
    else:
        values |= {"next_attempt_at": at + _backoff(attempts)}
    held = cast(CursorResult[Any], session.connection().execute(
        _DELIVERIES.update().where(_DELIVERIES.c.id == delivery.id, _DELIVERIES.c.claim_token == token)
        .values(**values)))
    session.commit()
    if held.rowcount == 0:  # the lease ran out and another sender took the row: its outcome stands
        return
    if result.ok:
        outcome.delivered += 1
    elif values.get("status") == "failed":
        outcome.failed += 1
    else:
        outcome.retrying += 1


def deliver_due(session: Session, *, now: datetime, settings: WebhookSettings | None = None) -> WebhookPass:
    """Deliver every due webhook event (up to `max_per_pass`). Commits as it goes."""
    settings = settings or WebhookSettings()
    outcome = WebhookPass()
    started = time.monotonic()
    handled = 0
    while handled < settings.max_per_pass:
        token = _claim(session, now, settings)
        if token is None:
            break
        rows = session.execute(select(WebhookDelivery, Webhook).join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                               .where(WebhookDelivery.claim_token == token).order_by(WebhookDelivery.id)).all()
        if not rows:
            break
        for delivery, hook in rows:
            result = attempt_delivery(session, delivery, hook, now=now, settings=settings)
            at = now + timedelta(seconds=time.monotonic() - started)
            _record(session, delivery, token, result, at, outcome)
            handled += 1
    return outcome
