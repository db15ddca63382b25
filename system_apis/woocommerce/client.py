"""``ChannelPlatformPort`` over the WooCommerce REST API v3, and its error classifier.

Auth: HTTP Basic with the REST API consumer key and secret (over HTTPS).
Errors are ``{"code", "message", "data": {"status"}}``: the ``code`` travels
as ``vendor_code``; 404 (or a ``*_invalid_id`` code) is ``NotFound``; 429 is a
throttle honouring ``Retry-After`` (WooCommerce core does not limit REST
calls; hosts and security plugins do, with 429).

What WooCommerce lacks, and how the adapter makes up for it:
- No fulfilment object and no idempotency key: a fulfilment is an order note
  ``Shipped ... (hub <key>)`` carrying carrier and tracking, then the order's
  status ``completed``; the note is looked for first, so a repeat adds none.
- One stock figure per product, no locations: each location's level is kept
  in the product's ``meta_data`` (``hub_level:<location>``) and its
  ``stock_quantity`` is their sum (products found by SKU); a product whose
  stock the hub never set reads back as one level at ``LOCATION``.
- No refund idempotency: a refund's ``reason`` names the RMA (``hub <rma>``);
  the order's refunds are read first and the POST is sent once, never retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import httpx
import msgspec

from shared.errors import BackendError, NotFound
from shared.models import FulfilmentLine, Refund
from shared.ops.probes import ProbeResult
from system_apis.channel.port import CallBudget, RefundOutcome, StorefrontLevel
from system_apis.vendor_http import VendorHttp, raise_vendor_error
from system_apis.woocommerce.vendor_schemas import (
    WooBatch, WooError, WooMeta, WooNote, WooOrder, WooOrderUpdate, WooProduct, WooRefund, WooRefundLine, WooRefundOut,
    WooStockUpdate,
)

API = "/wp-json/wc/v3"
LOCATION = "woocommerce"
"""The one stock location a WooCommerce store has."""
PER_PAGE = 100
"""WooCommerce's largest page and its largest batch."""
UNLIMITED = CallBudget(available=1000.0, cost=1.0, refill_per_second=1000.0, capacity=1000.0)
"""WooCommerce states no call limit (its host may: then a 429 with ``Retry-After``)."""
META = "hub_level:"
REFUND_FAILED = "woocommerce_rest_cannot_create_order_refund"


def classify(response: httpx.Response) -> None:
    if response.status_code < 300:
        return
    try:
        code = msgspec.json.decode(response.content, type=WooError).code
    except msgspec.DecodeError:
        code = None
    raise_vendor_error("woocommerce", response, code, throttled=response.status_code == 429,
                       not_found=response.status_code == 404 or (code or "").endswith("_invalid_id"),
                       default_wait=1.0)


def basic_auth(credential: str) -> dict[str, str]:
    """``<consumer key>:<consumer secret>`` as HTTP Basic."""
    if not credential:
        return {}
    key, _, secret = credential.partition(":")
    return {"Authorization": httpx.BasicAuth(key, secret)._auth_header}


def fulfilment_note(tracking_number: str, carrier: str, lines: list[FulfilmentLine], key: str) -> str:
    items = ", ".join(f"{line.quantity} x {line.sku}" for line in lines) or "every line"
    return f"Shipped with {carrier}, tracking {tracking_number}: {items} (hub {key})"


def _marks(text: str, key: str) -> bool:
    """Whether ``text`` names the hub's ``key`` as a whole word (``(hub k1)`` is not ``(hub k10)``)."""
    return f"(hub {key})" in text or text.split()[-2:] == ["hub", key]


def _by_location(product: WooProduct) -> dict[str, int]:
    """The levels the hub set on ``product``, by location (its ``hub_level:*`` meta)."""
    return {m.key.removeprefix(META): int(m.value) for m in product.meta_data
            if m.key.startswith(META) and m.value.lstrip("-").isdigit()}


