"""Returns (RMAs) with their status history, and the per (order, sku) return claims.

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('returns',
    sa.Column('rma_id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('consumer', sa.String(length=200), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('refund_amount', sa.String(length=24), nullable=False),
    sa.Column('refund_status', sa.String(length=16), nullable=False),
    sa.Column('refund_method', sa.String(length=16), nullable=False),
    sa.Column('refund_reason', sa.String(length=500), nullable=True),
    sa.Column('saga_step', sa.String(length=32), nullable=True),
    sa.Column('credit_memo_id', sa.String(length=64), nullable=True),
    sa.Column('refund_id', sa.String(length=64), nullable=True),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('rma_id', name=op.f('pk_returns'))
    )
    with op.batch_alter_table('returns', schema=None) as batch_op:
        batch_op.create_index('ix_returns_order_id', ['order_id'], unique=False)
        batch_op.create_index('ix_returns_customer_created', ['customer_id', 'created_at'], unique=False)

    op.create_table('return_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('rma_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('refund_status', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_history'))
    )
    with op.batch_alter_table('return_history', schema=None) as batch_op:
        batch_op.create_index('ix_return_history_rma_id', ['rma_id'], unique=False)

    op.create_table('return_claims',
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('claimed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('order_id', 'sku', name=op.f('pk_return_claims'))
    )


def downgrade() -> None:
    op.drop_table('return_claims')
    with op.batch_alter_table('return_history', schema=None) as batch_op:
        batch_op.drop_index('ix_return_history_rma_id')

    op.drop_table('return_history')
    with op.batch_alter_table('returns', schema=None) as batch_op:
        batch_op.drop_index('ix_returns_customer_created')
        batch_op.drop_index('ix_returns_order_id')

    op.drop_table('returns')
