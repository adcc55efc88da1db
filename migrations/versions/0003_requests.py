"""requests

Revision ID: 0003_requests
Revises: 0002_agencies
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_requests'
down_revision = '0002_agencies'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=20), nullable=False),
    sa.Column('ref_year', sa.Integer(), nullable=False),
    sa.Column('ref_seq', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('records_sought', sa.Text(), nullable=False),
    sa.Column('records_from', sa.Date(), nullable=True),
    sa.Column('records_to', sa.Date(), nullable=True),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('law', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('fee_category', sa.String(length=20), nullable=False),
    sa.Column('fee_ceiling', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('fee_waiver', sa.Boolean(), nullable=False),
    sa.Column('fee_waiver_justification', sa.Text(), nullable=False),
    sa.Column('expedited', sa.Boolean(), nullable=False),
    sa.Column('expedited_justification', sa.Text(), nullable=False),
    sa.Column('preferred_format', sa.String(length=100), nullable=False),
    sa.Column('visibility', sa.String(length=20), nullable=False),
    sa.Column('tracking_number', sa.String(length=100), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('response_due', sa.Date(), nullable=True),
    sa.Column('next_due', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_requests_agency_id_agencies')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_requests_organization_id_organizations')),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_requests_requester_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requests')),
    sa.UniqueConstraint('ref', name=op.f('uq_requests_ref')),
    sa.UniqueConstraint('ref_year', 'ref_seq', name='uq_requests_ref_year_seq')
    )
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.create_index('ix_requests_agency_next_due', ['agency_id', 'next_due', 'id'], unique=False)
        batch_op.create_index('ix_requests_next_due_id', ['next_due', 'id'], unique=False)
        batch_op.create_index('ix_requests_org_next_due', ['organization_id', 'next_due', 'id'], unique=False)
        batch_op.create_index('ix_requests_requester_next_due', ['requester_id', 'next_due', 'id'], unique=False)
        batch_op.create_index('ix_requests_status_next_due', ['status', 'next_due', 'id'], unique=False)
        batch_op.create_index('ix_requests_visibility_next_due', ['visibility', 'next_due', 'id'], unique=False)


def downgrade():
    op.drop_table('requests')
