"""A stock level remembers when the hub received its report and when checkout could see it;
a dead letter remembers who replayed it.

``received_at`` is when the inbound hook queued the report (its outbox message's
``created_at``); ``visible_at`` is when the report was applied and the SKU's cached
answers dropped. Their difference is the inventory propagation lag to checkout that
``/admin/v1/flows`` and the ``inventory_lag`` alert read (issue 12). Rows written
before this, and rows loaded from the backends rather than reported, have ``NULL``.

``dead_letters.replayed_by`` names the operator who replayed a letter (one or in bulk), as
``resolved_by`` names who resolved one: the journey shows it (``NULL`` before this).
``ix_journey_steps_step_at`` serves a flow's handler latency (its topics' newest steps),
``ix_webhook_deliveries_delivered_at`` the partner webhooks flow's throughput and latency.

Revision ID: 0015
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stock_levels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('visible_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_stock_levels_visible_at', 'stock_levels', ['visible_at'])
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replayed_by', sa.String(length=250), nullable=True))
    op.create_index('ix_journey_steps_step_at', 'journey_steps', ['step', 'at'])
    op.create_index('ix_webhook_deliveries_delivered_at', 'webhook_deliveries', ['delivered_at'])


def downgrade() -> None:
    op.drop_index('ix_webhook_deliveries_delivered_at', table_name='webhook_deliveries')
    op.drop_index('ix_journey_steps_step_at', table_name='journey_steps')
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.drop_column('replayed_by')
    op.drop_index('ix_stock_levels_visible_at', table_name='stock_levels')
    with op.batch_alter_table('stock_levels', schema=None) as batch_op:
        batch_op.drop_column('visible_at')
        batch_op.drop_column('received_at')
