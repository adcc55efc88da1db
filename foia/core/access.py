"""Who may see and change what. The one place these rules live.

- admin: every request.
- staff: every request of their organization.
- reporter: their own requests, and their organization's requests shared with it
  (visibility "organization" or "public").
- everyone signed in: every request whose visibility is "public".

Also here: who sees which dashboard statistics (`stats_scope`, `scope_clause`), which viewers see
the same request lists (`viewer_key`), the requests a person follows for reminders, digests and
feeds (`followed_clause`), and unmatched mail (`unmatched_clause`, `can_assign`).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.elements import ColumnElement

from foia.models import Request, User, Watcher
from foia.models.communication import SearchEntry, UnmatchedMail

REF_PATTERN = re.compile(r"[A-Z]{2}-\d{4}-\d{4,6}")


def visibility_rule(user: User, *, organization_id: Any, requester_id: Any, visibility: Any) -> ColumnElement[bool]:
    """Who may read a request, on any table that carries (a copy of) its organization, requester and
    visibility columns: the requests themselves, their search entries, the maintained counts. The one place the
    rule is written: admins read everything; staff their organization's requests and public ones; reporters
    their own, those shared with their organization, and public ones."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    if user.role == "admin":
        return true()
    public = visibility == "public"
    if user.role == "staff":
        return or_(organization_id == user.organization_id, public)
    return or_(
        requester_id == user.id,
        and_(organization_id == user.organization_id, visibility == "organization"),
        public,
    )


def visible_clause(user: User) -> ColumnElement[bool]:
    """A WHERE clause selecting the requests `user` may read (never a deleted draft)."""
    return and_(Request.deleted_at.is_(None),
                visibility_rule(user, organization_id=Request.organization_id, requester_id=Request.requester_id,
                                visibility=Request.visibility))


def search_visible_clause(user: User) -> ColumnElement[bool]:
    """`visible_clause` on a search entry's own copies of its request's columns (organization, requester,
    visibility: `SearchEntry`), so search filters without joining requests. Entries of a deleted draft are
    deleted with it (`requests.corrections.delete_draft`)."""
    return visibility_rule(user, organization_id=SearchEntry.organization_id, requester_id=SearchEntry.requester_id,
                           visibility=SearchEntry.visibility)


def can_view(user: User, req: Request) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or req.deleted_at is not None:
        return False
    if user.role == "admin" or req.visibility == "public":
        return True
    if user.role == "staff":
        return req.organization_id == user.organization_id
    return req.requester_id == user.id or (
        req.organization_id == user.organization_id and req.visibility == "organization"
    )


def get_visible_request(session: Session, user: User, ref: str) -> Request | None:
    """The request with this reference if `user` may see it; None either way otherwise,
    so a person cannot tell a hidden request from a missing one."""
    ref = (ref or "").strip().upper()
    if not REF_PATTERN.fullmatch(ref):
        return None
    req = session.scalar(
        select(Request).options(joinedload(Request.agency), joinedload(Request.requester),
                                joinedload(Request.organization))
        .where(Request.ref == ref)
    )
    if req is None or not can_view(user, req):
        return None
    return req


def can_edit(user: User, req: Request) -> bool:
    """Change a request: its requester, staff of its organization, or an admin."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role == "admin":
        return True
    if user.role == "staff":
        return req.organization_id == user.organization_id
    return req.requester_id == user.id


def can_edit_agencies(user: User) -> bool:
    """Add, change and decide suggestions for the shared agency directory: administrators only. Every
    organization's requests, letters and deadlines depend on an agency's row (its short name picks law
    overrides, its time zone the day of receipt, its addresses where letters go), so staff of one
    organization must not change them for all the others."""
    return user is not None and getattr(user, "is_authenticated", False) and user.role == "admin"


def can_suggest_agency_change(user: User) -> bool:
    """Suggest a change or a new agency (nothing changes until an administrator accepts): anyone signed in."""
    return user is not None and getattr(user, "is_authenticated", False) and bool(getattr(user, "active", True))


# ---------------------------------------------------------------------------- lists and statistics

def viewer_key(user: User) -> tuple[Any, ...]:
    """Who sees the same requests: admins all alike, staff per organization, reporters each their own."""
    if user.role == "admin":
        return ("all",)
    if user.role == "staff":
        return ("staff", user.organization_id)
    return ("user", user.id)


def stats_scope(user: User) -> tuple[Any, ...]:
    """Which requests the agency statistics cover, per organization (not per person):
    admins: every request; staff: their organization's and public requests; reporters: the requests
    every member of their organization may see (shared with the organization, or public)."""
    if user.role == "admin":
        return ("all",)
    if user.role == "staff":
        return ("staff", user.organization_id)
    return ("shared", user.organization_id)


def scope_clause(scope: tuple[Any, ...]) -> ColumnElement[bool]:
    """A WHERE clause selecting the requests of a `stats_scope`."""
    kind = scope[0]
    if kind == "all":
        return true()
    public = Request.visibility == "public"
    if kind == "staff":
        return or_(Request.organization_id == scope[1], public)
    return or_(and_(Request.organization_id == scope[1], Request.visibility == "organization"), public)


def followed_clause(user: User) -> ColumnElement[bool]:
    """The requests a person filed or watches (their digest and personal feed) and may still see: a
    watcher who lost access (the request was made private, they left the organization) follows
    nothing there any more."""
    watched = select(Watcher.request_id).where(Watcher.user_id == user.id)
    return and_(or_(Request.requester_id == user.id, Request.id.in_(watched)), visible_clause(user))


def may_follow(user: User, req: Request) -> bool:
    """May `user` get reminders for `req` (the rule of `followed_clause` for one person and request)."""
    return bool(user is not None and user.active and can_view(user, req))


def can_see_internal(user: User | None, req: Request) -> bool:
    """May `user` see the request's internal work (notes, tasks, assignee, tags): they may read it and belong to
    its organization. A public request is readable by everyone, and an admin may read every request; its
    internal work stays with its organization (issue 19: "visible only inside the organization")."""
    if user is None or not can_view(user, req):
        return False
    return user.organization_id == req.organization_id


def internal_clause(user: User) -> ColumnElement[bool]:
    """The requests whose internal work (notes, tasks) `user` may see: those they may read AND that belong to
    their organization, admins included. The SQL form of `can_see_internal`."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    return and_(visible_clause(user), Request.organization_id == user.organization_id)


# ---------------------------------------------------------------------------- unmatched mail

def unmatched_clause(user: User) -> ColumnElement[bool]:
    """The unmatched messages a person may see and assign: admins all; staff their organization's
    and their own imports; others only what they imported themselves."""
    if user.role == "admin":
        return true()
    own = UnmatchedMail.imported_by_id == user.id
    if user.role == "staff":
        return or_(UnmatchedMail.organization_id == user.organization_id, own)
    return own


def can_assign(user: User, row: UnmatchedMail) -> bool:
    """May `user` assign this unmatched message to a request (the rule of `unmatched_clause`)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role == "admin":
        return True
    if user.role == "staff" and row.organization_id == user.organization_id:
        return True
    return row.imported_by_id == user.id
