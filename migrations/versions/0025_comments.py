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
    pass


def downgrade():
    pass
