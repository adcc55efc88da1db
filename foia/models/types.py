"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite has no time zones and hands back naive values; PostgreSQL keeps them.
    Naive values are refused on the way in so local times are never stored by mistake.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass a timezone-aware value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def render_item(type_: str, obj, autogen_context):
    """Alembic autogenerate hook: write our TypeDecorators as plain SQLAlchemy types so
    migration files never import application code (which may change after they land)."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# Objects that exist only in the database, by design: SQLite's FTS5 index over search_entries and its trigram index
# of the requests' titles, references and tracking numbers (migration 0031), with their shadow tables, and
# PostgreSQL's GIN tsvector index. Autogenerate and the models-vs-migrations test ignore them.
DATABASE_ONLY_PREFIXES = ("search_fts", "requests_text")
DATABASE_ONLY_INDEXES = frozenset({"ix_search_entries_tsv", "ix_search_entries_tsv_stored",
                                   # The requests list's sorts (expressions) and, on PostgreSQL, its text
                                   # filter's pg_trgm indexes (migration 0021).
                                   "ix_requests_title_lower", "ix_requests_tracking", "ix_requests_tracking_desc",
                                   "ix_requests_updated",
                                   "ix_requests_title_trgm", "ix_requests_ref_trgm", "ix_requests_tracking_trgm"})
# PostgreSQL's stored, generated tsvector column (migration 0011).
DATABASE_ONLY_COLUMNS = frozenset({("search_entries", "tsv")})


def include_name(name, type_, parent_names) -> bool:
    if type_ == "table" and name and name.startswith(DATABASE_ONLY_PREFIXES):
        return False
    if type_ == "column" and (parent_names.get("table_name"), name) in DATABASE_ONLY_COLUMNS:
        return False
    return not (type_ == "index" and name in DATABASE_ONLY_INDEXES)
