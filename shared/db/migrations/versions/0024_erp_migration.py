"""Moving to another ERP (issue 13): order owners, the primary in force, shadow-mode differences.

Revision ID: 0024_erp_migration
Revises: 0023
"""

from alembic import op
import sqlalchemy as sa


revision = '0024_erp_migration'
down_revision = '0023'
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('erp_owners',
    sa.Column('ref', sa.String(length=200), nullable=False),
    sa.Column('connection', sa.String(length=40), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('ref', name=op.f('pk_erp_owners')),
    )
    op.create_table('erp_routing_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('primary_connection', sa.String(length=40), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erp_routing_state')),
    )
    op.create_table('erp_diff_counts',
    sa.Column('field', sa.String(length=200), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('field', name=op.f('pk_erp_diff_counts')),
    )
    op.create_table('erp_diff_samples',
    sa.Column('id', _BigId, autoincrement=True, nullable=False),
    sa.Column('field', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('primary_value', sa.Text(), nullable=True),
    sa.Column('secondary_value', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erp_diff_samples')),
    sqlite_autoincrement=True,
    )
    op.create_index('ix_erp_diff_samples_field_id', 'erp_diff_samples', ['field', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_erp_diff_samples_field_id', table_name='erp_diff_samples')
    op.drop_table('erp_diff_samples')
    op.drop_table('erp_diff_counts')
    op.drop_table('erp_routing_state')
    op.drop_table('erp_owners')
