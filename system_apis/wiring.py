"""Builds the system APIs' adapters: one guarded, traced HTTP client per backend.

Called by a role's composition root. ``transport`` lets the one-process hub
reach its in-process sandbox through ``httpx.ASGITransport`` while a split
or production deployment goes over the network to ``base_urls``.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

import httpx
import msgspec

from shared.resilience import Bulkhead, Guard, RetryPolicy
from system_apis.erp.client import ErpHttpAdapter
from system_apis.erp.client import classify as erp_classify
from system_apis.pos.client import PosHttpAdapter
from system_apis.pos.client import classify as pos_classify
from system_apis.vendor_http import VendorHttp
from system_apis.wms.client import WmsHttpAdapter
from system_apis.wms.client import classify as wms_classify

# The ERP is the scarcest backend (vendors cap concurrent sessions); WMS and POS are roomier.
_CONCURRENCY = {"erp": 16, "wms": 32, "pos": 32}


class SystemPorts(msgspec.Struct, kw_only=True):
    erp: object
    wms: object
    pos: object
    guards: dict[str, Guard]


async def build_system_ports(
    stack: AsyncExitStack,
    base_urls: dict[str, str],
    *,
    timeout: float,
    transport: httpx.AsyncBaseTransport | None = None,
) -> SystemPorts:
    guards: dict[str, Guard] = {}
    https: dict[str, VendorHttp] = {}
    classifiers = {"erp": erp_classify, "wms": wms_classify, "pos": pos_classify}
    for name, classify in classifiers.items():
        client = httpx.AsyncClient(
            base_url=base_urls[name],
            transport=transport,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=_CONCURRENCY[name] * 2, max_keepalive_connections=_CONCURRENCY[name]),
        )
        await stack.enter_async_context(client)
        guard = Guard(
            name,
            policy=RetryPolicy(),
            timeout=timeout,
            bulkhead=Bulkhead(name, max_concurrent=_CONCURRENCY[name]),
        )
        guards[name] = guard
        https[name] = VendorHttp(name, client, guard, classify)
    return SystemPorts(
        erp=ErpHttpAdapter(https["erp"]),
        wms=WmsHttpAdapter(https["wms"]),
        pos=PosHttpAdapter(https["pos"]),
        guards=guards,
    )
