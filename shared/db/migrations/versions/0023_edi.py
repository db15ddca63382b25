"""EDI (issue 13): X12 documents in and out, purchase order outcomes, control numbers.

Revision ID: 0023
Revises: 0018
"""

from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0021'
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('edi_documents',
    sa.Column('id', _BigId, autoincrement=True, nullable=False),
    sa.Column('partner', sa.String(length=64), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('doc_type', sa.String(length=3), nullable=False),
    sa.Column('ref', sa.String(length=120), nullable=False),
    sa.Column('interchange_control', sa.String(length=9), nullable=False),
    sa.Column('group_control', sa.String(length=9), nullable=True),
    sa.Column('set_control', sa.String(length=9), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=True),
    sa.Column('po_number', sa.String(length=40), nullable=True),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_edi_documents')),
    sa.UniqueConstraint('partner', 'direction', 'doc_type', 'ref', name='uq_edi_documents_ref'),
    sqlite_autoincrement=True,
    )
    op.create_index('ix_edi_documents_partner_id', 'edi_documents', ['partner', 'id'], unique=False)
    op.create_table('edi_orders',
    sa.Column('partner', sa.String(length=64), nullable=False),
    sa.Column('interchange_control', sa.String(length=9), nullable=False),
    sa.Column('set_control', sa.String(length=9), nullable=False),
    sa.Column('po_number', sa.String(length=40), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=True),
    sa.Column('detail', sa.String(length=500), nullable=True),
    sa.Column('purchase_order', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('partner', 'interchange_control', 'set_control', name=op.f('pk_edi_orders')),
    )
    op.create_index('ix_edi_orders_order_id', 'edi_orders', ['order_id'], unique=False)
    op.create_table('edi_control_numbers',
    sa.Column('partner', sa.String(length=64), nullable=False),
    sa.Column('interchange', sa.Integer(), nullable=False),
    sa.Column('group_number', sa.Integer(), nullable=False),
    sa.Column('transaction_set', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('partner', name=op.f('pk_edi_control_numbers')),
    )


def downgrade() -> None:
    op.drop_table('edi_control_numbers')
    op.drop_index('ix_edi_orders_order_id', table_name='edi_orders')
    op.drop_table('edi_orders')
    op.drop_index('ix_edi_documents_partner_id', table_name='edi_documents')
    op.drop_table('edi_documents')
