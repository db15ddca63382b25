"""The ERP replica (issue 11 item 2): items, customers, contract prices and the sync state.

Revision ID: 0016
Revises: 0013
"""

from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('erp_items',
    sa.Column('sku', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('list_price', sa.String(length=32), nullable=False),
    sa.Column('orderable', sa.Boolean(), nullable=False),
    sa.Column('final_sale', sa.Boolean(), nullable=False),
    sa.Column('breaks', sa.JSON(), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heard_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sku', name=op.f('pk_erp_items')),
    )
    op.create_table('erp_customers',
    sa.Column('customer_id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('terms', sa.String(length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('credit_limit', sa.String(length=32), nullable=False),
    sa.Column('credit_hold', sa.Boolean(), nullable=False),
    sa.Column('heard_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_erp_customers')),
    )
    op.create_table('erp_contract_prices',
    sa.Column('customer_id', sa.String(length=100), nullable=False),
    sa.Column('prices', sa.JSON(), nullable=False),
    sa.Column('heard_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_erp_contract_prices')),
    )
    op.create_table('erp_sync_state',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('full_sync_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('full_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('event_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_erp_sync_state')),
    )


def downgrade() -> None:
    op.drop_table('erp_sync_state')
    op.drop_table('erp_contract_prices')
    op.drop_table('erp_customers')
    op.drop_table('erp_items')
