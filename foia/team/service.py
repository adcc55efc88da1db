"""Assignee, tags and saved list views. Every function takes the session, the actor and `now`; every change
writes an audit row; nothing is committed here (the caller commits once, or rolls back on ValidationError).

Who sees a request's assignee and tags: the people of its organization who may see it, admins of other
organizations not included — the rule of internal notes and tasks (`foia.core.access.can_see_internal`): a public request's working labels stay with the
organization that keeps it. Who changes them: whoever may edit the request (`foia.core.access.can_edit`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from foia.core.access import can_edit, can_view
from foia.core.audit import audit
from foia.core.errors import ValidationError
from foia.models import Request, RequestTag, SavedView, Tag, User
from foia.requests.notes import can_see_notes

MAX_TAG = 60
MAX_VIEW_NAME = 80
#: The list's query-string keys a saved view keeps (foia.requests.queries.ListQuery.from_args reads them).
VIEW_KEYS = ("q", "status", "agency", "scope", "assignee", "tag", "sort", "dir", "per_page")

can_see_team = can_see_notes


def _require_edit(actor: User, req: Request) -> None:
    if not can_edit(actor, req):
        raise ValidationError({"request": f"You cannot change {req.ref}."})


# ---------------------------------------------------------------------------- assignee

def check_assignee(req: Request, user: User) -> None:
    """May `user` own `req`: an active member of its organization who can see it."""
    if user.organization_id != req.organization_id or not user.active:
        raise ValidationError({"assignee": f"{user.name} is not in {req.organization.name}, which keeps {req.ref}: "
                                           "only its people can be assigned."})
    if not can_view(user, req):
        raise ValidationError({"assignee": f"{user.name} cannot see {req.ref}; share it with the organization first."})


def assign(session: Session, *, actor: User, now: datetime, req: Request, assignee: User | None) -> bool:
    """Make `assignee` (None: nobody) own the request. Returns whether anything changed."""
    _require_edit(actor, req)
    if assignee is not None:
        check_assignee(req, assignee)
    new_id = assignee.id if assignee is not None else None
    if req.assignee_id == new_id:
        return False
    before = req.assignee.email if req.assignee is not None else None
    req.assignee_id = new_id
    req.assignee = assignee
    req.updated_at = now
    audit(session, actor=actor, now=now, action="assign", entity=req, before={"assignee": before},
          after={"assignee": assignee.email if assignee is not None else None})
    return True


def assignable_users(session: Session, req: Request) -> list[User]:
    """Who may own `req`: active people of its organization who can see it."""
    people = session.scalars(select(User).where(User.organization_id == req.organization_id, User.active.is_(True))
                             .order_by(User.name, User.id))
    return [u for u in people if can_view(u, req)]


def organization_members(session: Session, organization_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.organization_id == organization_id, User.active.is_(True))
                                .order_by(User.name, User.id)))


# ---------------------------------------------------------------------------- tags

def clean_tag_name(raw: str | None) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise ValidationError({"tag": "Type a tag, e.g. ICE operations 2025."})
    if len(name) > MAX_TAG:
        raise ValidationError({"tag": f"Keep a tag under {MAX_TAG + 1} characters."})
    return name


def find_tag(session: Session, organization_id: int, name: str) -> Tag | None:
    return session.scalar(select(Tag).where(Tag.organization_id == organization_id, Tag.name_key == name.lower()))


def tag_for(session: Session, *, actor: User, now: datetime, organization_id: int, name: str) -> Tag:
    """The organization's tag with this name (any case), made on first use."""
    tag = find_tag(session, organization_id, name)
    if tag is None:
        tag = Tag(organization_id=organization_id, name=name, name_key=name.lower(), created_at=now,
                  created_by_id=actor.id)
        session.add(tag)
        session.flush()
        audit(session, actor=actor, now=now, action="create", entity=tag, after={"name": name})
    return tag


