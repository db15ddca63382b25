"""Operations (issue 12): backend reports and pauses, alert state and history, and indexes
that keep the flows' time-bounded counts on an index (order and return history by time).

Revision ID: 0010
Revises: 0008 (0009 after the merge with journeys)
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_index('ix_order_history_at', 'order_history', ['at'], unique=False)
    op.create_index('ix_return_history_at', 'return_history', ['at'], unique=False)
    op.create_index('ix_orders_status_updated', 'orders', ['status', 'updated_at'], unique=False)
    op.create_index('ix_returns_refund_status_updated', 'returns', ['refund_status', 'updated_at'], unique=False)
    op.create_table(
        'backend_reports',
        sa.Column('backend', sa.String(length=32), nullable=False),
        sa.Column('instance', sa.String(length=64), nullable=False),
        sa.Column('report', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('backend', 'instance', name='pk_backend_reports'),
    )
    op.create_table(
        'backend_pauses',
        sa.Column('backend', sa.String(length=32), nullable=False),
        sa.Column('paused_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('paused_by', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('backend', name='pk_backend_pauses'),
    )
    op.create_table(
        'alert_states',
        sa.Column('rule', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('since', sa.DateTime(timezone=True), nullable=False),
        sa.Column('detail', sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint('rule', name='pk_alert_states'),
    )
    op.create_table(
        'alert_events',
        sa.Column('id', _BIGID, autoincrement=True, nullable=False),
        sa.Column('rule', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('detail', sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_alert_events'),
    )
    op.create_index('ix_alert_events_at', 'alert_events', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_alert_events_at', table_name='alert_events')
    op.drop_table('alert_events')
    op.drop_table('alert_states')
    op.drop_table('backend_pauses')
    op.drop_table('backend_reports')
    op.drop_index('ix_returns_refund_status_updated', table_name='returns')
    op.drop_index('ix_orders_status_updated', table_name='orders')
    op.drop_index('ix_return_history_at', table_name='return_history')
    op.drop_index('ix_order_history_at', table_name='order_history')
