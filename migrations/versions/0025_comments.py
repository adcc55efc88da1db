"""internal comments with @mentions, visible only inside the organization (issue 19)

Revision ID: 0025_comments
Revises: 0024_tasks
Create Date: 2026-11-30 23:40:01.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_comments'
down_revision = '0024_tasks'
branch_labels = None
depends_on = None


def upgrade():
    # A new table only: internal_notes keeps its columns (and no trigger table is altered).
    op.create_table('note_mentions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('handle', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.String(length=200), server_default='', nullable=False),
    sa.Column('last_error', sa.Text(), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['internal_notes.id'], name=op.f('fk_note_mentions_note_id_internal_notes'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_note_mentions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note_mentions')),
    sa.UniqueConstraint('note_id', 'user_id', name='uq_note_mentions_note_user')
    )
    op.create_index('ix_note_mentions_unsent', 'note_mentions', ['next_attempt_at'], unique=False,
                    postgresql_where=sa.text("status IN ('pending', 'sending')"),
                    sqlite_where=sa.text("status IN ('pending', 'sending')"))
    op.create_index('ix_note_mentions_user', 'note_mentions', ['user_id', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_note_mentions_user', table_name='note_mentions')
    op.drop_index('ix_note_mentions_unsent', table_name='note_mentions')
    op.drop_table('note_mentions')
