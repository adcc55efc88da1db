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
    pass


def downgrade():
    pass
