"""The EDI codec port: X12 documents in canonical terms, and what the process asks of it.

The process API never sees a segment: an interchange comes in as ``Received``
(its envelope ids and each purchase order, or where a set is wrong), and the
documents it sends out are asked for as ``Acknowledgement``, ``OrderAck``,
``ShipNotice`` and ``Invoice`` and come back as X12 text.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol

import msgspec

from shared.models import Address


class Struct(msgspec.Struct, frozen=True, kw_only=True):
    pass


class PartnerIds(Struct):
    """A trading partner's (or the hub's own) identifiers on the envelopes."""

    isa_qualifier: str
    isa_id: str
    gs_id: str


class PoLine(Struct):
    line_id: str
    """PO101, echoed on the 855, 856 and 810 lines."""
    sku: str
    quantity: int
    unit_price: Decimal | None = None
    unit: str = "EA"


class PurchaseOrder(Struct):
    po_number: str
    """BEG03."""
    po_date: str
    """BEG05, CCYYMMDD."""
    control: str
    """ST02 of the 850."""
    lines: tuple[PoLine, ...]
    currency: str = "USD"
    ship_to: Address | None = None
    """N1*ST with its N3 and N4."""


class SetProblem(Struct):
    """A rejected transaction set, as the 997 names it (AK3/AK4/AK5 codes)."""

    code: str
    control: str
    ak5: str
    segment: str
    position: int
    ak3: str = ""
    element: int | None = None
    ak4: str = ""
    value: str = ""
    detail: str = ""


class GroupIn(Struct):
    functional_id: str
    control: str
    version: str
    orders: tuple[PurchaseOrder, ...] = ()
    problems: tuple[SetProblem, ...] = ()
    error: str = ""
    """AK905 when the group envelope itself is wrong (then nothing of it is used)."""
    sets: int = 0
    """Transaction sets the group holds."""


class Received(Struct):
    sender: PartnerIds
    receiver: PartnerIds
    control: str
    """ISA13."""
    version: str
    groups: tuple[GroupIn, ...] = ()
    envelope_error: str = ""
    """TA1 code when the interchange envelope is wrong: nothing of it is used."""
    error_segment: str = ""
    detail: str = ""


class AckLine(Struct):
    line: PoLine
    status: Literal["IA", "IR", "IP"]
    """ACK01: IA accepted, IR rejected, IP accepted at another price."""
    unit_price: Decimal | None = None
    reason: str = ""


class OrderAck(Struct):
    """855: BAK02 AD accepted, AC accepted with changes (some lines rejected), RJ rejected."""

    po: PurchaseOrder
    status: Literal["AD", "AC", "RJ"]
    lines: tuple[AckLine, ...]
    order_id: str | None = None


class Shipped(Struct):
    po: PurchaseOrder
    order_id: str
    shipment_id: str
    carrier: str
    tracking_number: str
    shipped_at: datetime
    lines: tuple[tuple[PoLine, int, Decimal], ...]
    """Each shipped PO line with the units shipped and the unit price invoiced."""
    currency: str = "USD"


class Envelope(Struct):
    """Who sends to whom, under which control numbers, at what time."""

    sender: PartnerIds
    receiver: PartnerIds
    interchange: int
    group: int
    transaction: int
    at: datetime
    version: str = "004010"


class X12Codec(Protocol):
    def read(self, raw: bytes) -> Received:
        """Raises ``BadRequest(code="edi_unreadable")`` when there is no ISA to read."""
        ...

    def functional_ack(self, env: Envelope, received: Received) -> str:
        """The 997 for every group of ``received`` (a TA1 first when its envelope is wrong)."""
        ...

    def order_ack(self, env: Envelope, ack: OrderAck) -> str: ...

    def ship_notice(self, env: Envelope, shipped: Shipped) -> str: ...

    def invoice(self, env: Envelope, shipped: Shipped) -> str: ...
