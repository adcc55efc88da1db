"""SQLite: the requests list's text filter reads a trigram full-text index (FTS5) instead of scanning every request (issue 18)

The list filters by text contained in a request's title, reference or agency tracking number (``ILIKE '%q%'``).
PostgreSQL answers that from 0021's pg_trgm GIN indexes; SQLite scanned every visible request: 221-295 ms at
100k requests, for a match and a miss alike. ``requests_text`` is an FTS5 table with the trigram tokenizer
(SQLite 3.34+) over those three columns, kept in step by triggers; a query of three characters or more matches as
a quoted phrase of trigrams, which is exactly "contains this text", without regard to case. The update trigger
fires only when one of the three columns is written, so the recompute and every other update of a request never
touch it. Shorter queries still scan.

The table keeps its own copy of the three columns (a few dozen bytes per request) rather than reading them from
``requests`` as external content: an external-content index must be told a row's old values to forget it, and
once the two disagree (triggers lost to a future rebuild of ``requests``, say) deleting a request fails with
"database disk image is malformed". With its own copy a row is forgotten by rowid, whatever it held.

A plain CREATE: the requests table (and 0022's counting triggers on it) is not rebuilt. Derived data: a
downgrade drops it (``foia.ops.downgrade.DERIVED_TABLES``) and an upgrade rebuilds it from the requests.

Revision ID: 0031_requests_text_trigram
Revises: 0030_assignment_notices
Create Date: 2026-12-01 11:10:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0031_requests_text_trigram'
down_revision = '0030_assignment_notices'
branch_labels = None
depends_on = None

COLS = "title, ref, tracking_number"
NEW = "new.id, new.title, new.ref, new.tracking_number"


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"CREATE VIRTUAL TABLE requests_text USING fts5({COLS}, tokenize='trigram')")
    op.execute(f"INSERT INTO requests_text(rowid, {COLS}) SELECT id, title, ref, tracking_number FROM requests")
    op.execute(f"CREATE TRIGGER requests_text_ai AFTER INSERT ON requests BEGIN "
               f"INSERT INTO requests_text(rowid, {COLS}) VALUES ({NEW}); END")
    op.execute("CREATE TRIGGER requests_text_ad AFTER DELETE ON requests BEGIN "
               "DELETE FROM requests_text WHERE rowid = old.id; END")
    op.execute(f"CREATE TRIGGER requests_text_au AFTER UPDATE OF {COLS} ON requests BEGIN "
               f"DELETE FROM requests_text WHERE rowid = old.id; "
               f"INSERT INTO requests_text(rowid, {COLS}) VALUES ({NEW}); END")


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("requests_text_ai", "requests_text_ad", "requests_text_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS requests_text")
