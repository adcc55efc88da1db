"""The audit trail: every state change writes one row saying who, when, what, before and after."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from foia.models import AuditLog, User


def jsonable(value: Any) -> Any:
    """A value as it is stored in an audit row's JSON (dates ISO, money as a string)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: jsonable(getattr(obj, f)) for f in fields}


def audit(session: Session, *, actor: User | None, now: datetime, action: str, entity: Any,
          before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditLog:
    if entity.id is None:
        session.flush()
    row = AuditLog(
        at=now, actor_id=actor.id if actor is not None else None, action=action,
        entity_type=entity.__tablename__, entity_id=str(entity.id), before=before, after=after,
    )
    session.add(row)
    return row
