"""index for the sweep's same-deadline lookup at 1M reminder rows (issue 18)

Revision ID: 0028_reminder_batches
Revises: 0027_team
Create Date: 2026-11-30 23:40:04.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028_reminder_batches'
down_revision = '0027_team'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
