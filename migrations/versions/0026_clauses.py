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
    pass


def downgrade():
    pass
