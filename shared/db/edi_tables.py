"""EDI tables (issue 13): every X12 document in and out, each purchase order's outcome, and
the control numbers per trading partner. Same metadata as ``shared.db.tables``; migration
0023 creates them.

``edi_documents`` is unique per (partner, direction, type, ref): an inbound interchange by
its ISA13 (a resend is recognised, TA1 025), an outbound document by what it answers (the
interchange for a 997, ISA13:ST02 for an 855, the shipment id for an 856 and an 810), so
a handler run twice writes nothing twice. ``edi_control_numbers`` holds the last ISA13,
GS06 and ST02 the hub sent each partner; a row is locked while a document is numbered.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Index, Integer, String, Table, Text, UniqueConstraint

from shared.db.tables import BigId, metadata

edi_documents = Table(
    "edi_documents",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("partner", String(64), nullable=False),
    Column("direction", String(3), nullable=False),  # in | out
    Column("doc_type", String(3), nullable=False),  # 850 (an inbound interchange), 997, TA1, 855, 856, 810
    Column("ref", String(120), nullable=False),
    Column("interchange_control", String(9), nullable=False),  # ISA13
    Column("group_control", String(9), nullable=True),  # GS06
    Column("set_control", String(9), nullable=True),  # ST02
    Column("status", String(24), nullable=False),  # in: accepted | partially_accepted | rejected; out: sent
    Column("order_id", String(40), nullable=True),
    Column("po_number", String(40), nullable=True),
    Column("raw", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("partner", "direction", "doc_type", "ref", name="uq_edi_documents_ref"),
    sqlite_autoincrement=True,
)
Index("ix_edi_documents_partner_id", edi_documents.c.partner, edi_documents.c.id)

edi_orders = Table(
    "edi_orders",
    metadata,
    Column("partner", String(64), primary_key=True),
    Column("interchange_control", String(9), primary_key=True),
    Column("set_control", String(9), primary_key=True),
    Column("po_number", String(40), nullable=False),
    Column("outcome", String(24), nullable=False),  # accepted | accepted_with_changes | rejected | duplicate
    Column("order_id", String(40), nullable=True),
    Column("detail", String(500), nullable=True),  # the refusal's code (rejected, lines left out)
    Column("purchase_order", JSON, nullable=False),  # the 850 as read: PO1 line ids for the 855, 856, 810
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_edi_orders_order_id", edi_orders.c.order_id)

edi_control_numbers = Table(
    "edi_control_numbers",
    metadata,
    Column("partner", String(64), primary_key=True),
    Column("interchange", Integer, nullable=False),
    Column("group_number", Integer, nullable=False),
    Column("transaction_set", Integer, nullable=False),
)
