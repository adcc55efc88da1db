"""Figures kept in step with the data by database triggers (migration 0022_maintained_counts), so the
dashboard and /metrics read a few rows instead of counting every request, and every web worker and
the scheduler see the same numbers.

- ``request_counts``: live (not deleted) requests by (organization, requester, visibility, status).
  Every viewer's "requests I may see" is a sum over few rows (foia.dashboard.counts).
- ``deadline_counts``: open deadlines by (due date, organization, requester, visibility): the month
  grid's daily totals.
- ``agency_stats_changes``: one row per change that can move an agency's responsiveness figures
  (an event written, voided or removed; a request moved between agencies, scopes or due dates; a
  closure; an agency renamed). The statistics refresh reads and deletes them in the transaction that
  stores the new figures (foia.dashboard.stats.refresh_stats). ``agency_id`` NULL: every agency.

The triggers, not the application, keep these in step: every writer (the request service, corrections,
imports, the API, bulk SQL, a psql session) is covered, in the same transaction as the change.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from foia.extensions import Model


class RequestCount(Model):
    __tablename__ = "request_counts"

    organization_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visibility: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(30), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class DeadlineCount(Model):
    """Open deadlines (open clocks of live requests not closed) by due date and viewing keys."""

    __tablename__ = "deadline_counts"

    due: Mapped[date] = mapped_column(Date, primary_key=True)
    organization_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visibility: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class AgencyStatsChange(Model):
    __tablename__ = "agency_stats_changes"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
