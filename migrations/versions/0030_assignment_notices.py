"""assignment notices: the email telling a person requests were assigned to them is a row, sent by the scheduler, not inside the web request (issue 18)

Revision ID: 0030_assignment_notices
Revises: 0029_requests_law_status
Create Date: 2026-12-01 11:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0030_assignment_notices'
down_revision = '0029_requests_law_status'
branch_labels = None
depends_on = None

UNSENT = "status IN ('pending', 'sending')"


def upgrade():
    op.create_table('assignment_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('request_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.String(length=200), server_default='', nullable=False),
    sa.Column('last_error', sa.Text(), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assignment_notices_user_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_assignment_notices_actor_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_notices')),
    )
    op.create_index('ix_assignment_notices_unsent', 'assignment_notices', ['next_attempt_at'], unique=False,
                    postgresql_where=sa.text(UNSENT), sqlite_where=sa.text(UNSENT))
    op.create_index('ix_assignment_notices_user', 'assignment_notices', ['user_id', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_assignment_notices_user', table_name='assignment_notices')
    op.drop_index('ix_assignment_notices_unsent', table_name='assignment_notices')
    op.drop_table('assignment_notices')
