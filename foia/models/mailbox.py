from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from foia.extensions import Model
from foia.models.types import UTCDateTime


class MailboxCursor(Model):
    """How far the tracker has read a mailbox folder that does not accept custom keywords (Microsoft 365,
    Exchange): the last UID taken, valid while the folder's UIDVALIDITY stays the same."""

    __tablename__ = "mailbox_cursors"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)  # user@host:port/folder
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
