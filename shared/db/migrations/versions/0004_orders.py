"""Orders and their history and shipments, the stock read model and reservations, credit
exposure, the idempotency ledger, the outbox, dead letters and processed messages.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('customer_credit',
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('open_cents', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_customer_credit'))
    )
    op.create_table('dead_letters',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('first_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dead_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replayed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dead_letters'))
    )
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.create_index('ix_dead_letters_dead_at', ['dead_at'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('scope', sa.String(length=300), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('resource_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_idempotency_keys'))
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index('ix_idempotency_keys_expires_at', ['expires_at'], unique=False)

    op.create_table('order_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_history'))
    )
    with op.batch_alter_table('order_history', schema=None) as batch_op:
        batch_op.create_index('ix_order_history_order_id', ['order_id'], unique=False)

    op.create_table('orders',
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('consumer', sa.String(length=200), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('channel_order_ref', sa.String(length=128), nullable=True),
    sa.Column('po_number', sa.String(length=128), nullable=True),
    sa.Column('business_key', sa.String(length=300), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('erp_order_number', sa.String(length=64), nullable=True),
    sa.Column('fulfilment_id', sa.String(length=64), nullable=True),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('ship_to', sa.JSON(), nullable=True),
    sa.Column('payment', sa.JSON(), nullable=True),
    sa.Column('hold_reason', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_orders')),
    sa.UniqueConstraint('business_key', name=op.f('uq_orders_business_key'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_consumer_created', ['consumer', 'created_at'], unique=False)
        batch_op.create_index('ix_orders_customer_created', ['customer_id', 'created_at'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('first_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('available_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_available_at', ['available_at'], unique=False)

    op.create_table('processed_messages',
    sa.Column('consumer', sa.String(length=64), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'message_id', name=op.f('pk_processed_messages'))
    )
    op.create_table('shipments',
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('shipment_id', sa.String(length=64), nullable=False),
    sa.Column('carrier', sa.String(length=64), nullable=False),
    sa.Column('tracking_number', sa.String(length=128), nullable=False),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('order_id', 'shipment_id', name=op.f('pk_shipments'))
    )

    op.create_table('stock_levels',
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('location', sa.String(length=64), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('available', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sku', 'location', name=op.f('pk_stock_levels'))
    )
    op.create_table('stock_reservations',
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('sku', name=op.f('pk_stock_reservations'))
    )


def downgrade() -> None:
    op.drop_table('stock_reservations')
    op.drop_table('stock_levels')
    op.drop_table('shipments')
    op.drop_table('processed_messages')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_available_at')

    op.drop_table('outbox')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_customer_created')
        batch_op.drop_index('ix_orders_consumer_created')

    op.drop_table('orders')
    with op.batch_alter_table('order_history', schema=None) as batch_op:
        batch_op.drop_index('ix_order_history_order_id')

    op.drop_table('order_history')
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_idempotency_keys_expires_at')

    op.drop_table('idempotency_keys')
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.drop_index('ix_dead_letters_dead_at')

    op.drop_table('dead_letters')
    op.drop_table('customer_credit')
