"""agencies directory

Revision ID: 0002_agencies
Revises: 0001_organizations_users
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_agencies'
down_revision = '0001_organizations_users'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('agencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=False),
    sa.Column('jurisdiction', sa.String(length=100), nullable=False),
    sa.Column('law', sa.String(length=20), nullable=False),
    sa.Column('foia_email', sa.String(length=254), nullable=False),
    sa.Column('portal_url', sa.String(length=500), nullable=False),
    sa.Column('mailing_address', sa.Text(), nullable=False),
    sa.Column('phone', sa.String(length=50), nullable=False),
    sa.Column('appeal_authority', sa.String(length=200), nullable=False),
    sa.Column('appeal_address', sa.Text(), nullable=False),
    sa.Column('appeal_email', sa.String(length=254), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agencies')),
    sa.UniqueConstraint('slug', name=op.f('uq_agencies_slug'))
    )
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agencies_law'), ['law'], unique=False)
        batch_op.create_index(batch_op.f('ix_agencies_name'), ['name'], unique=False)


def downgrade():
    op.drop_table('agencies')
