"""The ERP replica (issue 11): what order validation and price answers read of the ERP, kept
in the hub's database so they keep working through an ERP outage. Same metadata as
``shared.db.tables``; migration 0016 creates them. Money is a decimal string, as on the wire.

``heard_at`` on every record is when the hub last read it from the ERP (a full sync, a change
event's fetch or a live read on a miss): the answers' ``as_of`` and the staleness rule use it.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, String, Table

from shared.db.tables import metadata

erp_items = Table(
    "erp_items",
    metadata,
    Column("sku", String(100), primary_key=True),
    Column("name", String(500), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("list_price", String(32), nullable=False),
    Column("orderable", Boolean, nullable=False),
    Column("final_sale", Boolean, nullable=False),
    Column("breaks", JSON, nullable=False),  # [[min_quantity, "unit price"], ...] ascending
    Column("modified_at", DateTime(timezone=True), nullable=True),  # the ERP's lastModified
    Column("heard_at", DateTime(timezone=True), nullable=False),
)

erp_customers = Table(
    "erp_customers",
    metadata,
    Column("customer_id", String(100), primary_key=True),
    Column("name", String(500), nullable=False),
    Column("terms", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("credit_limit", String(32), nullable=False),
    Column("credit_hold", Boolean, nullable=False),
    Column("heard_at", DateTime(timezone=True), nullable=False),
)

# One row per customer: the whole contract price list, replaced as one (empty when none).
erp_contract_prices = Table(
    "erp_contract_prices",
    metadata,
    Column("customer_id", String(100), primary_key=True),
    Column("prices", JSON, nullable=False),  # {"SKU-1001": "99.00", ...}
    Column("heard_at", DateTime(timezone=True), nullable=False),
)

# One row (name "erp"): the last full sync and event, and the lease that lets one process sync.
erp_sync_state = Table(
    "erp_sync_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("full_sync_started_at", DateTime(timezone=True), nullable=True),
    Column("full_sync_at", DateTime(timezone=True), nullable=True),  # when the last complete sync began
    Column("event_at", DateTime(timezone=True), nullable=True),  # when the last change event was applied
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
)
