"""When the scheduler last finished a reminder sweep.

Nothing recorded it before issue 17 and the schema may not change in this part, so the time is kept in an
existing key/time table: one `mailbox_cursors` row under a key no mailbox can have (mailbox keys are
``user@host:port/folder``). `updated_at` is the end of the last sweep that ran without an exception;
`last_uid` counts sweeps. A database row (not a file) so a web host sees a scheduler on another host.
A dedicated table would be cleaner; it needs a migration (see the issue-17 report).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from foia.models import MailboxCursor

SWEEP_KEY = "~scheduler/reminder-sweep"


def record_sweep(session: Session, now: datetime) -> None:
    """Note a finished sweep (the caller commits)."""
    row = session.get(MailboxCursor, SWEEP_KEY)
    if row is not None:
        row.updated_at = max(now, row.updated_at)
        row.last_uid = (row.last_uid or 0) + 1
        return
    try:
        with session.begin_nested():
            session.add(MailboxCursor(key=SWEEP_KEY, uidvalidity=0, last_uid=1, updated_at=now))
    except IntegrityError:  # another scheduler wrote it first; its time is as good
        pass


def last_sweep(session: Session) -> datetime | None:
    row = session.get(MailboxCursor, SWEEP_KEY)
    return None if row is None else row.updated_at
