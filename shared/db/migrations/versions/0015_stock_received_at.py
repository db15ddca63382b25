"""A stock level remembers when the hub received its report and when checkout could see it.

``received_at`` is when the inbound hook queued the report (its outbox message's
``created_at``); ``visible_at`` is when the report was applied and the SKU's cached
answers dropped. Their difference is the inventory propagation lag to checkout that
``/admin/v1/flows`` and the ``inventory_lag`` alert read (issue 12). Rows written
before this, and rows loaded from the backends rather than reported, have ``NULL``.

Revision ID: 0015
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stock_levels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('visible_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_stock_levels_visible_at', 'stock_levels', ['visible_at'])


def downgrade() -> None:
    op.drop_index('ix_stock_levels_visible_at', table_name='stock_levels')
    with op.batch_alter_table('stock_levels', schema=None) as batch_op:
        batch_op.drop_column('visible_at')
        batch_op.drop_column('received_at')
