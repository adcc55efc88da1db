"""Read-side queries shared by the web pages and the CLI: visibility applied, keyset pagination,
no N+1 (related rows are loaded in the same query)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, joinedload

from foia.core.access import can_edit, visible_clause
from foia.core.db import parse_id
from foia.models import Agency, Event, Request, User


@dataclass(frozen=True)
class Cursor:
    """Position after the last row shown: (next_due or None, id). Encoded as 'YYYY-MM-DD.ID' or '-.ID'."""

    due: date | None
    id: int

    def encode(self) -> str:
        return f"{self.due.isoformat() if self.due else '-'}.{self.id}"

    @classmethod
    def decode(cls, raw: str | None) -> Cursor | None:
        if not raw:
            return None
        try:
            due_s, id_s = raw.split(".", 1)
            row_id = parse_id(id_s)  # an id no row can have is no position at all
            return None if row_id is None else cls(None if due_s == "-" else date.fromisoformat(due_s), row_id)
        except ValueError:
            return None


def list_requests(session: Session, user: User, *, status: str | None = None, agency_slug: str | None = None,
                  after: Cursor | None = None, limit: int = 50) -> tuple[list[Request], Cursor | None]:
    """Requests `user` may see, soonest next deadline first (undated last), then by id.

    Two cheap steps instead of one big sort: first the page's ids — dated rows in (next_due, id) order
    straight off the index, then, if the page is not full, undated rows by id — and only then the rows
    themselves with their agency and requester in one query. With 100k requests the database never
    sorts (or joins) every visible row to show fifty."""
    filters = [visible_clause(user)]
    if status:
        filters.append(Request.status == status)
    if agency_slug:
        agency_id = session.scalar(select(Agency.id).where(Agency.slug == agency_slug))
        filters.append(Request.agency_id == (agency_id if agency_id is not None else -1))
    want = limit + 1
    keys: list[tuple[date | None, int]] = []
    if after is None or after.due is not None:
        dated = select(Request.next_due, Request.id).where(Request.next_due.is_not(None), *filters)
        if after is not None:
            dated = dated.where(or_(Request.next_due > after.due,
                                    and_(Request.next_due == after.due, Request.id > after.id)))
        keys.extend(session.execute(dated.order_by(Request.next_due, Request.id).limit(want)).all())
    if len(keys) < want:
        undated = select(Request.next_due, Request.id).where(Request.next_due.is_(None), *filters)
        if after is not None and after.due is None:
            undated = undated.where(Request.id > after.id)
        keys.extend(session.execute(undated.order_by(Request.id).limit(want - len(keys))).all())
    more = len(keys) > limit
    keys = keys[:limit]
    if not keys:
        return [], None
    loaded = {r.id: r for r in session.scalars(
        select(Request).options(joinedload(Request.agency), joinedload(Request.requester))
        .where(Request.id.in_([k[1] for k in keys]))).unique()}
    rows = [loaded[k[1]] for k in keys if k[1] in loaded]
    cursor = Cursor(keys[-1][0], keys[-1][1]) if more else None
    return rows, cursor


def request_events(session: Session, req: Request) -> list[Event]:
    return list(session.scalars(
        select(Event).options(joinedload(Event.actor)).where(Event.request_id == req.id)
        .order_by(Event.occurred_on, Event.id)
    ))


def find_editable_requests(session: Session, user: User, text: str, *, limit: int = 20) -> list[Request]:
    """Requests `user` may change whose reference, title or tracking number contains `text` (for picking
    where a message belongs). Visibility is applied in SQL; the edit rule on the few rows found."""
    text = " ".join((text or "").split())[:100]
    if not text:
        return []
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = session.scalars(
        select(Request).options(joinedload(Request.agency))
        .where(visible_clause(user), or_(Request.ref.ilike(pattern, escape="\\"), Request.title.ilike(pattern, escape="\\"),
                                         Request.tracking_number.ilike(pattern, escape="\\")))
        .order_by(Request.id.desc()).limit(limit * 3))
    return [r for r in rows if can_edit(user, r)][:limit]
