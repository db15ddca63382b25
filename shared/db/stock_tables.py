"""Stock tables beside ``shared.db.tables`` (issue 11), on the same metadata; migration 0014.

``stock_loads`` says which stock source has answered for which SKU: one row per
(sku, source) once that source's every location of the SKU is in ``stock_levels``
(its events keep them current from then on). A SKU is fully loaded when every
configured source has its row; a source that was down when the SKU was first
read has none, so the next read asks it again.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, String, Table

from shared.db.tables import metadata

stock_loads = Table(
    "stock_loads",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("source", String(16), primary_key=True),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)
