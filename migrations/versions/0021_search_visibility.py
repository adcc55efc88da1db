"""search rows carry the request's visibility (organization, requester, visibility) so search filters in SQL without joins (issue 18)

Each search entry gets its request's ``organization_id``, ``requester_id`` and ``visibility``, copied here
and kept in step by the app (``foia.search.service``) whenever a request's visibility changes, so the search
query applies the visibility rule on ``search_entries`` itself (no join to ``requests`` until the page's
few rows). Btree indexes on those columns, ending with the id, serve the visibility predicate and the
"newest matches first" order.

SQLite: the FTS5 update trigger re-indexed an entry's text on every UPDATE; it now fires only when the
title or body changes, so a visibility change does not rewrite the full-text index.

PostgreSQL: the backfill drops the GIN index on ``tsv`` and builds it again afterwards (one bulk build
instead of a GIN insertion per updated row). The requests list's text filter (``ILIKE '%q%'`` on title,
reference and agency tracking number) gets pg_trgm GIN indexes when the extension can be created (it is
skipped, with a warning, where the role may not create it: the filter then still works, unindexed).

Both: indexes for the list's sorts by title (``lower(title), id``), agency tracking number and last update.

Revision ID: 0021_search_visibility
Revises: 0020_jobs
Create Date: 2026-11-30 20:20:00.000000

"""
import logging
import time

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_search_visibility'
down_revision = '0020_jobs'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

SEARCH_INDEXES = (
    ("ix_search_entries_org_vis", ["organization_id", "visibility", "id"]),
    ("ix_search_entries_requester", ["requester_id", "id"]),
    ("ix_search_entries_visibility", ["visibility", "id"]),
)
SORT_INDEXES = (
    ("ix_requests_title_lower", "lower(title), id"),
    ("ix_requests_tracking", "(tracking_number = ''), tracking_number, id"),
    # Undated-last either way: the descending order keeps "(tracking_number = '')" ascending.
    ("ix_requests_tracking_desc", "(tracking_number = ''), tracking_number DESC, id DESC"),
    ("ix_requests_updated", "updated_at, id"),
)
TRGM_INDEXES = (
    ("ix_requests_title_trgm", "title"),
    ("ix_requests_ref_trgm", "ref"),
    ("ix_requests_tracking_trgm", "tracking_number"),
)
BACKFILL = ("UPDATE search_entries SET organization_id = r.organization_id, requester_id = r.requester_id, "
            "visibility = r.visibility FROM requests r WHERE r.id = search_entries.request_id")
SQLITE_BACKFILL = ("UPDATE search_entries SET (organization_id, requester_id, visibility) = "
                   "(SELECT r.organization_id, r.requester_id, r.visibility FROM requests r "
                   "WHERE r.id = search_entries.request_id)")
OLD_SQLITE_UPDATE_TRIGGER = (
    "CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END")
NEW_SQLITE_UPDATE_TRIGGER = OLD_SQLITE_UPDATE_TRIGGER.replace(
    "AFTER UPDATE ON search_entries", "AFTER UPDATE OF title, body ON search_entries")


def upgrade():
    bind = op.get_bind()
    dialect = bind.dialect.name
    started = time.perf_counter()
    # Added without constraints (a plain ALTER TABLE ... ADD COLUMN on both engines, no table copy);
    # a row written without them is private to nobody but administrators until the app fills them.
    op.add_column("search_entries", sa.Column("organization_id", sa.Integer(), nullable=True))
    op.add_column("search_entries", sa.Column("requester_id", sa.Integer(), nullable=True))
    op.add_column("search_entries", sa.Column("visibility", sa.String(length=20), nullable=False,
                                              server_default="private"))
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS search_entries_au")
        op.execute(SQLITE_BACKFILL)
        op.execute(NEW_SQLITE_UPDATE_TRIGGER)
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_entries_tsv_stored")
        op.execute(BACKFILL)
        op.execute("SET LOCAL maintenance_work_mem = '256MB'")
        op.execute("CREATE INDEX ix_search_entries_tsv_stored ON search_entries USING gin (tsv)")
    else:
        op.execute(SQLITE_BACKFILL)
    log.info("0021: search entries backfilled in %.1f s", time.perf_counter() - started)
    for name, cols in SEARCH_INDEXES:
        op.create_index(name, "search_entries", cols)
    for name, expr in SORT_INDEXES:
        op.execute(f"CREATE INDEX {name} ON requests ({expr})")
    if dialect == "postgresql" and _trigram_available(bind):
        for name, col in TRGM_INDEXES:
            op.execute(f"CREATE INDEX {name} ON requests USING gin ({col} gin_trgm_ops)")
    if dialect == "postgresql":
        op.execute("ANALYZE search_entries")
        op.execute("ANALYZE requests")
    log.info("0021: done in %.1f s", time.perf_counter() - started)


def _trigram_available(bind) -> bool:
    """Create pg_trgm if this role may (inside a savepoint, so a refusal does not abort the migration)."""
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        return True
    except sa.exc.DBAPIError as exc:
        log.warning("0021: pg_trgm not created (%s): the requests list's text filter stays unindexed",
                    str(exc).splitlines()[0])
        return False


def downgrade():
    bind = op.get_bind()
    dialect = bind.dialect.name
    for name, _ in TRGM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for name, _ in SORT_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for name, _ in SEARCH_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    if dialect == "sqlite":
        # Native DROP COLUMN (SQLite 3.35+): a batch copy of the table would drop the FTS5 triggers.
        op.execute("DROP TRIGGER IF EXISTS search_entries_au")
        for col in ("visibility", "requester_id", "organization_id"):
            op.execute(f"ALTER TABLE search_entries DROP COLUMN {col}")
        op.execute(OLD_SQLITE_UPDATE_TRIGGER)
    else:
        for col in ("visibility", "requester_id", "organization_id"):
            op.drop_column("search_entries", col)
