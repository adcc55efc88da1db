"""request assignee, tags and saved list views (issue 19)

Revision ID: 0027_team
Revises: 0026_clauses
Create Date: 2026-11-30 23:40:03.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027_team'
down_revision = '0026_clauses'
branch_labels = None
depends_on = None


def upgrade():
    # requests carries the counting triggers of 0022: batch_alter_table would rebuild it on SQLite and drop
    # them, so the column is added with a plain ALTER TABLE there.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE requests ADD COLUMN assignee_id INTEGER '
                   'CONSTRAINT fk_requests_assignee_id_users REFERENCES users (id)')
    else:
        op.add_column('requests', sa.Column('assignee_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_requests_assignee_id_users', 'requests', 'users', ['assignee_id'], ['id'])
    op.create_index('ix_requests_assignee_next_due', 'requests', ['assignee_id', 'next_due', 'id'], unique=False)

    op.create_table('tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('name_key', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_tags_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_tags_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tags')),
    sa.UniqueConstraint('organization_id', 'name_key', name='uq_tags_organization_name')
    )
    op.create_table('request_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_request_tags_request_id_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_request_tags_tag_id_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_tags')),
    sa.UniqueConstraint('request_id', 'tag_id', name='uq_request_tags_request_tag')
    )
    op.create_index('ix_request_tags_tag_request', 'request_tags', ['tag_id', 'request_id'], unique=False)
    op.create_table('saved_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('query', sa.String(length=1000), nullable=False),
    sa.Column('shared', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_saved_views_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_views_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_views')),
    sa.UniqueConstraint('user_id', 'name', name='uq_saved_views_user_name')
    )
    op.create_index('ix_saved_views_org_shared', 'saved_views', ['organization_id', 'shared'], unique=False)


def downgrade():
    op.drop_index('ix_saved_views_org_shared', table_name='saved_views')
    op.drop_table('saved_views')
    op.drop_index('ix_request_tags_tag_request', table_name='request_tags')
    op.drop_table('request_tags')
    op.drop_table('tags')
    op.drop_index('ix_requests_assignee_next_due', table_name='requests')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_requests_assignee_id_users', 'requests', type_='foreignkey')
    op.drop_column('requests', 'assignee_id')
