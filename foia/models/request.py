from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foia.extensions import Model
from foia.models.agency import Agency
from foia.models.types import UTCDateTime
from foia.models.user import Organization, User

# Status of a request, in the order a request usually moves through them.
STATUSES: dict[str, str] = {
    "draft": "Draft",
    "submitted": "Submitted",
    "acknowledged": "Acknowledged",
    "processing": "Processing",
    "awaiting_requester": "Waiting on requester",
    "partially_released": "Partially released",
    "released": "Records released",
    "partially_denied": "Partially denied",
    "denied": "Denied",
    "no_records": "No records",
    "appealing": "Under appeal",
    # In court (foia.fees.litigation): follow-up reminders stop (foia.reminders.planner); the request stays open.
    "in_litigation": "In litigation",
    "withdrawn": "Withdrawn",
    "closed": "Closed",
}
# "no_records" is not closed: it is an adverse determination the requester can appeal, so its
# appeal clock, reminders and feeds keep running (like "denied").
CLOSED_STATUSES = frozenset({"released", "withdrawn", "closed"})
# Open statuses that get no follow-up reminders or digest lines: a request in court is followed through its
# litigation ledger (foia.fees.litigation), not by reminders to chase the agency.
QUIET_STATUSES = frozenset({"in_litigation"})

# Federal FOIA fee categories (5 U.S.C. 552(a)(4)(A)(ii)); state laws use "other".
FEE_CATEGORIES: dict[str, str] = {
    "news_media": "Representative of the news media",
    "educational": "Educational or noncommercial scientific institution",
    "commercial": "Commercial use",
    "other": "All other requesters",
}
#: Open requests with no clock row have neither date (both are set only from clocks): ix_requests_undated's rows.
UNDATED = "next_due IS NULL AND response_due IS NULL"
VISIBILITIES: dict[str, str] = {
    "private": "Private (me and my organization's staff)",
    "organization": "My organization",
    "public": "Public (every signed-in user)",
}


class Request(Model):
    __tablename__ = "requests"
    __table_args__ = (
        UniqueConstraint("ref_year", "ref_seq", name="uq_requests_ref_year_seq"),
        # List pages filter by who may see a request and by status or agency, then sort by
        # the next deadline (keyset on next_due, id). One index per filter keeps those cheap.
        Index("ix_requests_next_due_id", "next_due", "id"),
        Index("ix_requests_org_external_id", "organization_id", "external_id"),
        Index("ix_requests_org_next_due", "organization_id", "next_due", "id"),
        Index("ix_requests_requester_next_due", "requester_id", "next_due", "id"),
        Index("ix_requests_status_next_due", "status", "next_due", "id"),
        Index("ix_requests_agency_next_due", "agency_id", "next_due", "id"),
        Index("ix_requests_visibility_next_due", "visibility", "next_due", "id"),
        # "Assigned to me / to X / unassigned" on the list (issue 19, migration 0027).
        Index("ix_requests_assignee_next_due", "assignee_id", "next_due", "id"),
        # A closure's recompute picks its open requests of the calendar's laws from this index alone (migration 0029).
        Index("ix_requests_law_status", "law", "status", "agency_id", "id"),
        Index("ix_requests_undated", "law", "status", "id", postgresql_where=text(UNDATED), sqlite_where=text(UNDATED)),
        Index("ix_requests_reminders_stale", "id", postgresql_where=text("reminders_stale"),
              sqlite_where=text("reminders_stale")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    ref_year: Mapped[int] = mapped_column(Integer)
    ref_seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    records_sought: Mapped[str] = mapped_column(Text)
    records_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    records_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    law: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30), default="draft")
    fee_category: Mapped[str] = mapped_column(String(20), default="other")
    fee_ceiling: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), nullable=True)
    fee_waiver: Mapped[bool] = mapped_column(Boolean, default=False)
    fee_waiver_justification: Mapped[str] = mapped_column(Text, default="")
    expedited: Mapped[bool] = mapped_column(Boolean, default=False)
    expedited_justification: Mapped[str] = mapped_column(Text, default="")
    preferred_format: Mapped[str] = mapped_column(String(100), default="")
    visibility: Mapped[str] = mapped_column(String(20), default="private")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Cached from the deadline engine; the event ledger is the truth.
    response_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    next_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when a calendar change moved this request's dates and its reminders still follow the old ones;
    # the scheduler's sweep re-plans them (foia.reminders.planner.replan_stale) and clears it.
    reminders_stale: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Set when the request was filed to several agencies at once (models.filing.RequestGroup).
    group_id: Mapped[int | None] = mapped_column(ForeignKey("request_groups.id"), nullable=True, index=True)
    # The secret part of this request's reply address (records+<ref>.<token>@...), made at the first
    # email sent from the app; a reply to an address whose token does not match is not trusted.
    reply_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # A never-sent draft deleted by a person: hidden everywhere (foia.core.access), kept for the audit trail.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The id a request had in the spreadsheet it was imported from (its organization's own key), so a
    #: re-import of the same log finds it instead of creating a duplicate.
    external_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: Who in the request's organization owns the work on it (foia.team.service.assign); None: nobody yet.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    organization: Mapped[Organization] = relationship()
    agency: Mapped[Agency] = relationship()

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    def __repr__(self) -> str:
        return f"<Request {self.ref}>"
