"""PostgreSQL: store the search tsvector (generated column) and index it

Ranking recomputed each entry's tsvector from its text (about 1 ms per 4 KB), which made common words
slow and forced search to rank only the newest matches. A stored generated column is computed once
per write; the GIN index moves onto it. SQLite keeps its FTS5 index and is unchanged.

Revision ID: 0011_search_tsv
Revises: 0010_filing
"""
from alembic import op


revision = '0011_search_tsv'
down_revision = '0010_filing'
branch_labels = None
depends_on = None

TSV = "to_tsvector('english', coalesce(title, '') || ' ' || coalesce(body, ''))"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE search_entries ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({TSV}) STORED")
    op.execute("CREATE INDEX ix_search_entries_tsv_stored ON search_entries USING gin (tsv)")
    op.execute("DROP INDEX IF EXISTS ix_search_entries_tsv")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE INDEX ix_search_entries_tsv ON search_entries USING gin ({TSV})")
    op.execute("DROP INDEX IF EXISTS ix_search_entries_tsv_stored")
    op.execute("ALTER TABLE search_entries DROP COLUMN tsv")
