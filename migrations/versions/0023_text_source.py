"""documents say where their text came from (embedded / OCR / none); OCR jobs (issue 18)

Revision ID: 0023_text_source
Revises: 0022_maintained_counts
Create Date: 2026-11-30 20:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_text_source'
down_revision = '0022_maintained_counts'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
