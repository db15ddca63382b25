"""An order's release parts, one per fulfilment connection its lines are routed to (issue 13).

Revision ID: 0025
Revises: 0024_erp_migration
"""

from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('order_releases',
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('connection', sa.String(length=40), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fulfilment_id', sa.String(length=64), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('order_id', 'connection', name=op.f('pk_order_releases')),
    )
    op.create_index('ix_order_releases_fulfilment_id', 'order_releases', ['fulfilment_id'], unique=False)
    op.create_index('ix_order_releases_open', 'order_releases', ['connection', 'shipped_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_order_releases_open', table_name='order_releases')
    op.drop_index('ix_order_releases_fulfilment_id', table_name='order_releases')
    op.drop_table('order_releases')
