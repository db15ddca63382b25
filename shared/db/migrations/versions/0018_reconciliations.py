"""Reconciliation (issue 11): the runs (one running at a time: a partial unique index) and
their findings.

Revision ID: 0018
Revises: 0013
"""

from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('reconcile_runs',
    sa.Column('id', _BigId, autoincrement=True, nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('who', sa.String(length=250), nullable=True),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('findings_dropped', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconcile_runs')),
    sqlite_autoincrement=True,
    )
    op.create_index('uq_reconcile_runs_running', 'reconcile_runs', ['status'], unique=True,
                    sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'"))
    op.create_index('ix_reconcile_runs_started_at', 'reconcile_runs', ['started_at'], unique=False)
    op.create_table('reconcile_findings',
    sa.Column('id', _BigId, autoincrement=True, nullable=False),
    sa.Column('run_id', _BigId, nullable=False),
    sa.Column('check_name', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('expected', sa.String(length=500), nullable=True),
    sa.Column('actual', sa.String(length=500), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['reconcile_runs.id'], name=op.f('fk_reconcile_findings_run_id_reconcile_runs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconcile_findings')),
    sqlite_autoincrement=True,
    )
    op.create_index('ix_reconcile_findings_run_id', 'reconcile_findings', ['run_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_reconcile_findings_run_id', table_name='reconcile_findings')
    op.drop_table('reconcile_findings')
    op.drop_index('ix_reconcile_runs_started_at', table_name='reconcile_runs')
    op.drop_index('uq_reconcile_runs_running', table_name='reconcile_runs')
    op.drop_table('reconcile_runs')
