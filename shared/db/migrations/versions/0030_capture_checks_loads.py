"""PostgreSQL: ``hub_capture_order`` checks that the order's SKUs are fully loaded itself (issue 14
item 3), so a capture is one round trip where it was two: order acceptance read
``StockBook.load``'s join of reservations, levels and loads first (about a quarter of the
accepting process's time per order, and a statement of its own in the database).

New last parameter ``p_sources text[]``: the stock sources the caller's ``StockBook`` counts.
Before writing anything the function answers ``'unloaded'`` when one of ``p_skus`` lacks a
``stock_loads`` row of one of those sources, or holds a level of a source not among them (a
source no longer configured: not counted). Its hold (``reserved + q <= sum(available)``, every
level) is then the book's own, as ``StockBook.one_trip_holds`` required of the read it
replaces. The caller loads the SKUs and calls again (``OrderService``). A SKU with no
reservation row is still short (``HUB01``). A new signature: the old one is dropped.

Revision ID: 0030
Revises: 0029
"""

import importlib

from alembic import op


revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

_HOLDS = importlib.import_module("shared.db.migrations.versions.0028_capture_holds_batched")
_LATENCY = importlib.import_module("shared.db.migrations.versions.0021_capture_latency")
_CHECK = """BEGIN
    IF EXISTS (SELECT 1 FROM unnest(p_skus) AS s(sku)
                WHERE (SELECT count(*) FROM stock_loads l WHERE l.sku = s.sku AND l.source = ANY(p_sources))
                      < coalesce(array_length(p_sources, 1), 0)
                   OR EXISTS (SELECT 1 FROM stock_levels v WHERE v.sku = s.sku AND v.source IS NOT NULL
                                 AND v.source <> ALL(p_sources))) THEN
        RETURN 'unloaded';
    END IF;
"""
assert _HOLDS._CREATE.count("p_elapsed_ms double precision\n") == 1 and _HOLDS._CREATE.count("\nBEGIN\n") == 1, \
    "0028's function text changed: update 0030"
_CREATE = (_HOLDS._CREATE.replace("p_elapsed_ms double precision\n", "p_elapsed_ms double precision, p_sources text[]\n")
           .replace("BEGIN\n", _CHECK, 1))
_DROP_NEW = _LATENCY._DROP_NEW.replace("double precision)", "double precision, text[])")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_LATENCY._DROP_NEW)
        op.execute(_CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_DROP_NEW)
        op.execute(_HOLDS._CREATE)
