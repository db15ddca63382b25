"""Stock per source (issue 11): ``stock_levels.source`` names the source that reports a
location (wms, pos); ``stock_loads`` records which source has answered for which SKU.

SKUs loaded before this revision (a ``stock_reservations`` row) were read from every
source of the time, the WMS and the POS: they get a ``stock_loads`` row for each, so
nothing is read again. Their level rows keep no source (NULL) and always count, as
before; a resync or a newer report gives them one.

Revision ID: 0014
Revises: 0013
"""

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stock_levels') as batch:
        batch.add_column(sa.Column('source', sa.String(length=16), nullable=True))
    op.create_table('stock_loads',
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sku', 'source', name=op.f('pk_stock_loads'))
    )
    for source in ('wms', 'pos'):
        op.execute(sa.text("INSERT INTO stock_loads (sku, source, loaded_at) "
                           "SELECT sku, :source, CURRENT_TIMESTAMP FROM stock_reservations").bindparams(source=source))


def downgrade() -> None:
    op.drop_table('stock_loads')
    with op.batch_alter_table('stock_levels') as batch:
        batch.drop_column('source')
