"""Two ERP adapters over one in-process sandbox (CloudERP and QuickBooks), under one routing ERP."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import msgspec

from shared.db.engine import create_engine
from shared.erp_routing_settings import ErpRoutingSettings
from shared.models import Address, OrderLine, SalesOrder
from shared.ops.erp_migration import MigrationBook
from shared.resilience import Guard, RetryPolicy
from system_apis.erp_routing.port import RoutingErp
from system_apis.sandbox.app import create_sandbox_app
from system_apis.sandbox.config import SandboxConfig
from system_apis.vendor_http import VendorHttp
from system_apis.registry import KINDS
from system_apis.adapter_options import make_adapters


def order(n: int, *, customer: str | None = "CUST-ACME", sku: str = "SKU-1001", country: str = "US",
          region: str = "IL", created_at: datetime | None = None) -> SalesOrder:
    return SalesOrder(
        order_id=f"ord_route_{n:04d}", channel="storefront", channel_order_ref=f"WEB-R{n}", customer_id=customer,
        currency="USD", lines=(OrderLine(sku=sku, quantity=1, unit_price=Decimal("99.00"),
                                         extended_price=Decimal("99.00")),),
        total=Decimal("99.00"), ship_to=Address(name="Receiving", line1="1 Main St", city="Springfield",
                                                 region=region, postal_code="62701", country=country),
        created_at=created_at or datetime.now(UTC))


async def no_wait(seconds: float) -> None:
    """Retries at once."""


class TwoErps:
    """``erp`` (CloudERP) is hub.toml's primary, ``qbo`` (QuickBooks) the secondary."""

    def __init__(self, database_url: str, routing: ErpRoutingSettings | None = None) -> None:
        self.app = create_sandbox_app(SandboxConfig(autoship_seconds=0, seed=7))
        self.control = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://sandbox")
        self.clients: list[httpx.AsyncClient] = []
        self.adapters = {"erp": self._adapter("clouderp"), "qbo": self._adapter("quickbooks")}
        self.engine = create_engine(database_url)
        self.book = MigrationBook(self.engine, refresh=0.0)
        self.routing = routing or ErpRoutingSettings(shadow_timeout_seconds=0.5)
        self.erp = RoutingErp(dict(self.adapters), primary="erp", secondary="qbo", book=self.book,
                              routing=self.routing)

    def _adapter(self, name: str) -> object:
        kind = KINDS[name]
        backend = kind.sandbox.name
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app),
                                   headers=kind.auth(kind.sandbox_credential),
                                   base_url=f"http://sandbox/sandbox/{backend}")
        self.clients.append(client)
        guard = Guard(backend, policy=RetryPolicy(max_attempts=2), sleep=no_wait)
        return make_adapters(kind, VendorHttp(backend, client, guard, kind.classify), {},
                             kind.sandbox_credential)["erp"]

    async def __aenter__(self) -> TwoErps:
        await self.erp.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.erp.close()
        for client in self.clients:
            await client.aclose()
        await self.control.aclose()
        await self.engine.dispose()
        await self.app.state.sandbox.aclose()

    async def put(self, path: str, body: dict) -> None:
        (await self.control.put(path, json=body)).raise_for_status()

    async def booked(self, backend: str, order_id: str) -> list[dict]:
        response = await self.control.get(f"/sandbox/{backend}/sales-orders", params={"external_ref": order_id})
        response.raise_for_status()
        return response.json()["items"]

    async def holders(self, order_id: str) -> list[str]:
        """The sandboxes that hold a sales order for ``order_id``, one entry per sales order."""
        return [b for b in ("erp", "quickbooks") for _ in await self.booked(b, order_id)]

    async def restart(self, **changes: object) -> None:
        """A restart with other ``[erp_routing]`` settings: a new routing ERP, the same database."""
        await self.erp.close()
        self.routing = msgspec.structs.replace(self.routing, **changes)
        self.erp = RoutingErp(dict(self.adapters), primary="erp", secondary="qbo", book=self.book,
                              routing=self.routing)
        await self.erp.start()
