"""Order capture latency (issue 12): the first history entry of an order keeps how long its
capture took, so ``/admin/v1/flows`` reports order capture's p50/p95 for synchronous captures
(storefront, mobile, partner), whose order and 'accepted' entry share one instant.

- ``order_history.latency_ms``: on the 'accepted' entry, milliseconds from the request's
  arrival at the process layer to the capture's last statement before its commit; NULL on
  every other entry (their step latency is the time between two entries).
- PostgreSQL: ``hub_capture_order`` takes ``p_elapsed_ms`` (the time the process layer spent
  before the call, measured on its monotonic clock) and adds the time the function itself ran
  (``clock_timestamp() - statement_timestamp()``, the database's own clock: no skew between
  hosts). The history entry is now written after the holds, as the function's last statement.
  Still one round trip.

Revision ID: 0021
Revises: 0018
"""

import importlib

import sqlalchemy as sa
from alembic import op


revision = '0021'
down_revision = '0018'
branch_labels = None
depends_on = None

_JOURNEYS = importlib.import_module("shared.db.migrations.versions.0009_journeys")
_HISTORY = ("INSERT INTO order_history (order_id, status, at, detail, trace_id)\n"
            "    VALUES (p_order_id, 'accepted', p_created_at, NULL, split_part(p_traceparent, '-', 2));\n")
_TIMED = ("    INSERT INTO order_history (order_id, status, at, detail, trace_id, latency_ms)\n"
          "    VALUES (p_order_id, 'accepted', p_created_at, NULL, split_part(p_traceparent, '-', 2),\n"
          "            p_elapsed_ms + 1000 * extract(epoch FROM clock_timestamp() - statement_timestamp())::float8);\n"
          "    RETURN 'ok';")
_CREATE = (_JOURNEYS._CREATE
           .replace("p_traceparent text\n", "p_traceparent text, p_elapsed_ms double precision\n")
           .replace("    " + _HISTORY, "")
           .replace("    RETURN 'ok';", _TIMED))
assert "p_elapsed_ms double precision" in _CREATE and _CREATE.count("INSERT INTO order_history") == 1 \
    and _CREATE.index("INSERT INTO order_history") > _CREATE.index("customer_credit"), \
    "0009's function text changed: update 0021"
_DROP_NEW = _JOURNEYS._DROP_NEW.replace("bigint, text)", "bigint, text, double precision)")


def upgrade() -> None:
    with op.batch_alter_table("order_history", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latency_ms", sa.Float(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_JOURNEYS._DROP_NEW)
        op.execute(_CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_DROP_NEW)
        op.execute(_JOURNEYS._CREATE)
    with op.batch_alter_table("order_history", schema=None) as batch_op:
        batch_op.drop_column("latency_ms")
