"""Read-side queries shared by the web pages and the CLI: visibility applied, keyset pagination,
no N+1 (related rows are loaded in the same query)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, joinedload

from .access import can_view, visible_clause
from .models import Agency, Event, Request, User


REF_PATTERN = re.compile(r"[A-Z]{2}-\d{4}-\d{4,6}")


@dataclass(frozen=True)
class Cursor:
    """Position after the last row shown: (next_due or None, id). Encoded as 'YYYY-MM-DD.ID' or '-.ID'."""

    due: date | None
    id: int

    def encode(self) -> str:
        return f"{self.due.isoformat() if self.due else '-'}.{self.id}"

    @classmethod
    def decode(cls, raw: str | None) -> "Cursor | None":
        if not raw:
            return None
        try:
            due_s, id_s = raw.split(".", 1)
            return cls(None if due_s == "-" else date.fromisoformat(due_s), int(id_s))
        except ValueError:
            return None


def list_requests(session: Session, user: User, *, status: str | None = None, agency_slug: str | None = None,
                  after: Cursor | None = None, limit: int = 50) -> tuple[list[Request], Cursor | None]:
    """Requests `user` may see, soonest next deadline first (undated last), then by id."""
    stmt = (
        select(Request)
        .options(joinedload(Request.agency), joinedload(Request.requester))
        .where(visible_clause(user))
    )
    if status:
        stmt = stmt.where(Request.status == status)
    if agency_slug:
        agency_id = session.scalar(select(Agency.id).where(Agency.slug == agency_slug))
        stmt = stmt.where(Request.agency_id == (agency_id if agency_id is not None else -1))
    if after is not None:
        if after.due is None:
            stmt = stmt.where(Request.next_due.is_(None), Request.id > after.id)
        else:
            stmt = stmt.where(or_(
                Request.next_due > after.due,
                and_(Request.next_due == after.due, Request.id > after.id),
                Request.next_due.is_(None),
            ))
    stmt = stmt.order_by(Request.next_due.asc().nulls_last(), Request.id.asc()).limit(limit + 1)
    rows = list(session.scalars(stmt).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = Cursor(rows[-1].next_due, rows[-1].id) if more and rows else None
    return rows, cursor


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


def request_events(session: Session, req: Request) -> list[Event]:
    return list(session.scalars(
        select(Event).options(joinedload(Event.actor)).where(Event.request_id == req.id)
        .order_by(Event.occurred_on, Event.id)
    ))
