from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foia.extensions import Model
from foia.models.types import UTCDateTime
from foia.models.user import User

# Letter kinds and their labels, in the order a request usually needs them (the renderer has a template
# for each: foia.letters.render.LETTER_KINDS; a test keeps the two in step).
LETTER_KIND_LABELS: dict[str, str] = {
    "request": "Request letter",
    "follow-up": "Follow-up letter",
    "appeal": "Appeal",
}
SEND_METHODS: dict[str, str] = {"email": "Email", "portal": "Agency portal", "mail": "Post", "fax": "Fax"}
# The editable free-text parts of a letter; everything else comes from the request.
CUSTOM_FIELDS = ("intro", "closing", "appeal_grounds")


class LetterVersion(Model):
    """One numbered version of a letter for a request (per request and kind, from 1).

    A draft holds only the person's free text (`custom`) and renders from the request's current data.
    Finalizing freezes the full render context, the HTML and the PDF's sha256; a final version is never
    changed again (the service refuses), it can only be marked as sent."""

    __tablename__ = "letter_versions"
    __table_args__ = (
        UniqueConstraint("request_id", "kind", "version", name="uq_letter_versions_request_kind_version"),
        Index("ix_letter_versions_request_kind", "request_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    custom: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    html: Mapped[str | None] = mapped_column(Text, nullable=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_method: Mapped[str | None] = mapped_column(String(10), nullable=True)

    created_by: Mapped[User | None] = relationship()

    @property
    def is_final(self) -> bool:
        return self.status == "final"

    @property
    def kind_label(self) -> str:
        return LETTER_KIND_LABELS.get(self.kind, self.kind)

    def __repr__(self) -> str:
        return f"<LetterVersion {self.request_id} {self.kind} v{self.version} {self.status}>"
