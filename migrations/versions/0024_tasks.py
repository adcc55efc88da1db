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
    pass


def downgrade():
    pass
