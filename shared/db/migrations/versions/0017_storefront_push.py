"""Storefront push (issue 11): storefront_marks and storefront_levels.

Revision ID: 0017
Revises: 0013
"""

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('storefront_marks',
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('seen_version', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sku', name=op.f('pk_storefront_marks')),
    )
    op.create_table('storefront_levels',
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('location', sa.String(length=64), nullable=False),
    sa.Column('desired', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('basis', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pushed', sa.Integer(), nullable=True),
    sa.Column('pushed_version', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('pushed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claim', sa.String(length=40), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('sku', 'location', name=op.f('pk_storefront_levels')),
    )
    op.create_index('ix_storefront_levels_pushed_at', 'storefront_levels', ['pushed_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_storefront_levels_pushed_at', table_name='storefront_levels')
    op.drop_table('storefront_levels')
    op.drop_table('storefront_marks')
