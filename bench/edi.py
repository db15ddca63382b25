"""EDI bench (issue 13): a 10,000-line X12 850 parsed and accepted, target under 2 s.

Builds one interchange of one 850 with 10,000 PO1 lines (10,000 distinct SKUs), then times
``EdiService.receive``: the X12 read, the 997, the order capture through the same
``OrderService`` as ``POST /v1/partner/orders`` (items, customer and contract read, every
line priced, stock held per SKU, the order and its outbox row in one transaction) and the
855. The back office is an in-memory fake (the sandbox has four SKUs); the database is a
fresh SQLite file (default) or ``--database-url postgresql+asyncpg://...``.

    .venv/bin/python bench/edi.py [--lines 10000] [--runs 3] [--database-url URL ...]

Each run sends a new PO under a new ISA13; the first also loads the stock book for every SKU
(as the first order of a SKU does), the later ones find it loaded. Same-run references, after
each run: the X12 read alone (the parser), and a bare hold: one executemany UPDATE adding the
run's quantities to the same reservation rows (no condition, rolled back), the least a database
does to hold every line. ``--database-url`` may be given several times (SQLite and PostgreSQL
in one run of the bench).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import bindparam, update  # noqa: E402

from process_apis.edi.outbound import Outbound, Partners  # noqa: E402
from process_apis.edi.schemas import TradingPartner  # noqa: E402
from process_apis.edi.service import EdiService  # noqa: E402
from process_apis.inventory.stock import StockBook  # noqa: E402
from process_apis.orders.backoffice import BackOffice  # noqa: E402
from process_apis.orders.service import OrderService  # noqa: E402
from shared.db.engine import create_engine  # noqa: E402
from shared.db.migrate import upgrade  # noqa: E402
from shared.db.tables import stock_reservations  # noqa: E402
from shared.idempotency import IdempotencyLedger  # noqa: E402
from shared.models import ContractPrices, Customer, Item, StockLevel  # noqa: E402
from system_apis.edi import x12  # noqa: E402
from system_apis.edi.codec import X12  # noqa: E402
from system_apis.edi.port import PartnerIds  # noqa: E402

BUYER = PartnerIds(isa_qualifier="ZZ", isa_id="BENCHBUYER", gs_id="BENCHBUYER")
HUB = PartnerIds(isa_qualifier="ZZ", isa_id="COMMERCEHUB", gs_id="COMMERCEHUB")


class Erp:
    def __init__(self, skus: list[str]) -> None:
        self.items = {s: Item(sku=s, name=s, currency="USD", list_price=Decimal("1.25")) for s in skus}

    async def get_item(self, sku: str) -> Item:
        return self.items[sku]

    async def get_customer(self, customer_id: str) -> Customer:
        return Customer(customer_id=customer_id, name="Bench", terms="NET30", currency="USD",
                        credit_limit=Decimal("1000000000.00"))

    async def get_contract_prices(self, customer_id: str) -> ContractPrices:
        return ContractPrices(customer_id=customer_id)


class Timed:
    """The order port, timed: how much of a receive is the order capture itself."""

    def __init__(self, orders: OrderService) -> None:
        self._orders = orders
        self.seconds = 0.0

    async def place_order(self, command, key):  # noqa: ANN001, ANN201
        started = time.perf_counter()
        try:
            return await self._orders.place_order(command, key)
        finally:
            self.seconds += time.perf_counter() - started


class Stock:
    async def get_stock(self, skus: list[str]) -> list[StockLevel]:
        return [StockLevel(sku=s, location="DC-EAST", on_hand=10**6, available=10**6, sequence=1) for s in skus]


def purchase_order(control: int, po_number: str, skus: list[str]) -> bytes:
    body = [["BEG", "00", "SA", po_number, "", "20261206"]]
    body += [["PO1", str(i), str(1 + i % 5), "EA", "1.25", "", "VP", sku] for i, sku in enumerate(skus, start=1)]
    body.append(["CTT", str(len(skus))])
    party = x12.Party(BUYER.isa_qualifier, BUYER.isa_id, BUYER.gs_id)
    hub = x12.Party(HUB.isa_qualifier, HUB.isa_id, HUB.gs_id)
    return x12.render(x12.Separators(), party, hub, interchange=control, group=control, functional_id="PO",
                      version="004010", stamp=("20261206", "1200"), sets=[("850", 1, body)]).encode()


async def bare_hold(engine, skus: list[str]) -> float:  # noqa: ANN001
    """Seconds of one executemany UPDATE over the reservation rows of ``skus``, rolled back."""
    statement = update(stock_reservations).where(stock_reservations.c.sku == bindparam("s")).values(
        reserved=stock_reservations.c.reserved + bindparam("q"))
    async with engine.connect() as conn:
        async with conn.begin() as transaction:
            started = time.perf_counter()
            await conn.execute(statement, [{"s": sku, "q": 1 + i % 5} for i, sku in enumerate(skus)])
            seconds = time.perf_counter() - started
            await transaction.rollback()
    return seconds


async def main(args: argparse.Namespace) -> None:
    for url in args.database_url or [f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/edi-bench.db"]:
        await bench(url, args)


async def bench(url: str, args: argparse.Namespace) -> None:
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    skus = [f"BENCH-{i:05d}" for i in range(args.lines)]
    stock = StockBook(engine, {"wms": Stock()})
    orders = Timed(OrderService(engine, IdempotencyLedger(engine), BackOffice(Erp(skus)), stock))
    partners = Partners([TradingPartner(name="bench", ids=BUYER, customer_id="CUST-BENCH")], HUB)
    edi = EdiService(engine, X12(), orders, partners, Outbound(partners))
    print(f"python {platform.python_version()} ({platform.python_implementation()}), {url.split(':')[0]}, "
          f"{args.lines} lines")
    stamp = int(time.time()) % 100_000
    for run in range(args.runs):
        raw = purchase_order(stamp * 10 + run, f"BENCH-{stamp}-{run}", skus)
        cpu, wall = time.process_time(), time.perf_counter()
        received = X12().read(raw)
        read_s = time.perf_counter() - wall
        cpu, wall, orders.seconds = time.process_time(), time.perf_counter(), 0.0
        receipt = await edi.receive(raw)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        outcome = receipt.orders[0]
        assert outcome.outcome == "accepted" and len(received.groups[0].orders[0].lines) == args.lines, receipt
        print(f"run {run + 1}: {len(raw) / 1024:.0f} KiB; read alone {read_s * 1000:.0f} ms; receive (read, 997, "
              f"capture, 855) {wall:.2f} s wall, {cpu:.2f} s CPU, of which order capture {orders.seconds:.2f} s wall; "
              f"EDI's own part {wall - orders.seconds:.2f} s; bare hold {await bare_hold(engine, skus):.2f} s")
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", action="append")
    asyncio.run(main(parser.parse_args()))
