"""PostgreSQL: ``hub_capture_order`` holds every SKU of the order in one statement (issue 13's
10,000-line EDI 850), where it ran one UPDATE per SKU in a loop.

The reservation rows are locked first, in SKU order (``SELECT ... ORDER BY sku FOR UPDATE``: the
lock order every capture shares, so two captures never deadlock), then one ``UPDATE ... FROM
unnest(p_skus, p_quantities)`` holds each SKU whose quantity is free, the same condition as
before; fewer rows held than SKUs asked raises ``HUB01`` as a shortage did, undoing everything
(the caller's general path then names the short lines). ``p_skus`` holds each SKU once
(``OrderService`` sums an order's lines per SKU). Same signature: ``CREATE OR REPLACE``. SQLite
has no such function (``process_apis/inventory/holds.py`` is its batched hold).

Revision ID: 0028
Revises: 0024_erp_migration
"""

import importlib

from alembic import op


revision = '0028'
down_revision = '0024_erp_migration'
branch_labels = None
depends_on = None

_LATENCY = importlib.import_module("shared.db.migrations.versions.0021_capture_latency")
_START = _LATENCY._CREATE.index("    FOR i IN 1 .. coalesce(array_length(p_skus, 1), 0) LOOP\n")
_LOOP = _LATENCY._CREATE[_START:_LATENCY._CREATE.index("    END LOOP;\n", _START) + len("    END LOOP;\n")]
"""The loop of 0006 (unchanged since), one UPDATE of ``stock_reservations`` per SKU."""
_BATCH = """    PERFORM 1 FROM stock_reservations r WHERE r.sku = ANY(p_skus) ORDER BY r.sku FOR UPDATE;
    UPDATE stock_reservations r SET reserved = r.reserved + h.q
      FROM unnest(p_skus, p_quantities) AS h(sku, q)
     WHERE r.sku = h.sku
       AND r.reserved + h.q <= (SELECT coalesce(sum(l.available), 0) FROM stock_levels l WHERE l.sku = h.sku);
    GET DIAGNOSTICS v_held = ROW_COUNT;
    IF v_held < coalesce(array_length(p_skus, 1), 0) THEN
        RAISE EXCEPTION 'not enough stock to hold every line' USING ERRCODE = 'HUB01';
    END IF;
"""
assert _LOOP.count("UPDATE stock_reservations") == 1 and "ERRCODE = 'HUB01'" in _LOOP and _LATENCY._CREATE.count("AS $fn$\nBEGIN") == 1, \
    "0021's function text changed: update 0028"
_CREATE = _LATENCY._CREATE.replace(_LOOP, _BATCH).replace("AS $fn$\nBEGIN", "AS $fn$\nDECLARE v_held integer;\nBEGIN")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_LATENCY._CREATE)
