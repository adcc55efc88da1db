"""Who may see and change what. The one place these rules live.

- admin: every request.
- staff: every request of their organization.
- reporter: their own requests, and their organization's requests shared with it
  (visibility "organization" or "public").
- everyone signed in: every request whose visibility is "public".
"""

from __future__ import annotations

from sqlalchemy import and_, false, or_, true
from sqlalchemy.sql.elements import ColumnElement

from .models import Request, User


def visible_clause(user: User) -> ColumnElement[bool]:
    """A WHERE clause selecting the requests `user` may read."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    if user.role == "admin":
        return true()
    public = Request.visibility == "public"
    if user.role == "staff":
        return or_(Request.organization_id == user.organization_id, public)
    return or_(
        Request.requester_id == user.id,
        and_(Request.organization_id == user.organization_id, Request.visibility == "organization"),
        public,
    )


def can_view(user: User, req: Request) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role == "admin" or req.visibility == "public":
        return True
    if user.role == "staff":
        return req.organization_id == user.organization_id
    return req.requester_id == user.id or (
        req.organization_id == user.organization_id and req.visibility == "organization"
    )


def can_edit(user: User, req: Request) -> bool:
    """Change a request: its requester, staff of its organization, or an admin."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role == "admin":
        return True
    if user.role == "staff":
        return req.organization_id == user.organization_id
    return req.requester_id == user.id


def can_manage_agencies(user: User) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.role in ("admin", "staff")
