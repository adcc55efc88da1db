"""organization clause library with law limits and usage counts (issue 19)

Revision ID: 0026_clauses
Revises: 0025_comments
Create Date: 2026-11-30 23:40:02.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026_clauses'
down_revision = '0025_comments'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('clauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('laws', sa.JSON(), server_default='[]', nullable=False),
    sa.Column('usage_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('archived_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                            name=op.f('fk_clauses_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_clauses_created_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['archived_by_id'], ['users.id'], name=op.f('fk_clauses_archived_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clauses'))
    )
    op.create_index('ix_clauses_organization', 'clauses', ['organization_id', 'archived_at', 'title'], unique=False)


def downgrade():
    op.drop_index('ix_clauses_organization', table_name='clauses')
    op.drop_table('clauses')
