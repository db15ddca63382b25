"""The outbox is taken in due order: an index on ``(available_at, id)``.

Workers claim, and the Redis relay publishes, the due rows oldest-due first
(``available_at``, then ``id``). The index serves both the condition and the
order, so with the table's statistics a claim reads only the rows it takes,
and retries waiting for later are past its range. Without statistics
(autovacuum off, or a table never analyzed) PostgreSQL believes the outbox
holds a dozen rows and scans and sorts the whole backlog on every claim,
whichever the order or index: 10 ms per claim with 11,000 rows waiting
(docs/performance.md).

PostgreSQL: the outbox is a queue, every row inserted, updated and deleted
within seconds, so autovacuum visits it after 1,000 changes whatever its size
(the default waits for 20% of the table): dead rows do not pile up in front of
the claims, and the planner has the backlog's statistics.

Revision ID: 0007
Revises: 0006
"""

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_available_at')
        batch_op.create_index('ix_outbox_due', ['available_at', 'id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE outbox SET ({_QUEUE_AUTOVACUUM})")


_QUEUE_AUTOVACUUM = ("autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, "
                     "autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE outbox RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, "
                   "autovacuum_analyze_scale_factor, autovacuum_analyze_threshold)")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_due')
        batch_op.create_index('ix_outbox_available_at', ['available_at'], unique=False)
