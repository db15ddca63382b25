"""Builds the system APIs' adapters: one guarded, traced HTTP client per backend.

Called by a role's composition root. ``transport`` lets the one-process hub
reach its in-process sandbox through ``httpx.ASGITransport`` while a split
or production deployment goes over the network to ``base_urls``.

``base_urls`` names ``erp``, ``wms`` and ``pos`` (required) and ``payments``
and ``shopify``; a port whose backend has no URL is ``None``. The WMS's stock
and fulfilment adapters share its one client and guard.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack

import httpx
import msgspec

from shared.resilience import Bulkhead, CircuitBreaker, Guard, RetryPolicy
from system_apis.erp.client import ErpHttpAdapter
from system_apis.erp.client import classify as erp_classify
from system_apis.payments.client import PaymentsHttpAdapter
from system_apis.payments.client import classify as payments_classify
from system_apis.pos.client import PosHttpAdapter
from system_apis.pos.client import classify as pos_classify
from system_apis.shopify.client import ACCESS_TOKEN_HEADER, ShopifyHttpAdapter
from system_apis.shopify.client import classify as shopify_classify
from system_apis.vendor_http import VendorHttp
from system_apis.wms.client import WmsHttpAdapter
from system_apis.wms.client import classify as wms_classify
from system_apis.wms.fulfilment_client import WmsFulfilmentAdapter

# The ERP is the scarcest backend (vendors cap concurrent sessions); WMS and POS are roomier.
# Shopify's bucket refills at 2 calls/s, so a few calls at once are plenty; payments sit between.
_CONCURRENCY = {"erp": 16, "wms": 32, "pos": 32, "payments": 16, "shopify": 8}
_CLASSIFIERS: dict[str, Callable[[httpx.Response], None]] = {
    "erp": erp_classify,
    "wms": wms_classify,
    "pos": pos_classify,
    "payments": payments_classify,
    "shopify": shopify_classify,
}
_OPTIONAL = ("payments", "shopify")
SANDBOX_SHOPIFY_TOKEN = "shpat_sandbox"


class BreakerConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Every backend circuit's timing (``HUB_BREAKER_FAILURE_THRESHOLD``, ``HUB_BREAKER_OPEN_SECONDS``)."""

    failure_threshold: int = 5
    open_seconds: float = 10.0


def close_circuits(guards: dict[str, Guard], backends: list[str], why: str) -> None:
    """Close the named backends' circuits now (the ones this process has); the others are ignored.

    How the one-process hub hears that a sandbox fault was cleared or the sandbox
    reset: the backend is known to be back, so no call waits for the next probe."""
    for name in backends:
        if name in guards:
            guards[name].breaker.reset(why)


class SystemPorts(msgspec.Struct, kw_only=True):
    erp: object
    wms: object
    pos: object
    guards: dict[str, Guard]
    fulfilment: object = None
    """``FulfilmentPort`` over the WMS."""
    payments: object = None
    """``PaymentsPort``; ``None`` without a ``payments`` URL."""
    shopify: object = None
    """``ShopifyPort``; ``None`` without a ``shopify`` URL."""


async def build_system_ports(
    stack: AsyncExitStack,
    base_urls: dict[str, str],
    *,
    timeout: float,
    transport: httpx.AsyncBaseTransport | None = None,
    shopify_access_token: str = SANDBOX_SHOPIFY_TOKEN,
    breaker: BreakerConfig | None = None,
) -> SystemPorts:
    """The adapters over ``base_urls``; ``shopify_access_token`` goes with every Shopify call;
    ``breaker`` times every backend's circuit (HUB_BREAKER_* settings)."""
    breaker = breaker or BreakerConfig()
    guards: dict[str, Guard] = {}
    https: dict[str, VendorHttp] = {}
    names = [name for name in _CLASSIFIERS if name not in _OPTIONAL or base_urls.get(name)]
    for name in names:
        headers = {ACCESS_TOKEN_HEADER: shopify_access_token} if name == "shopify" else None
        client = httpx.AsyncClient(
            base_url=base_urls[name],
            transport=transport,
            timeout=httpx.Timeout(timeout),
            headers=headers,
            limits=httpx.Limits(max_connections=_CONCURRENCY[name] * 2, max_keepalive_connections=_CONCURRENCY[name]),
        )
        await stack.enter_async_context(client)
        guard = Guard(
            name,
            policy=RetryPolicy(),
            timeout=timeout,
            bulkhead=Bulkhead(name, max_concurrent=_CONCURRENCY[name]),
            breaker=CircuitBreaker(name, failure_threshold=breaker.failure_threshold,
                                   reset_timeout=breaker.open_seconds),
        )
        guards[name] = guard
        https[name] = VendorHttp(name, client, guard, _CLASSIFIERS[name])
    return SystemPorts(
        erp=ErpHttpAdapter(https["erp"]),
        wms=WmsHttpAdapter(https["wms"]),
        pos=PosHttpAdapter(https["pos"]),
        guards=guards,
        fulfilment=WmsFulfilmentAdapter(https["wms"]),
        payments=PaymentsHttpAdapter(https["payments"]) if "payments" in https else None,
        shopify=ShopifyHttpAdapter(https["shopify"]) if "shopify" in https else None,
    )
