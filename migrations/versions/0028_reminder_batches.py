"""partial indexes for issue 18: reminders.claim_token (the sweep's per-batch reads), events by day (closure recompute)

Revision ID: 0028_reminder_batches
Revises: 0027_team
Create Date: 2026-11-30 23:40:04.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028_reminder_batches'
down_revision = '0027_team'
branch_labels = None
depends_on = None


# A claimed batch is read, renewed, marked and given back by its claim token. Only rows in flight carry one
# (marking and giving back clear it), so a partial index on the token stays a few rows long however many
# reminders the table holds; without it each batch seq-scanned the table (issue 18: 135 ms per batch at 1M rows
# on PostgreSQL). The same-deadline lookup needs no new index: uq_reminders_identity leads with
# (request_id, user_id, clock_kind, due).
CLAIMED = "claim_token IS NOT NULL"
# A closure's recompute (clocks.service.recompute_open with affected_from) looks for the requests with a live event
# on or after the closure's day; without an index on the day that scanned every event (issue 18, the recompute
# bench's closure case). A plain CREATE INDEX: the table (and 0022's counting triggers on it) is not rebuilt.
LIVE = "voided_at IS NULL"


def upgrade():
    op.create_index('ix_reminders_claim', 'reminders', ['claim_token'], unique=False,
                    postgresql_where=sa.text(CLAIMED), sqlite_where=sa.text(CLAIMED))
    op.create_index('ix_events_live_on', 'events', ['occurred_on', 'request_id'], unique=False,
                    postgresql_where=sa.text(LIVE), sqlite_where=sa.text(LIVE))


def downgrade():
    op.drop_index('ix_events_live_on', table_name='events')
    op.drop_index('ix_reminders_claim', table_name='reminders')
