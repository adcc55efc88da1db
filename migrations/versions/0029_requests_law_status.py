"""requests by (law, status, agency_id, id), and the undated ones: a closure's recompute finds its candidates without reading request rows (issue 18)

Revision ID: 0029_requests_law_status
Revises: 0028_reminder_batches
Create Date: 2026-12-01 04:50:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0029_requests_law_status'
down_revision = '0028_reminder_batches'
branch_labels = None
depends_on = None


# clocks.service.recompute_open with affected_from: which of the requests with a clock date or an event on or after
# the closure are open, under a law counting on the closure's calendar (and at its agency)? Answered from this index
# alone (index-only on PostgreSQL once vacuumed; covering on SQLite), where it read every open request row of those
# laws: a seq scan of the requests table, 1.4 s at a million requests. A plain CREATE INDEX: the table (and 0022's
# counting triggers on it) is not rebuilt.
# Its candidates also include open requests with no clock row at all, which have neither next_due nor response_due
# (both are only set from clock rows): a partial index keeps those few at hand instead of probing the clocks of every
# open request without a next date (282 ms at a million requests).
UNDATED = "next_due IS NULL AND response_due IS NULL"


def upgrade():
    op.create_index('ix_requests_law_status', 'requests', ['law', 'status', 'agency_id', 'id'], unique=False)
    op.create_index('ix_requests_undated', 'requests', ['law', 'status', 'id'], unique=False,
                    postgresql_where=sa.text(UNDATED), sqlite_where=sa.text(UNDATED))


def downgrade():
    op.drop_index('ix_requests_undated', table_name='requests')
    op.drop_index('ix_requests_law_status', table_name='requests')
