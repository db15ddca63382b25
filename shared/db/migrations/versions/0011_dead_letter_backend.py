"""A dead letter remembers the backend its last error came from.

A replay answers with that backend's circuit (closed, open, half_open, or
unknown) and holds the replayed message until the circuit may probe
(issue 10, defect 16). Rows dead-lettered before this have no backend
(``NULL``): their replay says nothing about a circuit.

Revision ID: 0011
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backend', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.drop_column('backend')
