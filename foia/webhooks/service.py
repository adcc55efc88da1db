"""Webhooks: an organization's administrators subscribe URLs to events; events are enqueued here as
`WebhookDelivery` rows, and the scheduler delivers them (`foia.webhooks.delivery`), never a web request.

    emit(session, event=..., request=req, now=now, details={...}, key="...")

is called where an event happens (a status change in `requests.service.update_request`, an agency reply
imported by the mailroom, a letter refused by the mail server or bounced) and by `sweep_deadlines` (clocks
coming due or just missed). It adds one row per active webhook of the request's organization subscribed to
the event, once per `key`: emitting the same key again adds nothing (a unique constraint holds even when two
processes race). It does not commit: the rows are part of the caller's transaction, so an event that is
rolled back is never announced.
"""

from __future__ import annotations

import hashlib
import secrets as secrets_module
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from foia.core.audit import audit
from foia.core.clock import local_today
from foia.core.errors import ValidationError
from foia.models import Organization, Request, RequestClock, User
from foia.models.exchange import WEBHOOK_EVENTS, WEBHOOK_FORMATS, Webhook, WebhookAttempt, WebhookDelivery
from foia.webhooks.addresses import RefusedAddress, check_url
from foia.webhooks.payloads import request_facts

#: A clock coming due within this many days (0: due today) is announced as deadline.approaching.
APPROACHING_DAYS = 5
#: A clock missed within this many days is announced as deadline.missed (older ones are not, so a new
#: webhook is not flooded with years of history).
MISSED_WITHIN_DAYS = 7
MIN_SECRET = 16
MAX_KEY = 300
TEST_EVENT = "test"


def may_manage(user: User | None) -> bool:
    """Webhooks are managed by administrators, each for their own organization."""
    return user is not None and getattr(user, "is_authenticated", False) and user.role == "admin" \
        and bool(getattr(user, "active", True))


def webhook_for(session: Session, user: User, webhook_id: int) -> Webhook | None:
    """The webhook if `user` may manage it; None for another organization's (a 404 either way)."""
    if not may_manage(user):
        return None
    hook = session.get(Webhook, webhook_id)
    return hook if hook is not None and hook.organization_id == user.organization_id else None


def webhooks_of(session: Session, organization_id: int) -> list[Webhook]:
    return list(session.scalars(select(Webhook).where(Webhook.organization_id == organization_id)
                                .order_by(Webhook.id)))


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = set(events)
    unknown = chosen - set(WEBHOOK_EVENTS)
    if unknown:
        raise ValidationError({"events": f"Unknown event(s): {', '.join(sorted(unknown))}."})
    if not chosen:
        raise ValidationError({"events": "Choose at least one event to send."})
    return [e for e in WEBHOOK_EVENTS if e in chosen]


def _summary(hook: Webhook) -> dict[str, Any]:
    return {"url": hook.url, "events": list(hook.events), "format": hook.format, "active": hook.active,
            "allow_private": hook.allow_private, "organization_id": hook.organization_id}


def create_webhook(session: Session, *, actor: User, now: datetime, url: str, events: Iterable[str],
                   fmt: str = "json", secret: str | None = None, allow_private: bool = False) -> tuple[Webhook, str]:
    """Subscribe `url` for the actor's organization. Returns the webhook and its secret (generated when none
    is given), which is shown once. Raises ValidationError by field; nothing is written then."""
    if not may_manage(actor):
        raise ValidationError({"actor": "Only an administrator can add webhooks."})
    errors: dict[str, str] = {}
    url = (url or "").strip()
    try:
        check_url(url, allow_private=allow_private)
    except RefusedAddress as exc:
        errors["url"] = str(exc)
    try:
        chosen = _clean_events(events)
    except ValidationError as exc:
        errors.update(exc.errors)
        chosen = []
    if fmt not in WEBHOOK_FORMATS:
        errors["format"] = "Choose the JSON format or a Slack/Teams message."
    secret = (secret or "").strip()
    if secret and not (MIN_SECRET <= len(secret) <= 200):
        errors["secret"] = f"A secret must be {MIN_SECRET} to 200 characters long (or leave it empty for one made here)."
    if errors:
        raise ValidationError(errors)
    secret = secret or "whsec_" + secrets_module.token_urlsafe(32)
    hook = Webhook(organization_id=actor.organization_id, url=url, secret=secret, events=chosen, format=fmt,
                   active=True, allow_private=bool(allow_private), created_by_id=actor.id, created_at=now,
                   updated_at=now)
    session.add(hook)
    session.flush()
    audit(session, actor=actor, now=now, action="create", entity=hook, after=_summary(hook))
    return hook, secret


def set_active(session: Session, *, actor: User, now: datetime, hook: Webhook, active: bool) -> None:
    """Pause or resume a webhook; a paused webhook gets no new events and its pending deliveries wait."""
    if not may_manage(actor) or hook.organization_id != actor.organization_id:
        raise ValidationError({"webhook": "You cannot change that webhook."})
    if hook.active == active:
        return
    before = _summary(hook)
    hook.active, hook.updated_at = active, now
    audit(session, actor=actor, now=now, action="enable" if active else "disable", entity=hook, before=before,
          after=_summary(hook))


