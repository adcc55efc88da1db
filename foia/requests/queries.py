"""Read-side queries shared by the web pages and the CLI: visibility applied, keyset pagination,
no N+1 (related rows are loaded in the same query)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, literal_column, or_, select, table
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, joinedload

from foia.core.access import can_edit, visible_clause
from foia.core.db import parse_id
from foia.models import STATUSES, Agency, Event, Request, RequestClock, RequestTag, Tag, User


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
                  after: Cursor | None = None, limit: int = 50,
                  filters: list | None = None) -> tuple[list[Request], Cursor | None]:
    """Requests `user` may see, soonest next deadline first (undated last), then by id.

    Two cheap steps instead of one big sort: first the page's ids — dated rows in (next_due, id) order
    straight off the index, then, if the page is not full, undated rows by id — and only then the rows
    themselves with their agency and requester in one query. With 100k requests the database never
    sorts (or joins) every visible row to show fifty. `filters` (from `list_filters`) replaces the
    status and agency arguments; it must include the visibility clause."""
    if filters is None:
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
        select(Request).options(joinedload(Request.agency), joinedload(Request.requester),
                                joinedload(Request.assignee))
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
    rows = session.scalars(
        select(Request).options(joinedload(Request.agency))
        .where(visible_clause(user), contains_text(session, text))
        .order_by(Request.id.desc()).limit(limit * 3))
    return [r for r in rows if can_edit(user, r)][:limit]


# ---------------------------------------------------------------- the requests list: sort, filter, count, pages

#: Columns a person can sort the list by (query string `sort`), each with its SQL order. Every order ends
#: with the id, so pages never overlap or skip rows with equal keys.
SORTS: dict[str, str] = {
    "due": "Next deadline",
    "ref": "Reference",
    "title": "Title",
    "agency": "Agency",
    "status": "Status",
    "tracking": "Agency tracking number",
    "updated": "Last updated",
}
DEFAULT_SORT = "due"
#: Who the list is about (query string `scope`); every scope is inside `visible_clause`.
SCOPES: dict[str, str] = {
    "all": "Everything I can see",
    "org": "My organization",
    "mine": "Mine",
}
#: Offsets are bounded: past this many rows the list asks for a filter instead of making the database
#: walk and throw away an ever longer prefix (and the total is counted up to this bound, no further).
MAX_ROWS = 10_000
#: Sorts no index serves: allowed while the filtered list has at most MAX_ROWS rows. None today: reference,
#: next deadline, status and agency walk an index (see browse_requests); title (lower(title), id), agency
#: tracking number and last update have theirs since migration 0021.
UNINDEXED_SORTS: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ListQuery:
    """What the list shows, from the query string; unknown values fall back to the defaults."""

    sort: str = DEFAULT_SORT
    desc: bool = False
    q: str = ""
    status: str | None = None
    agency_slug: str | None = None
    scope: str = "all"
    page: int = 1
    #: Who owns the requests (issue 19): "" anyone, "me", "none" (unassigned) or a person's id.
    assignee: str = ""
    #: A tag's id ("" any tag).
    tag: str = ""

    @property
    def is_default_order(self) -> bool:
        return self.sort == DEFAULT_SORT and not self.desc

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ListQuery:
        """The list's query string (`q`, `status`, `agency`, `scope`, `assignee`, `tag`, `sort`, `dir`, `page`) as
        the list and its downloads read it: unknown values fall back to the defaults, the text is trimmed to 100
        characters."""
        status = args.get("status") or None
        assignee = (args.get("assignee") or "").strip()
        if assignee not in ("me", "none") and parse_id(assignee) is None:
            assignee = ""
        tag = (args.get("tag") or "").strip()
        sort = args.get("sort", "")
        scope = args.get("scope", "")
        page = args.get("page", "1")
        return cls(sort=sort if sort in SORTS else DEFAULT_SORT, desc=args.get("dir") == "desc",
                   q=" ".join((args.get("q") or "").split())[:100],
                   status=status if status in STATUSES else None,
                   agency_slug=(args.get("agency") or "").strip() or None,
                   scope=scope if scope in SCOPES else "all",
                   page=int(page) if page.isdigit() and len(page) < 7 else 1,
                   assignee=assignee, tag=tag if parse_id(tag) is not None else "")


@dataclass
class RequestPage:
    rows: list[Request]
    total: int              # matching rows, counted up to MAX_ROWS + 1
    page: int
    per_page: int
    cursor: Cursor | None   # keyset position after this page (default order only)
    sort_refused: bool = False  # an unindexed sort asked of more than MAX_ROWS rows: shown in deadline order

    @property
    def total_capped(self) -> bool:
        return self.total > MAX_ROWS

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, MAX_ROWS) // self.per_page))

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.rows)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


#: The shortest text the trigram index (SQLite's `requests_text`, PostgreSQL's pg_trgm indexes) can look up.
TRIGRAM = 3


def contains_text(session: Session, text: str):
    """The requests whose title, reference or agency tracking number contains `text`, ignoring case (the list's
    text filter; `_` and `%` are characters, not wildcards). PostgreSQL answers ILIKE from its pg_trgm indexes (0021).
    SQLite answers from the FTS5 trigram table `requests_text` (0031): a quoted phrase of trigrams matches exactly
    the rows containing the text, where ILIKE scanned every visible request; text shorter than a trigram scans."""
    if len(text) >= TRIGRAM and session.get_bind().dialect.name == "sqlite":
        phrase = '"' + text.replace('"', '""') + '"'
        return Request.id.in_(select(literal_column("rowid")).select_from(table("requests_text"))
                              .where(sql_text("requests_text MATCH :contains").bindparams(contains=phrase)))
    pattern = _like(text)
    return or_(Request.title.ilike(pattern, escape="\\"), Request.ref.ilike(pattern, escape="\\"),
               Request.tracking_number.ilike(pattern, escape="\\"))


def _status_order():
    from sqlalchemy import case

    return case({key: n for n, key in enumerate(STATUSES)}, value=Request.status, else_=len(STATUSES))


def _order(sort: str, desc: bool) -> list:

    def d(col):
        return col.desc() if desc else col.asc()

    if sort == "ref":
        return [d(Request.ref_year), d(Request.ref_seq), d(Request.id)]
    if sort == "title":  # case-insensitive, the same on SQLite and PostgreSQL whatever the collation
        return [d(func.lower(Request.title)), d(Request.id)]
    # Status and agency: the order `_grouped` reads the list's pages in (group, then next deadline and id, with
    # the database's own place for undated rows), so a download of the whole list has the pages' order.
    if sort == "agency":  # the agency's name, looked up per row by primary key (a join let SQLite plan badly)
        name = select(func.lower(Agency.name)).where(Agency.id == Request.agency_id).scalar_subquery()
        return [d(name), d(Request.agency_id), d(Request.next_due), d(Request.id)]
    if sort == "status":
        return [d(_status_order()), d(Request.next_due), d(Request.id)]
    if sort == "tracking":
        # Requests the agency has not numbered yet come last either way.
        # A literal '' (not a bound parameter), so the expression is the one the index 0021 made holds.
        return [(Request.tracking_number == literal_column("''")).asc(), d(Request.tracking_number), d(Request.id)]
    if sort == "updated":
        return [d(Request.updated_at), d(Request.id)]
    # next deadline: undated last either way
    return [Request.next_due.is_(None).asc(), d(Request.next_due), d(Request.id)]


def list_order(lq: ListQuery) -> list:
    """ORDER BY clauses giving the whole list in the order its pages show it, ending with the id (for a
    download of the whole list: one query, whatever its length)."""
    return _order(lq.sort, lq.desc)


def _grouped(session: Session, filters: list, column, groups: list, *, desc: bool, offset: int,
             limit: int) -> list[int]:
    """A page of ids ordered by `column` in the order of `groups` (statuses in workflow order, agencies by
    name), then by next deadline and id, walking one group at a time on the (column, next_due, id) index:
    each group is counted (bounded by what the page still needs) to skip it or read the page from it."""
    def d(col):
        return col.desc() if desc else col.asc()

    out: list[int] = []
    skip = offset
    for value in (reversed(groups) if desc else groups):
        need = skip + limit - len(out)
        n = session.scalar(select(func.count()).select_from(
            select(Request.id).where(column == value, *filters).limit(need).subquery())) or 0
        if n <= skip:
            skip -= n
            continue
        out.extend(session.scalars(select(Request.id).where(column == value, *filters)
                                   .order_by(d(Request.next_due), d(Request.id)).offset(skip).limit(limit - len(out))))
        skip = 0
        if len(out) >= limit:
            break
    return out


def _by_deadline(session: Session, filters: list, *, desc: bool, offset: int, limit: int) -> list[int]:
    """A page of ids by next deadline (undated last either way) at an offset, in two index-ordered steps
    like `list_requests`: dated rows off the (next_due, id) index, then undated rows by id. One ORDER BY
    with "undated last" would sort every visible row instead."""
    def d(col):
        return col.desc() if desc else col.asc()

    dated = list(session.scalars(select(Request.id).where(Request.next_due.is_not(None), *filters)
                                 .order_by(d(Request.next_due), d(Request.id)).offset(offset).limit(limit)))
    if len(dated) == limit:
        return dated
    skip = 0
    if not dated and offset:  # the page starts among the undated rows: skip the dated ones (bounded count)
        n_dated = session.scalar(select(func.count()).select_from(
            select(Request.id).where(Request.next_due.is_not(None), *filters).limit(offset).subquery())) or 0
        skip = offset - n_dated
    undated = session.scalars(select(Request.id).where(Request.next_due.is_(None), *filters)
                              .order_by(d(Request.id)).offset(skip).limit(limit - len(dated)))
    return dated + list(undated)


def list_filters(session: Session, user: User, lq: ListQuery) -> list:
    """WHERE clauses for the list: visibility first (a scope only narrows it, never widens)."""
    filters = [visible_clause(user)]
    if lq.scope == "mine":
        filters.append(Request.requester_id == user.id)
    elif lq.scope == "org":
        filters.append(Request.organization_id == user.organization_id)
    if lq.status:
        filters.append(Request.status == lq.status)
    # Assignees and tags are an organization's internal work (`core.access.can_see_internal`): filtering by them
    # keeps to the person's own organization, admins included (another organization's public requests do not
    # tell who owns them or how they are labelled).
    if lq.assignee == "me":
        filters.append(Request.assignee_id == user.id)
    elif lq.assignee == "none":
        filters.append(Request.assignee_id.is_(None))
    elif lq.assignee:
        filters.append(Request.assignee_id == int(lq.assignee))
    if lq.assignee:
        filters.append(Request.organization_id == user.organization_id)
    if lq.tag:
        tagged = select(RequestTag.request_id).join(Tag, Tag.id == RequestTag.tag_id).where(Tag.id == int(lq.tag))
        tagged = tagged.where(Tag.organization_id == user.organization_id)
        filters.append(Request.id.in_(tagged))
    if lq.agency_slug:
        agency_id = session.scalar(select(Agency.id).where(Agency.slug == lq.agency_slug))
        filters.append(Request.agency_id == (agency_id if agency_id is not None else -1))
    q = " ".join(lq.q.split())[:100]
    if q:
        filters.append(contains_text(session, q))
    return filters


def browse_requests(session: Session, user: User, lq: ListQuery, *, per_page: int = 50,
                    after: Cursor | None = None) -> RequestPage:
    """One page of the requests list with its total.

    The default order (soonest deadline first) keeps its keyset cursor: "Next" carries `after`, and
    the database reads the next fifty rows straight off the (next_due, id) index however deep the page.
    Other orders, page numbers and "Previous" use an offset, bounded by MAX_ROWS. The total is counted
    up to MAX_ROWS + 1 (a bounded subquery), so counting never walks a million rows."""
    filters = list_filters(session, user, lq)
    total = session.scalar(select(func.count()).select_from(
        select(Request.id).where(*filters).limit(MAX_ROWS + 1).subquery())) or 0
    page = max(1, lq.page)
    max_page = max(1, -(-min(total, MAX_ROWS) // per_page))
    page = min(page, max_page)
    if lq.is_default_order and (after is not None or page == 1):
        rows, cursor = list_requests(session, user, after=after, limit=per_page, filters=filters)
        return RequestPage(rows, total, page, per_page, cursor)
    offset = (page - 1) * per_page
    sort_refused = False
    if lq.sort == "due":
        ids = _by_deadline(session, filters, desc=lq.desc, offset=offset, limit=per_page)
    elif lq.sort == "status":
        ids = _grouped(session, filters, Request.status, list(STATUSES), desc=lq.desc, offset=offset, limit=per_page)
    elif lq.sort == "agency":
        names = session.execute(select(Agency.id, Agency.name)).all()
        order = [a for a, _ in sorted(names, key=lambda r: (r[1].lower(), r[0]))]
        ids = _grouped(session, filters, Request.agency_id, order, desc=lq.desc, offset=offset, limit=per_page)
    elif lq.sort in UNINDEXED_SORTS and total > MAX_ROWS:
        # No index orders these columns: sorting more than MAX_ROWS rows would sort the whole table on every
        # page. The page says so and keeps the deadline order until a filter narrows the list.
        lq = ListQuery(q=lq.q, status=lq.status, agency_slug=lq.agency_slug, scope=lq.scope, page=page,
                       assignee=lq.assignee, tag=lq.tag)
        ids = _by_deadline(session, filters, desc=False, offset=offset, limit=per_page)
        sort_refused = True
    else:
        ids = list(session.scalars(select(Request.id).where(*filters).order_by(*_order(lq.sort, lq.desc))
                                   .offset(offset).limit(per_page)))
    loaded = {r.id: r for r in session.scalars(
        select(Request).options(joinedload(Request.agency), joinedload(Request.requester),
                                joinedload(Request.assignee))
        .where(Request.id.in_(ids))).unique()} if ids else {}
    rows = [loaded[i] for i in ids if i in loaded]
    cursor = None
    if lq.is_default_order and rows and page * per_page < min(total, MAX_ROWS):
        cursor = Cursor(rows[-1].next_due, rows[-1].id)
    return RequestPage(rows, total, page, per_page, cursor, sort_refused)


def open_appeal_windows(session: Session, request_ids: list[int]) -> dict[int, date]:
    """For the requests on a list page: the last day to appeal, where an appeal window is open. A later interim
    release moves the status to "Partially released", but the window opened by a partial denial stays open, and
    the list says so beside the status."""
    if not request_ids:
        return {}
    rows = session.execute(select(RequestClock.request_id, RequestClock.due).where(
        RequestClock.request_id.in_(request_ids), RequestClock.kind == "appeal_filing",
        RequestClock.status == "open", RequestClock.due.is_not(None)))
    return {rid: due for rid, due in rows.tuples() if due is not None}
