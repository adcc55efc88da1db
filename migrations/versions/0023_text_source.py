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
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text_source', sa.String(length=10), server_default='none', nullable=False))
    # Backfill: a document whose extracted text is in the search index got it from its own text layer (there
    # was no OCR before this revision); every other one has none. OCR jobs are kind 'ocr' in the jobs table.
    op.execute(
        "UPDATE documents SET text_source = 'embedded' WHERE EXISTS ("
        "SELECT 1 FROM search_entries s WHERE s.source_type = 'document' AND s.source_id = documents.id"
        " AND s.body <> '')"
    )


def downgrade():
    op.execute("DELETE FROM jobs WHERE kind = 'ocr'")
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_column('text_source')
