"""EDI capture when the order capture cannot run now (issue 13): the 850 waits in the outbox
with the interchange and is captured once by the worker's handler, its 855 sent once, however
often the message runs; on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from process_apis.edi.outbound import Outbound, Partners
from process_apis.edi.schemas import CaptureJob, TradingPartner
from process_apis.edi.service import CAPTURE_TOPIC, EdiService
from process_apis.orders.schemas import OrderLineView, OrderView, Placed, PlaceOrder
from shared.db.edi_tables import edi_documents
from shared.db.engine import create_engine, dispose
from shared.db.tables import outbox
from shared.errors import BackendUnavailable, BusinessRuleViolation
from shared.messaging.outbox import Message
from system_apis.edi.codec import X12
from system_apis.edi.port import PartnerIds
from tests.edi_samples import purchase_order

BUYER = PartnerIds(isa_qualifier="ZZ", isa_id="ACMEBUYER", gs_id="ACMEBUYER")
HUB = PartnerIds(isa_qualifier="ZZ", isa_id="COMMERCEHUB", gs_id="COMMERCEHUB")


class FakeOrders:
    """The order port: down while ``down``; one order per idempotency key; SKU-9999 unknown."""

    def __init__(self) -> None:
        self.down = False
        self.placed: dict[str, OrderView] = {}

    async def place_order(self, command: PlaceOrder, idempotency_key: str) -> Placed:
        if self.down:
            raise BackendUnavailable("ERP down", backend="erp")
        bad = [i for i, line in enumerate(command.lines) if line.sku == "SKU-9999"]
        if bad:
            raise BusinessRuleViolation("unknown", code="unknown_sku",
                                        errors=[{"field": f"lines[{i}].sku", "message": "x"} for i in bad])
        if idempotency_key not in self.placed:
            lines = tuple(OrderLineView(sku=l.sku, quantity=l.quantity, unit_price=Decimal("8.75"),
                                        extended_price=Decimal("8.75") * l.quantity) for l in command.lines)
            self.placed[idempotency_key] = OrderView(
                order_id=f"ord_{len(self.placed) + 1}", status="accepted", channel="partner", currency="USD",
                lines=lines, total=sum((l.extended_price for l in lines), Decimal(0)), created_at=datetime.now(UTC))
        return Placed(order=self.placed[idempotency_key])


@pytest.fixture(params=["sqlite_url", "pg_url"])
def database_url(request) -> str:  # noqa: ANN001
    return request.getfixturevalue(request.param)


@pytest.fixture
async def edi(database_url: str):  # noqa: ANN201
    engine = create_engine(database_url)
    partners = Partners([TradingPartner(name=f"p{uuid.uuid4().hex[:6]}", ids=BUYER, customer_id="CUST-ACME")], HUB)
    orders = FakeOrders()
    yield EdiService(engine, X12(), orders, partners, Outbound(partners)), orders, engine
    await dispose(engine)


async def test_an_850_that_cannot_be_captured_now_is_captured_once_by_the_worker(edi) -> None:  # noqa: ANN001
    service, orders, engine = edi
    orders.down = True
    po = f"PO-{uuid.uuid4().hex[:6]}"
    receipt = await service.receive(purchase_order(uuid.uuid4().int % 10**8 + 1, po,
                                                   [("SKU-1003", 1, None)]).encode())
    assert receipt.status == "accepted" and receipt.orders[0].outcome == "pending"
    assert [d.doc_type for d in receipt.documents] == ["997"]
    async with engine.connect() as conn:
        row = (await conn.execute(select(outbox).where(outbox.c.topic == CAPTURE_TOPIC,
                                                       outbox.c.payload.contains(po)))).one()
    message = Message(id=str(row.id), topic=row.topic, key=row.key, payload=row.payload.encode(), attempts=1)
    with pytest.raises(BackendUnavailable):
        await service.handlers()[CAPTURE_TOPIC](message)  # still down: the worker retries it
    orders.down = False
    for _ in range(3):  # delivered more than once
        await service.handlers()[CAPTURE_TOPIC](message)
    assert len(orders.placed) == 1
    async with engine.connect() as conn:
        acks = (await conn.execute(select(func.count()).select_from(edi_documents).where(
            edi_documents.c.doc_type == "855", edi_documents.c.po_number == po))).scalar_one()
    assert acks == 1


async def test_an_850_captured_in_the_request_leaves_no_safety_net_behind(edi) -> None:  # noqa: ANN001
    """The worker's copy is withdrawn with the outcome: no edi backlog for 850s already captured, and
    a failed capture's copy stays (the test above)."""
    service, orders, engine = edi
    pos = [f"PO-{uuid.uuid4().hex[:6]}" for _ in range(2)]
    for po in pos:
        receipt = await service.receive(purchase_order(uuid.uuid4().int % 10**8 + 1, po,
                                                       [("SKU-1003", 1, None)]).encode())
        assert receipt.orders[0].outcome == "accepted"
    async with engine.connect() as conn:
        left = (await conn.execute(select(func.count()).select_from(outbox).where(
            outbox.c.topic == CAPTURE_TOPIC, outbox.c.payload.contains(pos[0]) | outbox.c.payload.contains(pos[1])
        ))).scalar_one()
    assert left == 0 and len(orders.placed) == 2


async def test_a_refused_line_is_left_out_and_the_rest_is_captured(edi) -> None:  # noqa: ANN001
    service, orders, _engine = edi
    receipt = await service.receive(purchase_order(uuid.uuid4().int % 10**8 + 1, "PO-MIX",
                                                   [("SKU-1003", 2, None), ("SKU-9999", 1, None)]).encode())
    outcome = receipt.orders[0]
    assert outcome.outcome == "accepted_with_changes" and outcome.detail == "unknown_sku"
    [order] = orders.placed.values()
    assert [l.sku for l in order.lines] == ["SKU-1003"]
    assert "BAK*00*AC*PO-MIX" in receipt.documents[1].raw


async def test_control_numbers_rise_per_partner_and_are_never_reused(edi) -> None:  # noqa: ANN001
    service, _orders, _engine = edi
    seen = []
    for n in range(3):
        receipt = await service.receive(purchase_order(uuid.uuid4().int % 10**8 + 1, f"PO-N{n}-{uuid.uuid4().hex[:4]}",
                                                       [("SKU-1003", 1, None)]).encode())
        seen += [int(d.interchange_control) for d in receipt.documents]
    assert seen == sorted(seen) and len(set(seen)) == len(seen) == 6
