"""Database helpers shared by the features."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

T = TypeVar("T")


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
