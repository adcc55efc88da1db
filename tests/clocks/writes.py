"""Counting the statements that write the clock cache, without patching anything: a listener on the engine sees
every statement the app sends, so a test can show that a web request wrote no clock (the recompute was queued
as a `recompute_clocks` job) and that the job did."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from foia.extensions import db

_WRITES = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?request_clocks\b", re.IGNORECASE)
_DATES = re.compile(r"^\s*UPDATE\s+\"?requests\"?\s+SET\s+.*\b(response_due|next_due)\b", re.IGNORECASE | re.DOTALL)


@contextmanager
def clock_writes() -> Iterator[list[str]]:
    """Yields a list that collects every statement writing `request_clocks` (or a request's cached dates)
    sent while the block runs, on any connection of the app's engine."""
    seen: list[str] = []

    def listen(_conn, _cursor, statement, _params, _context, _executemany) -> None:
        if _WRITES.match(statement) or _DATES.match(statement):
            seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)
