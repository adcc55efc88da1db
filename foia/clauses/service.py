"""The clause library (issue 19): an organization's reusable paragraphs (fee-waiver justifications, news-media
status, format preferences, "please search these custodians") that its people insert into letter drafts.

Who: everyone of the organization sees its clauses and may insert them into the drafts they may edit; its staff
(and its administrators) create, edit, archive and restore them. Nobody sees another organization's clauses
(404). A clause may be limited to the laws it fits (slugs of foia/laws/*.toml; none means every law) and is
offered only on drafts under one of them. Each insertion into a draft counts one use. Clause text is plain
text: the letter templates print it escaped, in the sandbox, like any other typed text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from foia.core.access import can_edit
from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.deadlines import law_slugs, load_law
from foia.models import Clause, Request, User

MAX_TITLE = 200
MAX_BODY = 5000
#: The boxes of a letter draft a clause can go into, as the letter form names them.
TARGETS = {"intro": "Opening paragraph", "closing": "Closing paragraph", "appeal_grounds": "Grounds for the appeal"}


def can_manage_clauses(user: User | None) -> bool:
    """Create, edit, archive: staff (and administrators) of the organization, for its own clauses."""
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.role in ("staff", "admin")


def law_names() -> dict[str, str]:
    return {slug: f"{load_law(slug).name} ({load_law(slug).jurisdiction})" for slug in law_slugs()}


def clauses_of(session: Session, organization_id: int, *, archived: bool = False) -> list[Clause]:
    return list(session.scalars(select(Clause).where(Clause.organization_id == organization_id,
                                                     (Clause.archived_at.is_not(None) if archived
                                                      else Clause.archived_at.is_(None)))
                                .order_by(Clause.title, Clause.id)))


def clause_for(session: Session, user: User, clause_id: int) -> Clause | None:
    """The clause if it belongs to the person's organization; None either way otherwise."""
    clause = session.get(Clause, clause_id)
    if clause is None or clause.organization_id != user.organization_id:
        return None
    return clause


def clauses_for_letter(session: Session, user: User, req: Request) -> list[Clause]:
    """The clauses offered on a draft of `req`: the person's organization's live clauses that fit the request's
    law, only for someone who may edit the request and belongs to its organization."""
    if user.organization_id != req.organization_id or not can_edit(user, req):
        return []
    return [c for c in clauses_of(session, req.organization_id) if c.fits(req.law)]


def _clean(title: str, body: str, laws: list[str]) -> tuple[str, str, list[str]]:
    title = " ".join((title or "").split())
    body = (body or "").replace("\r\n", "\n").strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Give the clause a short title, e.g. “Fee waiver: news media”."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Keep the title under {MAX_TITLE} characters (it has {len(title)})."
    if not body:
        errors["body"] = "Write the paragraph to insert into letters."
    elif len(body) > MAX_BODY:
        errors["body"] = f"Keep the paragraph under {MAX_BODY:,} characters (it has {len(body):,})."
    known = set(law_slugs())
    chosen = sorted({slug for slug in laws if slug})
    unknown = [slug for slug in chosen if slug not in known]
    if unknown:
        errors["laws"] = "Unknown law: " + ", ".join(unknown[:5]) + ". Choose from the list."
    if errors:
        raise ValidationError(errors)
    return title, body, chosen


def _refuse_unless_manager(actor: User) -> None:
    if not can_manage_clauses(actor):
        raise ValidationError({"clause": "Only staff of the organization can change its clause library."})


def create_clause(session: Session, *, actor: User, now: datetime, title: str, body: str,
                  laws: list[str]) -> Clause:
    _refuse_unless_manager(actor)
    title, body, chosen = _clean(title, body, laws)
    clause = Clause(organization_id=actor.organization_id, title=title, body=body, laws=chosen, usage_count=0,
                    created_at=now, created_by_id=actor.id, updated_at=now)
    session.add(clause)
    session.flush()
    audit(session, actor=actor, now=now, action="create", entity=clause,
          after={"title": title, "body": body, "laws": chosen})
    return clause


def update_clause(session: Session, *, actor: User, now: datetime, clause: Clause, title: str, body: str,
                  laws: list[str]) -> Clause:
    _refuse_unless_manager(actor)
    if clause.organization_id != actor.organization_id:
        raise ValidationError({"clause": "That clause belongs to another organization."})
    title, body, chosen = _clean(title, body, laws)
    before = {"title": clause.title, "body": clause.body, "laws": list(clause.laws or [])}
    after = {"title": title, "body": body, "laws": chosen}
    if before == after:
        return clause
    clause.title, clause.body, clause.laws, clause.updated_at = title, body, chosen, now
    audit(session, actor=actor, now=now, action="update", entity=clause, before=before, after=after)
    session.flush()
    return clause


def set_archived(session: Session, *, actor: User, now: datetime, clause: Clause, archived: bool) -> Clause:
    """Archive (no longer offered on drafts; kept with its count) or restore a clause."""
    _refuse_unless_manager(actor)
    if clause.organization_id != actor.organization_id:
        raise ValidationError({"clause": "That clause belongs to another organization."})
    if archived == (clause.archived_at is not None):
        raise ValidationError({"clause": "That clause is already archived." if archived
                               else "That clause is not archived."})
    before = {"archived_at": clause.archived_at.isoformat() if clause.archived_at else None}
    clause.archived_at, clause.archived_by_id = (now, actor.id) if archived else (None, None)
    clause.updated_at = now
    audit(session, actor=actor, now=now, action="archive" if archived else "restore", entity=clause,
          before=before, after={"archived_at": now.isoformat() if archived else None})
    session.flush()
    return clause


def insert_clause(session: Session, *, actor: User, now: datetime, req: Request, clause_id: Any, into: str,
                  custom: dict[str, str], kind: str) -> tuple[dict[str, str], Clause]:
    """`custom` (the draft's typed boxes) with the clause's text appended to box `into`, and the clause, whose
    use is counted (an atomic increment; the caller saves the draft in the same transaction)."""
    try:
        cid = int(clause_id)
    except (TypeError, ValueError):
        raise ValidationError({"clause": "Choose a clause to insert."}) from None
    clause = clause_for(session, actor, cid)
    if clause is None or clause.archived_at is not None or clause not in clauses_for_letter(session, actor, req):
        raise ValidationError({"clause": "That clause is not available for this letter (it may be archived or "
                                         "limited to other laws)."})
    if into not in TARGETS or (into == "appeal_grounds" and kind != "appeal"):
        raise ValidationError({"clause": "Choose where the clause goes: the opening or the closing paragraph."})
    out = dict(custom)
    current = (out.get(into) or "").rstrip()
    out[into] = f"{current}\n\n{clause.body}" if current else clause.body
    session.execute(update(Clause).where(Clause.id == clause.id)
                    .values(usage_count=Clause.usage_count + 1, last_used_at=now)
                    .execution_options(synchronize_session=False))
    audit(session, actor=actor, now=now, action="use", entity=clause, request_id=req.id,
          after={"request": req.ref, "into": into, "title": clause.title})
    session.expire(clause, ["usage_count", "last_used_at"])
    return out, clause
