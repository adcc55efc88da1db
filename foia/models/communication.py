from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foia.extensions import Model
from foia.models.types import UTCDateTime
from foia.models.user import User

# What a communication is. Each kind moves the request's status and feeds the ledger (foia/communications.py).
COMMUNICATION_KINDS: dict[str, str] = {
    "acknowledgment": "Acknowledgment",
    "extension_notice": "Extension notice",
    "clarification_request": "Clarification request (clock paused)",
    "clarification_reply": "Clarification reply (clock resumes)",
    "fee_estimate": "Fee estimate",
    "fee_waiver_decision": "Fee-waiver decision",
    "payment": "Payment",
    "interim_release": "Interim release",
    "final_release": "Final release",
    "partial_denial": "Partial denial",
    "full_denial": "Full denial",
    "no_records": "No records",
    "appeal_filed": "Appeal filed",
    "appeal_decision": "Appeal decision",
    "withdrawal": "Withdrawal",
    "note": "Note",
}
DIRECTIONS = {"incoming": "From the agency", "outgoing": "To the agency"}


class Communication(Model):
    """One message or fact exchanged with the agency, logged against its request.

    Imported email keeps its Message-ID (unique: importing the same message twice logs it once),
    its headers (for evidence export) and the original .eml in content-addressed storage."""

    __tablename__ = "communications"
    __table_args__ = (
        Index("ix_communications_request_on", "request_id", "occurred_on", "id"),
        # An email is logged once per organization: another organization importing the same message
        # neither blocks it nor learns of it.
        UniqueConstraint("organization_id", "message_id", name="uq_communications_org_message_id"),
        Index("ix_communications_review", "review_status", "request_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))  # the request's
    direction: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(30))
    occurred_on: Mapped[date] = mapped_column(Date)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    subject: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    exemptions: Mapped[list[str]] = mapped_column(JSON, default=list)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # An agency reply fetched from the mailbox is logged as a note "to classify" (it moves no clock)
    # until a person confirms what it is; `suggested_kind` is the app's guess from its text.
    review_status: Mapped[str | None] = mapped_column(String(12), nullable=True)
    suggested_kind: Mapped[str | None] = mapped_column(String(30), nullable=True)
    from_addr: Mapped[str] = mapped_column(String(300), default="")
    to_addrs: Mapped[str] = mapped_column(Text, default="")
    headers: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    raw_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Voided (logged by mistake, or replaced by a correction): kept and shown as voided with the reason;
    # its ledger events are voided with it, so no clock reads it any more.
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    void_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # A correction (new kind or date) is a new communication that names the one it replaces.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("communications.id", ondelete="SET NULL"),
                                                    nullable=True)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def kind_label(self) -> str:
        return COMMUNICATION_KINDS.get(self.kind, self.kind)

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class Document(Model):
    """A released record or attachment. The bytes live in content-addressed storage under their
    sha256 (the same content uploaded twice is stored once); this row says where it belongs."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_request", "request_id", "id"),
        Index("ix_documents_sha256", "sha256"),
        Index("ix_documents_communication", "communication_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    communication_id: Mapped[int | None] = mapped_column(ForeignKey("communications.id", ondelete="SET NULL"),
                                                         nullable=True)
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str] = mapped_column(String(120))
    pages: Mapped[int | None] = mapped_column(Integer, nullable=True)
    text_status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | done | failed | none
    #: Why the text was not extracted (a limit hit: "CPU time", "memory", "pages", "output", or an error),
    #: shown as "text not extracted (reason)"; '' otherwise.
    text_error: Mapped[str] = mapped_column(String(300), default="", server_default="")
    #: Where its searchable text comes from: "embedded" (the file's own text layer), "ocr" (Tesseract read the
    #: scanned pages) or "none". While text_status is "pending" it is the source being read ("ocr": waiting
    #: for OCR).
    text_source: Mapped[str] = mapped_column(String(10), default="none", server_default="none")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Removed from the request by a person: hidden from its page, search and downloads, but the row and the
    # bytes stay (the evidence bundle lists it as removed, so its manifest keeps matching).
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    remove_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")


class SearchEntry(Model):
    """One searchable text: a request's own text, a communication's body, or a document's extracted text.

    Full-text indexes live beside it: on SQLite an FTS5 table `search_fts` (external content, kept in
    step by triggers), on PostgreSQL a GIN index on to_tsvector('english', title || ' ' || body). Both
    are created by migration 0009 and are invisible to the models on purpose."""

    __tablename__ = "search_entries"
    __table_args__ = (
        Index("ix_search_entries_source", "source_type", "source_id", unique=True),
        Index("ix_search_entries_request", "request_id"),
        # The visibility predicate on the entry itself, newest first (migration 0021).
        Index("ix_search_entries_org_vis", "organization_id", "visibility", "id"),
        Index("ix_search_entries_requester", "requester_id", "id"),
        Index("ix_search_entries_visibility", "visibility", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    source_type: Mapped[str] = mapped_column(String(20))  # request | communication | document
    source_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # Copies of the request's columns that decide who may see it (foia.core.access.visible_clause), so search
    # applies visibility on this table alone. Written with the entry (`SearchEntry.of`) and kept in step when
    # the request's visibility changes (`foia.search.service.sync_request_visibility`, same transaction).
    organization_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    requester_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    visibility: Mapped[str] = mapped_column(String(20), default="private", server_default="private")

    @classmethod
    def of(cls, req: Any, *, source_type: str, source_id: int, title: str = "", body: str = "") -> SearchEntry:
        """A new entry for `req`'s text, carrying the request's visibility columns."""
        return cls(request_id=req.id, source_type=source_type, source_id=source_id, title=title, body=body,
                   organization_id=req.organization_id, requester_id=req.requester_id, visibility=req.visibility)


class UnmatchedMail(Model):
    """An imported email that matched no request, waiting for staff to assign it."""

    __tablename__ = "unmatched_mail"
    __table_args__ = (
        Index("ix_unmatched_mail_org", "organization_id", "assigned_at"),
        UniqueConstraint("organization_id", "message_id", name="uq_unmatched_mail_org_message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    subject: Mapped[str] = mapped_column(String(500), default="")
    from_addr: Mapped[str] = mapped_column(String(300), default="")
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    raw_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    communication_id: Mapped[int | None] = mapped_column(ForeignKey("communications.id", ondelete="SET NULL"),
                                                         nullable=True)
    # Discarded by a person (spam, misdirected): hidden from the queue, kept for the record.
    discarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    discarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    discard_reason: Mapped[str] = mapped_column(String(300), default="", server_default="")


class InternalNote(Model):
    """A private note on a request, for colleagues: never sent, never shown as correspondence with the agency,
    never in the ledger. Visible to whoever may see the request; removable (kept, hidden) by its author or an
    editor of the request."""

    __tablename__ = "internal_notes"
    __table_args__ = (Index("ix_internal_notes_request", "request_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
