"""A polled channel connection's order cursor, kept across restarts (shared/db/channel_poll_tables.py).

Revision ID: 0029
Revises: 0025
"""

from alembic import op
import sqlalchemy as sa


revision = '0029'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channel_poll_cursors',
    sa.Column('connection', sa.String(length=64), nullable=False),
    sa.Column('cursor', sa.Text().with_variant(sa.Text(collation='C'), 'postgresql'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('connection', name=op.f('pk_channel_poll_cursors')),
    )


def downgrade() -> None:
    op.drop_table('channel_poll_cursors')
