"""Database helpers shared by the features."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

T = TypeVar("T")


#: The largest id any table can hold: primary keys are 32-bit INTEGER on PostgreSQL (SQLite's are
#: 64-bit). A larger number cannot name a row, so it is "not found", never a database error.
MAX_ID = 2**31 - 1


def parse_id(raw: Any) -> int | None:
    """A row id from a form field or query parameter: a positive integer up to `MAX_ID`, else None."""
    text = str(raw if raw is not None else "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def insert_with_retry(session: Session, build: Callable[[], T], *, what: str, attempts: int = 5) -> T:
    """Insert the row `build()` makes, in a savepoint; on a unique-key collision (another writer took
    the same number) build it again, up to `attempts` times. `build` allocates the number each time."""
    for _attempt in range(attempts):
        row = build()
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            continue
        return row
    raise RuntimeError(f"could not allocate {what} after {attempts} attempts")
