from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

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

    def __repr__(self) -> str:
        return f"<Agency {self.slug}>"
