"""Releasing an order to the fulfilment connections that serve its lines' locations.

    plan      once per order: each SKU ships from one location served by a fulfilment
              connection (``FulfilmentRoutes``): of those holding the whole quantity, the
              connection declared first, then the most available; if none holds it all, the
              one holding most; if no served location holds the SKU, the default connection
              (the first declared) takes it. Lines keep the order's line order. Stored in
              ``order_releases`` under the order's lock: a redelivery, or a second worker,
              finds the plan made and never routes a line elsewhere after stock moved.
    release   each part not yet marked released goes to its connection (idempotent there on
              the order id, as the one release always was) and is marked released with the
              connection's fulfilment id in its own transaction; a redelivered release skips
              the parts marked, so each part is released once. A connection that fails does
              not stop the others: its failure is recorded on its part and raised after the
              rest were tried (the worker retries ``BackendUnavailable``; a refusal
              dead-letters the message, and its replay releases only what is left).

A hub with one fulfilment connection never plans: the order goes to it whole (``OrderFlows``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.inventory.stock import StockBook
from process_apis.orders import release_parts as parts_repo
from process_apis.orders import repository as repo
from process_apis.orders.release_parts import Part, PartLine
from shared.db.engine import reading
from shared.errors import BackendError, BackendUnavailable, HubError
from shared.models import Address, FulfilmentLine, FulfilmentRequest
from system_apis.wms.fulfilment_routes import FulfilmentRoutes


def plan_lines(lines: Sequence[PartLine], levels: Mapping[str, Mapping[str, int]],
               routes: FulfilmentRoutes) -> dict[str, list[PartLine]]:
    """Connection -> the lines it ships (``lines`` carry no location yet); pure, see the module."""
    wanted: dict[str, int] = {}
    for line in lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    where: dict[str, tuple[str, str | None]] = {}
    for sku, quantity in wanted.items():
        served = [(location, available, name) for location, available in sorted(levels.get(sku, {}).items())
                  if (name := routes.serving(location)) is not None]
        whole = [s for s in served if s[1] >= quantity]
        if whole:
            location, _, name = min(whole, key=lambda s: (routes.rank(s[2]), -s[1], s[0]))
        elif served:
            location, _, name = min(served, key=lambda s: (-s[1], routes.rank(s[2]), s[0]))
        else:
            location, name = None, routes.default
        where[sku] = (name, location)
    planned: dict[str, list[PartLine]] = {}
    for line in lines:
        name, location = where[line.sku]
        planned.setdefault(name, []).append(PartLine(sku=line.sku, quantity=line.quantity, location=location))
    return planned


class Releases:
    def __init__(self, engine: AsyncEngine, routes: FulfilmentRoutes, stock: StockBook) -> None:
        self._engine = engine
        self._routes = routes
        self._stock = stock

    async def release(self, order: repo.StoredOrder, ship_to: Address | None) -> list[Part]:
        """Release every part not yet released (see the module); the parts, default connection first."""
        found = await self._planned(order)
        failures: list[HubError] = []
        for part in found:
            if part.released_at is not None:
                continue
            try:
                ref = await self._port(part.connection).release(FulfilmentRequest(
                    order_id=order.order_id, ship_to=ship_to,
                    lines=tuple(FulfilmentLine(sku=l.sku, quantity=l.quantity) for l in part.lines)))
            except HubError as exc:
                async with self._engine.begin() as conn:
                    await parts_repo.failed(conn, order.order_id, part.connection, f"{exc.code}: {exc.detail}")
                failures.append(exc)
                continue
            async with self._engine.begin() as conn:
                await parts_repo.released(conn, order.order_id, part.connection, ref.fulfilment_id)
        if failures:  # a connection that will come back first: the message is retried for it
            raise next((f for f in failures if isinstance(f, BackendUnavailable)), failures[0])
        return await self._parts(order.order_id)

    async def _planned(self, order: repo.StoredOrder) -> list[Part]:
        found = await self._parts(order.order_id)
        if found:
            return found
        lines = [PartLine(sku=l.sku, quantity=l.quantity) for l in order.lines]
        stock = await self._stock.availability([l.sku for l in lines])
        planned = plan_lines(lines, {sku: s.locations for sku, s in stock.items()}, self._routes)
        async with self._engine.begin() as conn:
            await repo.lock(conn, order.order_id)  # one planner at a time; the first plan stands
            if not (await parts_repo.parts_of(conn, [order.order_id])).get(order.order_id):
                await parts_repo.plan(conn, order.order_id, planned)
        return await self._parts(order.order_id)

    async def _parts(self, order_id: str) -> list[Part]:
        async with reading(self._engine) as conn:
            found = (await parts_repo.parts_of(conn, [order_id])).get(order_id, [])
        return sorted(found, key=lambda p: self._rank(p.connection))

    def _rank(self, name: str) -> int:
        return self._routes.rank(name) if name in self._routes.ports else len(self._routes.ports)

    def _port(self, name: str):  # noqa: ANN202
        port = self._routes.ports.get(name)
        if port is None:  # planned to a connection since removed from hub.toml: an operator's call
            raise BackendError(f"No fulfilment connection {name!r} any more; the order's part for it waits.",
                               backend=name)
        return port


def released_detail(found: Sequence[Part]) -> str:
    """The ``released`` history entry: each part's connection, fulfilment id and lines."""
    return "released to " + "; ".join(
        f"{p.connection} (fulfilment {p.fulfilment_id}: "
        + ", ".join(f"{l.quantity} x {l.sku}" + (f" from {l.location}" if l.location else "") for l in p.lines) + ")"
        for p in found)
