"""Filing: one request to one or several agencies, and the new-request form saved as you go.

A request to several agencies becomes a RequestGroup of per-agency requests, each under its
agency's own law, with its own letter, clocks and responses."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.models import FilingDraft, Request, RequestGroup, User
from foia.requests.service import RequestInput, create_request

MAX_AGENCIES = 25
DRAFT_FIELDS = ("title", "agencies", "law", "records_sought", "records_from", "records_to", "preferred_format",
                "fee_category", "fee_ceiling", "fee_waiver", "fee_waiver_justification", "expedited",
                "expedited_justification", "visibility")


def file_request(session: Session, *, actor: User, now: datetime, data: RequestInput, agency_slugs: list[str],
                 timezone: str) -> tuple[RequestGroup | None, list[Request]]:
    """Create the request (one agency) or the group of requests (several). Validation runs for
    every agency before anything is saved, so a bad agency saves nothing."""
    slugs = list(dict.fromkeys(s.strip() for s in agency_slugs if s and s.strip()))
    if not slugs:
        raise ValidationError({"agencies": "Choose at least one agency from the directory."})
    if len(slugs) > MAX_AGENCIES:
        raise ValidationError({"agencies": f"Choose at most {MAX_AGENCIES} agencies at once."})
    if len(slugs) > 1 and data.law:
        raise ValidationError({"law": "With several agencies each request follows its agency's own law; "
                                      "leave the law as “The agency's law”."})
    group = None
    if len(slugs) > 1:
        group = RequestGroup(title=(data.title or "").strip()[:200], organization_id=actor.organization_id,
                             created_by_id=actor.id, created_at=now)
        session.add(group)
        session.flush()
    requests = []
    for slug in slugs:
        req = create_request(session, actor=actor, now=now, data=replace(data, agency_slug=slug), timezone=timezone)
        if group is not None:
            req.group_id = group.id
        requests.append(req)
    if group is not None:
        audit(session, actor=actor, now=now, action="create", entity=group,
              after={"title": group.title, "requests": [r.ref for r in requests]})
    discard_draft(session, actor)
    return group, requests


def filed_since(session: Session, actor: User, since: datetime) -> bool:
    """Has `actor` filed a request since `since` (the moment their form was opened)?"""
    return session.scalar(select(Request.id).where(Request.requester_id == actor.id, Request.created_at >= since)
                          .limit(1)) is not None


def save_draft(session: Session, *, actor: User, now: datetime, data: dict[str, Any],
               form_started: datetime | None = None) -> FilingDraft | None:
    """Keep the new-request form as typed. An autosave of a form that was filed in the meantime (it can
    arrive after the filing on a slow network) is ignored: it would bring the filed request back as "the
    request you were writing" and invite filing it twice. Returns None then."""
    if form_started is not None and filed_since(session, actor, form_started):
        return None
    clean: dict[str, Any] = {}
    for key in DRAFT_FIELDS:
        value = data.get(key)
        if key == "agencies":
            clean[key] = [str(v)[:64] for v in (value or [])][:MAX_AGENCIES]
        elif isinstance(value, str):
            clean[key] = value[:20000].replace("\x00", "")
        elif isinstance(value, bool) or value is None:
            clean[key] = value
    draft = session.scalar(select(FilingDraft).where(FilingDraft.user_id == actor.id))
    if draft is None:
        draft = FilingDraft(user_id=actor.id, data=clean, updated_at=now)
        session.add(draft)
    else:
        draft.data, draft.updated_at = clean, now
    return draft


def load_draft(session: Session, actor: User) -> FilingDraft | None:
    return session.scalar(select(FilingDraft).where(FilingDraft.user_id == actor.id))


def discard_draft(session: Session, actor: User) -> None:
    draft = load_draft(session, actor)
    if draft is not None:
        session.delete(draft)
