"""Dead letters at operator scale (issue 12): status, resolution and note; the audit log;
indexes for the dead-letter filters.

Revision ID: 0013
Revises: 0012
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table('dead_letters') as batch:
        batch.add_column(sa.Column('status', sa.String(length=16), nullable=False, server_default='open'))
        batch.add_column(sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('resolved_by', sa.String(length=250), nullable=True))
        batch.add_column(sa.Column('note', sa.String(length=1000), nullable=True))
    op.execute("UPDATE dead_letters SET status = 'replayed' WHERE replayed_at IS NOT NULL")
    op.create_index('ix_dead_letters_status_dead_at', 'dead_letters', ['status', 'dead_at'], unique=False)
    op.create_index('ix_dead_letters_backend_dead_at', 'dead_letters', ['backend', 'dead_at'], unique=False)
    op.create_index('ix_dead_letters_topic_dead_at', 'dead_letters', ['topic', 'dead_at'], unique=False)
    op.create_table('audit_log',
    sa.Column('id', _BigId, autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_key_id', sa.String(length=40), nullable=True),
    sa.Column('actor_consumer', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table('audit_log')
    op.drop_index('ix_dead_letters_topic_dead_at', table_name='dead_letters')
    op.drop_index('ix_dead_letters_backend_dead_at', table_name='dead_letters')
    op.drop_index('ix_dead_letters_status_dead_at', table_name='dead_letters')
    with op.batch_alter_table('dead_letters') as batch:
        batch.drop_column('note')
        batch.drop_column('resolved_by')
        batch.drop_column('resolved_at')
        batch.drop_column('status')