def add_tag(session: Session, *, actor: User, now: datetime, req: Request, name: str,
            skip_existing: bool = False) -> Tag:
    """Put the tag `name` on the request (its organization's tag, made on first use)."""
    _require_edit(actor, req)
    name = clean_tag_name(name)
    tag = tag_for(session, actor=actor, now=now, organization_id=req.organization_id, name=name)
    existing = session.scalar(select(RequestTag).where(RequestTag.request_id == req.id, RequestTag.tag_id == tag.id))
    if existing is not None:
        if skip_existing:
            return tag
        raise ValidationError({"tag": f"{req.ref} already has the tag \u201c{tag.name}\u201d."})
    session.add(RequestTag(request_id=req.id, tag_id=tag.id, created_at=now))
    session.flush()
    audit(session, actor=actor, now=now, action="tag", entity=req, after={"tag": tag.name})
    return tag


def remove_tag(session: Session, *, actor: User, now: datetime, req: Request, tag_id: int) -> Tag:
    _require_edit(actor, req)
    row = session.scalar(select(RequestTag).where(RequestTag.request_id == req.id, RequestTag.tag_id == tag_id))
    if row is None:
        raise ValidationError({"tag": "This request does not have that tag."})
    tag = row.tag
    session.delete(row)
    session.flush()
    audit(session, actor=actor, now=now, action="untag", entity=req, before={"tag": tag.name})
    return tag


def tags_for(session: Session, req: Request) -> list[Tag]:
    return list(session.scalars(select(Tag).join(RequestTag, RequestTag.tag_id == Tag.id)
                                .where(RequestTag.request_id == req.id).order_by(Tag.name_key)))


def tags_by_request(session: Session, request_ids: Iterable[int]) -> dict[int, list[Tag]]:
    """The tags of a list page's requests, in one query."""
    ids = list(request_ids)
    out: dict[int, list[Tag]] = defaultdict(list)
    if not ids:
        return out
    for rid, tag in session.execute(select(RequestTag.request_id, Tag).join(Tag, Tag.id == RequestTag.tag_id)
                                    .where(RequestTag.request_id.in_(ids)).order_by(Tag.name_key)):
        out[rid].append(tag)
    return out


def organization_tags(session: Session, organization_id: int) -> list[Tag]:
    return list(session.scalars(select(Tag).where(Tag.organization_id == organization_id).order_by(Tag.name_key)))


# ---------------------------------------------------------------------------- saved views

def view_query(args: Mapping[str, str]) -> str:
    """The list filters of a query string, as a saved view keeps them (page and cursor dropped)."""
    pairs = [(k, " ".join(str(args.get(k) or "").split())[:200]) for k in VIEW_KEYS]
    return urlencode([(k, v) for k, v in pairs if v])


def save_view(session: Session, *, actor: User, now: datetime, name: str, args: Mapping[str, str],
              shared: bool = False) -> SavedView:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Name the view, e.g. My ICE requests."})
    if len(name) > MAX_VIEW_NAME:
        raise ValidationError({"name": f"Keep the name under {MAX_VIEW_NAME + 1} characters."})
    query = view_query(args)
    if not query:
        raise ValidationError({"name": "Filter the list first: this view would show the whole list."})
    if len(query) > 1000:
        raise ValidationError({"name": "These filters are too long to save."})
    taken = session.scalar(select(SavedView.id).where(SavedView.user_id == actor.id,
                                                      func.lower(SavedView.name) == name.lower()))
    if taken is not None:
        raise ValidationError({"name": f"You already have a view named \u201c{name}\u201d."})
    view = SavedView(user_id=actor.id, organization_id=actor.organization_id, name=name, query=query,
                     shared=bool(shared), created_at=now)
    session.add(view)
    session.flush()
    audit(session, actor=actor, now=now, action="create", entity=view,
          after={"name": name, "query": query, "shared": bool(shared)})
    return view


def delete_view(session: Session, *, actor: User, now: datetime, view: SavedView) -> None:
    """Only its owner (or an admin) deletes a view."""
    if view.user_id != actor.id and actor.role != "admin":
        raise ValidationError({"view": "Only the person who saved this view can delete it."})
    audit(session, actor=actor, now=now, action="delete", entity=view,
          before={"name": view.name, "query": view.query, "shared": view.shared})
    session.delete(view)
    session.flush()


def visible_views(session: Session, user: User) -> list[SavedView]:
    """The person's own views and those their organization's people shared."""
    return list(session.scalars(select(SavedView).where(or_(
        SavedView.user_id == user.id,
        (SavedView.organization_id == user.organization_id) & SavedView.shared.is_(True)))
        .order_by(func.lower(SavedView.name), SavedView.id)))
