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


def request_id_of(entity: Any) -> int | None:
    """The request a changed row belongs to: the request itself, or the row's `request_id`."""
    if getattr(entity, "__tablename__", None) == "requests":
        return int(entity.id)
    rid = getattr(entity, "request_id", None)
    return int(rid) if isinstance(rid, int) else None


def audit(session: Session, *, actor: User | None, now: datetime, action: str, entity: Any,
          before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
          request_id: int | None = None) -> AuditLog:
    """Write one audit row. `request_id` files it under a request's History; by default it is the entity's
    own request (see `request_id_of`)."""
    if entity.id is None:
        session.flush()
    row = AuditLog(
        at=now, actor_id=actor.id if actor is not None else None, action=action,
        entity_type=entity.__tablename__, entity_id=str(entity.id), before=before, after=after,
        request_id=request_id if request_id is not None else request_id_of(entity),
    )
    session.add(row)
    return row
