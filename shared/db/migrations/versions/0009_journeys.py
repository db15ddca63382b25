"""Journeys: every identifier indexed, the trace of each step, and the workers' step record.

- Partial indexes on the identifiers an order or return carries in its own row
  (channel order ref, PO number, ERP sales order number, WMS fulfilment id,
  credit memo id, refund id): a NULL is not indexed, so order capture, where
  most of them are still NULL, pays nothing for them. Shipment id and tracking
  number, the outbox's and the dead letters' keys, indexed in full.
- ``journey_refs``: identifiers with no column of their own (a Shopify webhook
  id), naming the identifier they lead to.
- ``journey_steps``: each message outcome of a journey (done, retried,
  dead-lettered; attempts, latency, backend, trace), written by the workers in
  the transaction that records the outcome.
- ``outbox.traceparent``: the W3C trace context of the request that enqueued a
  message, so its handler's span is a child of that trace;
  ``order_history.trace_id`` and ``return_history.trace_id``: the trace a
  change happened in.
- PostgreSQL: ``hub_capture_order`` takes the request's ``traceparent`` (one
  more argument; still one round trip) and stores it on the outbox row and the
  first history entry.

Revision ID: 0009
Revises: 0008
"""

import importlib

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_PARTIAL = (("orders", "channel_order_ref"), ("orders", "po_number"), ("orders", "erp_order_number"),
            ("orders", "fulfilment_id"), ("returns", "credit_memo_id"), ("returns", "refund_id"))
_FULL = (("shipments", "shipment_id"), ("shipments", "tracking_number"), ("outbox", "key"), ("dead_letters", "key"))

_CAPTURE = importlib.import_module("shared.db.migrations.versions.0006_capture_order_function")
_NEW_ARGS = "p_credit_customer text, p_credit_cents bigint, p_credit_limit_cents bigint,\n    p_traceparent text"
_CREATE = (_CAPTURE.CREATE
           .replace("p_credit_customer text, p_credit_cents bigint, p_credit_limit_cents bigint", _NEW_ARGS)
           .replace("INSERT INTO order_history (order_id, status, at, detail) VALUES (p_order_id, 'accepted', "
                    "p_created_at, NULL);",
                    "INSERT INTO order_history (order_id, status, at, detail, trace_id)\n"
                    "    VALUES (p_order_id, 'accepted', p_created_at, NULL, split_part(p_traceparent, '-', 2));")
           .replace("INSERT INTO outbox (topic, key, payload, attempts, available_at, created_at)\n"
                    "    VALUES (p_topic, p_order_id, p_payload, 0, p_created_at, p_created_at);",
                    "INSERT INTO outbox (topic, key, payload, attempts, available_at, created_at, traceparent)\n"
                    "    VALUES (p_topic, p_order_id, p_payload, 0, p_created_at, p_created_at, p_traceparent);"))
assert "p_traceparent);" in _CREATE and "split_part" in _CREATE, "0006's function text changed: update 0009"
_DROP_NEW = _CAPTURE.DROP.replace("text, bigint, bigint)", "text, bigint, bigint, text)")


def upgrade() -> None:
    for table, column in (("order_history", "trace_id"), ("return_history", "trace_id")):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.String(length=32), nullable=True))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('traceparent', sa.String(length=55), nullable=True))
    for table, column in _PARTIAL:
        present = sa.text(f"{column} IS NOT NULL")
        op.create_index(f"ix_{table}_{column}", table, [column], unique=False,
                        sqlite_where=present, postgresql_where=present)
    for table, column in _FULL:
        op.create_index(f"ix_{table}_{column}", table, [column], unique=False)
    op.create_table(
        'journey_refs',
        sa.Column('ref', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.String(length=128), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('ref', 'subject', name=op.f('pk_journey_refs')),
    )
    op.create_table(
        'journey_steps',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('subject', sa.String(length=128), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('layer', sa.String(length=16), nullable=False),
        sa.Column('step', sa.String(length=64), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('backend', sa.String(length=32), nullable=True),
        sa.Column('latency_ms', sa.Float(), nullable=True),
        sa.Column('schema_version', sa.Integer(), nullable=False),
        sa.Column('trace_id', sa.String(length=32), nullable=True),
        sa.Column('message_id', sa.String(length=40), nullable=False),
        sa.Column('detail', sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_steps')),
    )
    op.create_index('ix_journey_steps_subject', 'journey_steps', ['subject', 'id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_CAPTURE.DROP)
        op.execute(_CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_DROP_NEW)
        op.execute(_CAPTURE.CREATE)
    op.drop_index('ix_journey_steps_subject', table_name='journey_steps')
    op.drop_table('journey_steps')
    op.drop_table('journey_refs')
    for table, column in _FULL + _PARTIAL:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('traceparent')
    for table in ("return_history", "order_history"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('trace_id')