class WooCommerceAdapter:
    def __init__(self, http: VendorHttp) -> None:
        self._http = http

    async def probe(self) -> ProbeResult:
        """Health: ``GET /wp-json/wc/v3/system_status``, the store's environment report."""
        return await self._http.probe("GET", f"{API}/system_status")

    async def create_fulfilment(self, channel_order_ref: str, tracking_number: str, carrier: str,
                                lines: list[FulfilmentLine], idempotency_key: str) -> None:
        path, span = self._order(channel_order_ref), {"hub.channel_order_ref": channel_order_ref}
        try:
            notes = await self._http.get_json(list[WooNote], "list_order_notes", f"{path}/notes", span_attributes=span)
            if not any(_marks(note.note, idempotency_key) for note in notes):
                note = WooNote(note=fulfilment_note(tracking_number, carrier, lines, idempotency_key),
                               customer_note=True)
                await self._http.post("add_order_note", f"{path}/notes", note, span_attributes=span)
            await self._http.put("complete_order", path, WooOrderUpdate(status="completed"), span_attributes=span)
        except NotFound as exc:
            raise NotFound(f"unknown WooCommerce order {channel_order_ref}", code="unknown_channel_order") from exc

    async def set_inventory(self, sku: str, location: str, available: int) -> CallBudget:
        return await self.set_inventory_levels([StorefrontLevel(sku=sku, location=location, available=available)])

    async def set_inventory_levels(self, levels: Sequence[StorefrontLevel]) -> CallBudget:
        """Products found by SKU, then ``POST /products/batch`` 100 at a time (each batch all or none
        on the store; a SKU the store does not sell is skipped)."""
        products = {p.sku: p for p in await self._products(sorted({level.sku for level in levels}))}
        held = {sku: _by_location(p) for sku, p in products.items()}
        for level in levels:
            if level.sku in held:
                held[level.sku][level.location] = level.available
        updates = [WooStockUpdate(id=products[sku].id, stock_quantity=sum(at.values()),
                                  meta_data=[WooMeta(key=f"{META}{loc}", value=str(n)) for loc, n in at.items()])
                   for sku, at in held.items() if any(level.sku == sku for level in levels)]
        for start in range(0, len(updates), PER_PAGE):
            await self._http.put("update_stock", f"{API}/products/batch",
                                 WooBatch(update=updates[start:start + PER_PAGE]), method="POST",
                                 span_attributes={"hub.levels": len(updates[start:start + PER_PAGE])})
        return UNLIMITED

    async def inventory_levels(self, skus: Sequence[str]) -> list[StorefrontLevel]:
        return [StorefrontLevel(sku=p.sku, location=location, available=n)
                for p in await self._products(sorted(set(skus))) if p.manage_stock
                for location, n in (_by_location(p) or {LOCATION: p.stock_quantity or 0}).items()]

    async def refund(self, channel_order_ref: str, lines: list[FulfilmentLine], amount: Decimal, currency: str,
                     rma_id: str) -> Refund:
        path = self._order(channel_order_ref)
        span = {"hub.channel_order_ref": channel_order_ref, "hub.rma_id": rma_id}
        reason = f"hub {rma_id}"
        try:
            order = await self._http.get_json(WooOrder, "get_order", path, span_attributes=span)
            made = await self._http.get_json(list[WooRefund], "list_refunds", f"{path}/refunds", span_attributes=span)
            found = next((r for r in made if r.reason.split() == reason.split()), None)
            if found is None:
                line_ids = {line.sku: line.id for line in order.line_items}
                body = WooRefundOut(amount=f"{amount:.2f}", reason=reason, line_items=[
                    WooRefundLine(id=line_ids[line.sku], quantity=line.quantity) for line in lines
                    if line.sku in line_ids])
                found = self._http.decode(await self._refund_once(path, body, span), WooRefund)
        except NotFound as exc:
            raise NotFound(f"unknown WooCommerce order {channel_order_ref}", code="unknown_channel_order") from exc
        return Refund(refund_id=str(found.id), authorization_id=f"woocommerce:{channel_order_ref}",
                      amount=found.amount, currency=currency, status="succeeded")

    async def refund_outcome(self, channel_order_ref: str, refund_id: str) -> RefundOutcome:
        return "succeeded"  # its refunds settle in the call: never pending

    async def _refund_once(self, path: str, body: WooRefundOut, span: dict) -> bytes:
        try:
            return await self._http.post("create_refund", f"{path}/refunds", body, span_attributes=span)
        except BackendError as exc:
            if exc.extra.get("vendor_code") == REFUND_FAILED:
                raise BackendError("WooCommerce refund failed", backend="woocommerce",
                                   code="channel_refund_failed") from exc
            raise

    async def _products(self, skus: list[str]) -> list[WooProduct]:
        """The products of ``skus``, every page walked (``X-WP-TotalPages``)."""
        found: list[WooProduct] = []
        for start in range(0, len(skus), PER_PAGE):
            page, pages = 1, 1
            while page <= pages:
                answer = await self._http.get("find_products", f"{API}/products", whole=True, params={
                    "sku": ",".join(skus[start:start + PER_PAGE]), "per_page": PER_PAGE, "page": page})
                found += self._http.decode(answer.content, list[WooProduct])
                pages, page = int(answer.headers.get("X-WP-TotalPages", "1") or 1), page + 1
        return [p for p in found if p.sku in skus]

    @staticmethod
    def _order(ref: str) -> str:
        if not ref.isdigit():
            raise NotFound(f"unknown WooCommerce order {ref}", code="unknown_channel_order")
        return f"{API}/orders/{ref}"
