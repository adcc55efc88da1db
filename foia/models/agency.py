from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foia.core.clock import default_timezone
from foia.extensions import Model
from foia.models.types import UTCDateTime


class Agency(Model):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    department: Mapped[str] = mapped_column(String(200), default="")
    jurisdiction: Mapped[str] = mapped_column(String(100))
    law: Mapped[str] = mapped_column(String(20), index=True)
    foia_email: Mapped[str] = mapped_column(String(254), default="")
    portal_url: Mapped[str] = mapped_column(String(500), default="")
    mailing_address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    fax: Mapped[str] = mapped_column(String(50), default="", server_default="")
    appeal_authority: Mapped[str] = mapped_column(String(200), default="")
    appeal_address: Mapped[str] = mapped_column(Text, default="")
    appeal_email: Mapped[str] = mapped_column(String(254), default="")
    timezone: Mapped[str] = mapped_column(String(64), default=default_timezone)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # --- the public directory (issue 15) ----------------------------------------------------------------
    #: The office's own abbreviation, e.g. ICE (searchable; the slug is parent-component, e.g. dhs-ice).
    abbreviation: Mapped[str] = mapped_column(String(50), default="", server_default="")
    #: The parent department for a component (DHS for ICE); None for a department or a stand-alone agency.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="SET NULL"), nullable=True,
                                                  index=True)
    website: Mapped[str] = mapped_column(String(500), default="", server_default="")
    #: How the office takes requests, best first: a comma-separated subset of email, portal, mail, fax
    #: (`foia.agencies.directory.FILING_METHODS`); empty means "infer from the contact fields".
    filing_methods: Mapped[str] = mapped_column(String(50), default="", server_default="")
    #: Further public contact details from the source (public liaison, service center, reading rooms).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    #: Where the row came from: "local" (typed here) or an imported source such as "18F-2017".
    source: Mapped[str] = mapped_column(String(50), default="local", server_default="local", index=True)
    #: The source's own key for the row (e.g. "DHS/ICE"), so a re-import finds it whatever its slug became.
    source_key: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: The day the source's data describes (18F: 2017-07-25), not the day it was imported.
    source_as_of: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: The values last imported from the source, field by field: a field whose current value differs from
    #: this was corrected here, and a re-import leaves it alone (three-way merge, `foia.agencies.importer`).
    source_values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    #: When a person last confirmed the contact details (None: unverified, labelled wherever they are used).
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    parent: Mapped[Agency | None] = relationship(remote_side="Agency.id")

    def __repr__(self) -> str:
        return f"<Agency {self.slug}>"


class AgencyReportedStat(Model):
    """One fiscal year of an agency's own reported FOIA figures (FOIA.gov annual reports): shown beside
    FOIA Tracker's measured figures, never mixed with them. Day figures are as reported (FOIA.gov writes 0
    where the agency processed no request of that kind); None where the report has no figure."""

    __tablename__ = "agency_reported_stats"
    __table_args__ = (UniqueConstraint("agency_id", "fiscal_year", "source", name="uq_agency_reported_stats_year"),
                      Index("ix_agency_reported_stats_agency", "agency_id", "fiscal_year"))

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    #: e.g. "FOIA.gov annual report"; with `source_file` (dhs-2024.xml) it says where each figure came from.
    source: Mapped[str] = mapped_column(String(100))
    source_file: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: The component as the report names it (e.g. "ICE", "U.S. Immigration & Customs Enforcement").
    reported_as: Mapped[str] = mapped_column(String(300), default="", server_default="")
    received: Mapped[int | None] = mapped_column(Integer, nullable=True)
    processed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pending_end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    simple_median_days: Mapped[float | None] = mapped_column(Float, nullable=True)
    simple_average_days: Mapped[float | None] = mapped_column(Float, nullable=True)
    complex_median_days: Mapped[float | None] = mapped_column(Float, nullable=True)
    complex_average_days: Mapped[float | None] = mapped_column(Float, nullable=True)
    expedited_median_days: Mapped[float | None] = mapped_column(Float, nullable=True)
    expedited_average_days: Mapped[float | None] = mapped_column(Float, nullable=True)
    appeal_median_days: Mapped[float | None] = mapped_column(Float, nullable=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


#: Where a suggested change to the shared agency directory stands.
CHANGE_STATUSES = ("pending", "accepted", "rejected")


class AgencyChange(Model):
    """A change to the shared agency directory suggested by someone who may not edit it (staff and
    reporters of any organization), waiting for an administrator to accept or reject it. `agency_id`
    is None for a suggested new agency; `changes` maps field -> proposed value (`before` the values then)."""

    __tablename__ = "agency_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), nullable=True,
                                                  index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
