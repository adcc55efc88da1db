"""Watchers: people who get a request's reminders besides its requester."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.core.access import can_view
from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.models import Request, User, Watcher
from foia.reminders.planner import plan


def add_watcher(session: Session, *, actor: User, now: datetime, req: Request, user: User) -> Watcher:

    if user.organization_id != req.organization_id:
        raise ValidationError({"user": "Only people in the request's organization can watch it."})
    if not can_view(user, req):
        raise ValidationError({"user": f"{user.name} cannot see this request; share it with the organization first."})
    existing = session.scalar(select(Watcher).where(Watcher.request_id == req.id, Watcher.user_id == user.id))
    if existing is not None or user.id == req.requester_id:
        raise ValidationError({"user": f"{user.name} already gets this request's reminders."})
    watcher = Watcher(request_id=req.id, user_id=user.id, created_at=now)
    session.add(watcher)
    session.flush()
    audit(session, actor=actor, now=now, action="watch", entity=req, after={"watcher": user.email})
    plan(session, req, now=now)
    return watcher


def remove_watcher(session: Session, *, actor: User, now: datetime, req: Request, user_id: int) -> None:

    watcher = session.scalar(select(Watcher).where(Watcher.request_id == req.id, Watcher.user_id == user_id))
    if watcher is None:
        raise ValidationError({"user": "That person is not watching this request."})
    email = watcher.user.email
    session.delete(watcher)
    session.flush()
    audit(session, actor=actor, now=now, action="unwatch", entity=req, before={"watcher": email})
    plan(session, req, now=now)
