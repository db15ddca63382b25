"""The retention sweeper finds old processed-message ids on an index of ``processed_at``.

``processed_messages`` was never swept; the workers' sweeper now deletes the
ids recorded more than HUB_PROCESSED_MESSAGE_RETENTION_SECONDS ago, a bounded
batch per statement, which without this index would scan the whole table for
each batch. (``idempotency_keys`` already has ``ix_idempotency_keys_expires_at``.)

Revision ID: 0008
Revises: 0007
"""

from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('processed_messages', schema=None) as batch_op:
        batch_op.create_index('ix_processed_messages_processed_at', ['processed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('processed_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_processed_messages_processed_at')