def delete_webhook(session: Session, *, actor: User, now: datetime, hook: Webhook) -> None:
    """Remove a webhook with its deliveries and their attempts (the audit row keeps what it was)."""
    if not may_manage(actor) or hook.organization_id != actor.organization_id:
        raise ValidationError({"webhook": "You cannot delete that webhook."})
    audit(session, actor=actor, now=now, action="delete", entity=hook, before=_summary(hook))
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.webhook_id == hook.id)
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries))
                    .execution_options(synchronize_session=False))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)
                    .execution_options(synchronize_session=False))
    session.delete(hook)
    session.flush()


def _organization(session: Session, organization_id: int) -> dict[str, Any]:
    org = session.get(Organization, organization_id)
    return {"id": organization_id, "name": org.name if org is not None else None}


def _key(key: str) -> str:
    """An event key that fits its column: a long one keeps its start and a hash of the whole."""
    if len(key) <= MAX_KEY:
        return key
    return key[:MAX_KEY - 65] + "#" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def _enqueue(session: Session, hook: Webhook, *, event: str, key: str, request_id: int | None,
             payload: dict[str, Any], now: datetime) -> WebhookDelivery | None:
    exists = session.scalar(select(WebhookDelivery.id).where(WebhookDelivery.webhook_id == hook.id,
                                                             WebhookDelivery.event_key == key))
    if exists is not None:
        return None
    row = WebhookDelivery(webhook_id=hook.id, event=event, event_key=key, request_id=request_id, payload=payload,
                          status="pending", attempts=0, next_attempt_at=now, created_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another process enqueued the same event first
        return None
    return row


def emit(session: Session, *, event: str, request: Request, now: datetime, details: dict[str, Any],
         key: str) -> list[WebhookDelivery]:
    """Enqueue `event` about `request` for every active webhook of its organization subscribed to it,
    once per `key` (see the module docstring). Returns the rows added. Does not commit."""
    if event not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    hooks = [h for h in session.scalars(select(Webhook).where(Webhook.organization_id == request.organization_id,
                                                              Webhook.active.is_(True)).order_by(Webhook.id))
             if event in (h.events or ())]
    if not hooks:
        return []
    payload = {"occurred_at": now.isoformat(), "organization": _organization(session, request.organization_id),
               "request": request_facts(request), "data": details}
    key = _key(key)
    added = [_enqueue(session, h, event=event, key=key, request_id=request.id, payload=payload, now=now)
             for h in hooks]
    return [row for row in added if row is not None]


def send_test(session: Session, *, actor: User, now: datetime, hook: Webhook) -> WebhookDelivery:
    """Enqueue a test event for one webhook (delivered by the scheduler, like every event)."""
    if not may_manage(actor) or hook.organization_id != actor.organization_id:
        raise ValidationError({"webhook": "You cannot test that webhook."})
    payload = {"occurred_at": now.isoformat(), "organization": _organization(session, hook.organization_id),
               "request": None, "data": {"message": f"A test event sent by {actor.email}."}}
    row = _enqueue(session, hook, event=TEST_EVENT, key=f"test:{secrets_module.token_hex(8)}", request_id=None,
                   payload=payload, now=now)
    assert row is not None  # a fresh random key
    return row


def sweep_deadlines(session: Session, *, now: datetime, tz: str | None = None,
                    approaching_days: int = APPROACHING_DAYS, missed_within: int = MISSED_WITHIN_DAYS) -> int:
    """Enqueue deadline.approaching for open clocks due within `approaching_days` (today included) and
    deadline.missed for open clocks whose date passed within `missed_within` days, for the organizations
    with a webhook subscribed to them. Each (request, clock, due date) fires once per event: a moved date
    is a new deadline. Returns the rows added; does not commit."""
    orgs: set[int] = set()
    for org_id, events in session.execute(select(Webhook.organization_id, Webhook.events)
                                          .where(Webhook.active.is_(True))):
        if {"deadline.approaching", "deadline.missed"} & set(events or ()):
            orgs.add(org_id)
    if not orgs:
        return 0
    today = local_today(now, tz)
    rows = session.execute(
        select(RequestClock, Request)
        .join(Request, Request.id == RequestClock.request_id)
        .where(RequestClock.status == "open", RequestClock.due.is_not(None),
               RequestClock.due >= today - timedelta(days=missed_within),
               RequestClock.due <= today + timedelta(days=approaching_days),
               Request.organization_id.in_(orgs), Request.deleted_at.is_(None))
        .order_by(RequestClock.due, RequestClock.id)).all()
    added = 0
    for clock, req in rows:
        if req.is_closed or clock.due is None:
            continue
        days_left = (clock.due - today).days
        event = "deadline.approaching" if days_left >= 0 else "deadline.missed"
        details = {"clock": clock.kind, "label": clock.label, "due": clock.due.isoformat(), "days_left": days_left}
        added += len(emit(session, event=event, request=req, now=now, details=details,
                          key=f"{event}:{req.ref}:{clock.kind}:{clock.due.isoformat()}"))
    return added


def recent_deliveries(session: Session, hook: Webhook, limit: int = 50) -> list[tuple[WebhookDelivery,
                                                                                     Sequence[WebhookAttempt]]]:
    """The webhook's latest deliveries, newest first, each with every attempt (two queries)."""
    rows = list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)
                                .order_by(WebhookDelivery.id.desc()).limit(limit)))
    attempts: dict[int, list[WebhookAttempt]] = {r.id: [] for r in rows}
    if rows:
        for a in session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(attempts))
                                 .order_by(WebhookAttempt.delivery_id, WebhookAttempt.id)):
            attempts[a.delivery_id].append(a)
    return [(r, attempts[r.id]) for r in rows]
