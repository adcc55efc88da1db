"""counts maintained as requests change (dashboard status counts, month grid, agency statistics), shared by every worker (issue 18)

Revision ID: 0022_maintained_counts
Revises: 0021_search_visibility
Create Date: 2026-11-30 20:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_maintained_counts'
down_revision = '0021_search_visibility'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
