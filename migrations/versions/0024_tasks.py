"""tasks on a request with internal due dates, absolute or relative to a statutory date (issue 19)

Revision ID: 0024_tasks
Revises: 0023_text_source
Create Date: 2026-11-30 23:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_tasks'
down_revision = '0023_text_source'
branch_labels = None
depends_on = None


def upgrade():
    # A new table only: none of the tables with counting triggers (0022) is altered.
    op.create_table('tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('relative_clock', sa.String(length=40), nullable=True),
    sa.Column('relative_days', sa.Integer(), nullable=True),
    sa.Column('relative_unit', sa.String(length=10), nullable=True),
    sa.Column('relative_direction', sa.String(length=10), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_tasks_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_tasks_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_tasks_done_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_tasks_request_id_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks'))
    )
    op.create_index('ix_tasks_request', 'tasks', ['request_id', 'id'], unique=False)
    op.create_index('ix_tasks_assignee_open', 'tasks', ['assignee_id', 'due'], unique=False,
                    postgresql_where=sa.text('done_at IS NULL'), sqlite_where=sa.text('done_at IS NULL'))


def downgrade():
    op.drop_index('ix_tasks_assignee_open', table_name='tasks',
                  postgresql_where=sa.text('done_at IS NULL'), sqlite_where=sa.text('done_at IS NULL'))
    op.drop_index('ix_tasks_request', table_name='tasks')
    op.drop_table('tasks')
