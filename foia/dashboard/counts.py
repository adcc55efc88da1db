"""Requests by status from the maintained counts (table request_counts, kept in step by the triggers
of migration 0022_maintained_counts), so counting what a viewer may see sums a few rows instead of
reading every visible request.

The rows are keyed by (organization, requester, visibility, status) and hold live requests only
(a deleted draft is never counted), so each viewer's rule of foia.core.access.visible_clause is a
WHERE over those keys: `visible_counts_clause` must stay its mirror image (tests/dashboard check it).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, insert, select, text, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from foia.core.access import visibility_rule
from foia.models import CLOSED_STATUSES, DeadlineCount, Request, RequestClock, RequestCount, User

KEY = (RequestCount.organization_id, RequestCount.requester_id, RequestCount.visibility, RequestCount.status)


def visible_counts_clause(user: User, table: type[RequestCount] | type[DeadlineCount] = RequestCount) -> ColumnElement[bool]:
    """The rows of request_counts (or deadline_counts) that count requests `user` may read
    (foia.core.access.visibility_rule; deleted drafts are never counted)."""
    return visibility_rule(user, organization_id=table.organization_id, requester_id=table.requester_id,
                           visibility=table.visibility)


def deadlines_by_day(session: Session, user: User, first: date, last: date) -> dict[date, int]:
    """Open deadlines `user` may see per day from `first` to `last` (days with none left out)."""
    total = func.sum(DeadlineCount.n)
    rows = session.execute(select(DeadlineCount.due, total)
                           .where(DeadlineCount.due >= first, DeadlineCount.due <= last,
                                  visible_counts_clause(user, DeadlineCount))
                           .group_by(DeadlineCount.due).having(total > 0))
    return {due: int(n) for due, n in rows}


def _by_status(session: Session, where: ColumnElement[bool]) -> dict[str, int]:
    total = func.sum(RequestCount.n)
    rows = session.execute(select(RequestCount.status, total).where(where)
                           .group_by(RequestCount.status).having(total > 0))
    return {status: int(n) for status, n in rows}


def counts_by_status(session: Session, user: User) -> dict[str, int]:
    """Live requests `user` may see, by status (statuses with none are left out)."""
    return _by_status(session, visible_counts_clause(user))


def all_counts(session: Session) -> dict[str, int]:
    """Every live request by status (for /metrics)."""
    return _by_status(session, true())


def fresh_counts(session: Session) -> dict[tuple[int, int, str, str], int]:
    """The counts as a COUNT(*) over requests gives them now (the rebuild and the consistency tests)."""
    cols = (Request.organization_id, Request.requester_id, Request.visibility, Request.status)
    return {(o, r, v, s): int(n) for o, r, v, s, n in session.execute(
        select(*cols, func.count()).where(Request.deleted_at.is_(None)).group_by(*cols))}


def maintained_counts(session: Session) -> dict[tuple[int, int, str, str], int]:
    """The maintained rows with a non-zero count."""
    return {(o, r, v, s): int(n) for o, r, v, s, n in session.execute(select(*KEY, RequestCount.n).where(RequestCount.n != 0))}


def deadlines_before(session: Session, user: User, day: date) -> int:
    """Open deadlines `user` may see that fell due before `day` (the overdue total)."""
    return int(session.scalar(select(func.coalesce(func.sum(DeadlineCount.n), 0))
                              .where(DeadlineCount.due < day, visible_counts_clause(user, DeadlineCount))) or 0)


def fresh_deadline_counts(session: Session) -> dict[tuple[date | None, int, int, str], int]:
    """Open deadlines counted from request_clocks and requests now."""
    cols = (RequestClock.due, Request.organization_id, Request.requester_id, Request.visibility)
    return {(d, o, r, v): int(n) for d, o, r, v, n in session.execute(
        select(*cols, func.count()).join(Request, Request.id == RequestClock.request_id)
        .where(RequestClock.status == "open", RequestClock.due.is_not(None), Request.deleted_at.is_(None),
               Request.status.not_in(CLOSED_STATUSES)).group_by(*cols))}


def maintained_deadline_counts(session: Session) -> dict[tuple[date, int, int, str], int]:
    cols = (DeadlineCount.due, DeadlineCount.organization_id, DeadlineCount.requester_id, DeadlineCount.visibility)
    return {(d, o, r, v): int(n) for d, o, r, v, n in session.execute(select(*cols, DeadlineCount.n)
                                                                     .where(DeadlineCount.n != 0))}


def rebuild_counts(session: Session) -> int:
    """Recount request_counts and deadline_counts from the requests and their clocks (after a restore or
    a manual fix in SQL); returns the number of rows. On PostgreSQL requests and clocks are locked against
    writes meanwhile (reads go on), so no change falls between the recount and the rows it replaces.
    The caller commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE requests, request_clocks IN SHARE ROW EXCLUSIVE MODE"))
    session.execute(delete(RequestCount))
    session.execute(delete(DeadlineCount))
    rows = [dict(organization_id=o, requester_id=r, visibility=v, status=s, n=n)
            for (o, r, v, s), n in fresh_counts(session).items()]
    if rows:
        session.execute(insert(RequestCount), rows)
    days = [dict(due=d, organization_id=o, requester_id=r, visibility=v, n=n)
            for (d, o, r, v), n in fresh_deadline_counts(session).items()]
    if days:
        session.execute(insert(DeadlineCount), days)
    return len(rows) + len(days)
