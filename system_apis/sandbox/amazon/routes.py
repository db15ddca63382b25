"""The Amazon SP-API sandbox over HTTP: Orders v0, Listings Items 2021-08-01 and Feeds 2021-06-30
below ``/sandbox/amazon`` (faulted; ``x-amz-access-token`` and usage plans: ``gate.py``), the
pre-signed document URLs, order controls and views, and its spec.

``getOrders`` answers ``{"payload": {"Orders", "NextToken"?, "LastUpdatedBefore"}}``,
``MaxResultsPerPage`` (1 to 100) a page; a ``NextToken`` (opaque) replaces every other
filter. Errors are ``{"errors": [{"code", "message", "details"}]}``.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs

import msgspec
from litestar import Request, Response, get, patch, post, put

from system_apis.amazon.vendor_schemas import (
    ConfirmShipment, CreateFeed, CreateRestrictedDataToken, Order, FeedDocument, FeedDocumentSpec, Feeds, ListingsItem, ListingsPatch,
    ListingsSubmission, ListingIssue, OrderItemsList, OrdersList, ShownAvailability, SpError, SpErrors,
)
from system_apis.sandbox.amazon.auth import PII_HEADER, invalid_resources, lwa_control, lwa_view
from system_apis.sandbox.amazon.gate import QUOTA_EXCEEDED, amazon_gate
from system_apis.sandbox.amazon.state import AmazonBackend, SpInvalid, SpNotFound, now
from system_apis.sandbox.backend import BackendSpec
from system_apis.sandbox.channel_controls import OrderIn, by_order, json_answer
from system_apis.sandbox.control_errors import ControlNotFound, decode_control

FEEDS = "/feeds/2021-06-30"


def _decode(body: bytes, type_: type) -> Any:
    try:
        return msgspec.json.decode(body, type=type_)
    except msgspec.DecodeError as exc:
        raise SpInvalid(f"Invalid request body: {exc}") from exc


def _token(state: dict) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(state)).decode()


def _untoken(token: str) -> dict:
    try:
        return msgspec.json.decode(base64.urlsafe_b64decode(token.encode()), type=dict)
    except (ValueError, msgspec.DecodeError) as exc:
        raise SpInvalid("Invalid NextToken") from exc


def _shown(request: Request[Any, Any, Any], amazon: AmazonBackend, order: Order) -> Order:
    """The order with the PII the call's RDT grants (the gate says which); none with an access token."""
    granted = set(request.headers.get(PII_HEADER.decode(), "").split(","))
    return amazon.with_pii(order, address="shippingAddress" in granted, buyer="buyerInfo" in granted)


@post("/auth/o2/token", status_code=200)
async def lwa_token(request: Request[Any, Any, Any], amazon: AmazonBackend) -> Response[bytes]:
    """Login with Amazon's token endpoint (``https://api.amazon.com/auth/o2/token``): a form body."""
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode(errors="replace")).items()}
    status, body = amazon.auth.exchange(form)
    return json_answer(body, status)


@post("/tokens/2021-03-01/restrictedDataToken", status_code=200)
async def restricted_data_token(request: Request[Any, Any, Any], amazon: AmazonBackend) -> Response[bytes]:
    body = _decode(await request.body(), CreateRestrictedDataToken)
    if (why := invalid_resources(body)) is not None:
        raise SpInvalid(why)
    return json_answer(amazon.auth.restricted_token(body))


@get("/orders/v0/orders")
async def get_orders(request: Request[Any, Any, Any], amazon: AmazonBackend) -> Response[bytes]:
    query = request.query_params
    if not query.get("MarketplaceIds"):
        raise SpInvalid("MarketplaceIds is required")
    if token := query.get("NextToken"):
        state = _untoken(token)
    elif since := query.get("LastUpdatedAfter") or query.get("CreatedAfter"):
        size = query.get("MaxResultsPerPage", "100")
        if not size.isdigit() or not 1 <= int(size) <= 100:
            raise SpInvalid("MaxResultsPerPage must be between 1 and 100")
        state = {"since": since, "offset": 0, "size": int(size)}
    else:
        raise SpInvalid("Either CreatedAfter or LastUpdatedAfter must be specified")
    found = amazon.updated_since(str(state["since"]))
    start, size = int(state["offset"]), int(state["size"])
    more = start + size < len(found)
    return json_answer({"payload": OrdersList(
        Orders=[_shown(request, amazon, o) for o in found[start:start + size]], LastUpdatedBefore=now(),
        NextToken=_token({**state, "offset": start + size}) if more else None)})


@get("/orders/v0/orders/{order_id:str}")
async def get_order(request: Request[Any, Any, Any], amazon: AmazonBackend, order_id: str) -> Response[bytes]:
    return json_answer({"payload": _shown(request, amazon, amazon.order(order_id))})


@get("/orders/v0/orders/{order_id:str}/orderItems")
async def get_order_items(amazon: AmazonBackend, order_id: str) -> Response[bytes]:
    amazon.order(order_id)
    return json_answer({"payload": OrderItemsList(AmazonOrderId=order_id, OrderItems=amazon.items[order_id])})


@post("/orders/v0/orders/{order_id:str}/shipmentConfirmation", status_code=204)
async def confirm_shipment(request: Request[Any, Any, Any], amazon: AmazonBackend, order_id: str) -> None:
    """Not idempotent by key: a repeat with the same ``packageReferenceId`` edits that package."""
    amazon.confirm(order_id, _decode(await request.body(), ConfirmShipment))


@get("/listings/2021-08-01/items/{seller_id:str}/{sku:str}")
async def get_listing(amazon: AmazonBackend, seller_id: str, sku: str) -> Response[bytes]:
    if sku not in amazon.listings:
        raise SpNotFound(f"SKU '{sku}' not found in marketplace")
    return json_answer(ListingsItem(sku=sku, fulfillmentAvailability=[
        ShownAvailability(fulfillmentChannelCode=code, quantity=n)
        for code, n in sorted(amazon.listings[sku].items())]))


@patch("/listings/2021-08-01/items/{seller_id:str}/{sku:str}")
async def patch_listing(request: Request[Any, Any, Any], amazon: AmazonBackend, seller_id: str,
                        sku: str) -> Response[bytes]:
    taken = amazon.patch_listing(sku, _decode(await request.body(), ListingsPatch))
    issues = [] if taken else [ListingIssue(code="4000001", message=f"No listing exists for SKU '{sku}'.")]
    return json_answer(ListingsSubmission(sku=sku, status="ACCEPTED" if taken else "INVALID",
                                          submissionId=f"sandbox-{sku}", issues=issues))


def _document(request: Request[Any, Any, Any], document_id: str) -> FeedDocument:
    """Where the document is uploaded to and read from: a pre-signed URL (here, on the sandbox itself)."""
    url = str(request.base_url).rstrip("/") + f"/sandbox/amazon/uploads/{document_id}"
    return FeedDocument(feedDocumentId=document_id, url=url)


@post(f"{FEEDS}/documents", status_code=201)
async def create_feed_document(request: Request[Any, Any, Any], amazon: AmazonBackend) -> Response[bytes]:
    _decode(await request.body(), FeedDocumentSpec)
    return json_answer(_document(request, amazon.new_document()), 201)


@get(f"{FEEDS}/documents/{{document_id:str}}")
async def get_feed_document(request: Request[Any, Any, Any], amazon: AmazonBackend,
                            document_id: str) -> Response[bytes]:
    if document_id not in amazon.documents:
        raise SpNotFound(f"Feed document {document_id} not found")
    return json_answer(_document(request, document_id))


@put("/uploads/{document_id:str}", status_code=200)
async def upload(request: Request[Any, Any, Any], amazon: AmazonBackend, document_id: str) -> None:
    """The pre-signed URL's upload (S3 in production)."""
    if document_id not in amazon.documents:
        raise SpNotFound("NoSuchKey")
    amazon.documents[document_id] = await request.body()


@get("/uploads/{document_id:str}")
async def download(amazon: AmazonBackend, document_id: str) -> Response[bytes]:
    content = amazon.documents.get(document_id)
    if content is None:
        raise SpNotFound("NoSuchKey")
    return Response(content, media_type="text/xml")


@post(f"{FEEDS}/feeds", status_code=202)
async def create_feed(request: Request[Any, Any, Any], amazon: AmazonBackend) -> Response[bytes]:
    return json_answer({"feedId": amazon.create_feed(_decode(await request.body(), CreateFeed)).feedId}, 202)


@get(f"{FEEDS}/feeds")
async def get_feeds(request: Request[Any, Any, Any], amazon: AmazonBackend) -> Response[bytes]:
    query = request.query_params
    state = _untoken(query["nextToken"]) if query.get("nextToken") else {
        "types": query.get("feedTypes", ""), "since": query.get("createdSince", ""), "offset": 0,
        "size": int(query.get("pageSize", "10") or 10)}
    types = [t for t in str(state["types"]).split(",") if t]
    found = [f for f in amazon.feeds.values() if (not types or f.feedType in types) and f.createdTime >= state["since"]]
    start, size = int(state["offset"]), max(1, min(int(state["size"]), 100))
    more = start + size < len(found)
    return json_answer(Feeds(feeds=found[start:start + size],
                             nextToken=_token({**state, "offset": start + size}) if more else None))


@get(f"{FEEDS}/feeds/{{feed_id:str}}")
async def get_feed(amazon: AmazonBackend, feed_id: str) -> Response[bytes]:
    if feed_id not in amazon.feeds:
        raise SpNotFound(f"Feed {feed_id} not found")
    return json_answer(amazon.feeds[feed_id])


@post("/orders", status_code=201)
async def place_order(request: Request[Any, Any, Any], amazon: AmazonBackend) -> dict:
    """Control: a buyer places a (paid) merchant-fulfilled order; no notification (the hub polls)."""
    order = amazon.create(decode_control(await request.body(), OrderIn))
    return {"order": {"id": order.AmazonOrderId, **msgspec.to_builtins(order)}, "webhook_id": None}


class FeedHold(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    hold: bool


@post("/feeds/hold", status_code=200)
async def hold_feeds(request: Request[Any, Any, Any], amazon: AmazonBackend) -> dict:
    """Control: ``{"hold": true}`` leaves new feeds ``IN_QUEUE`` (as Amazon's minutes) until processed."""
    amazon.hold_feeds = decode_control(await request.body(), FeedHold).hold
    return {"hold": amazon.hold_feeds}


@post("/feeds/{feed_id:str}/process", status_code=200)
async def process_feed(amazon: AmazonBackend, feed_id: str) -> dict:
    """Control: a held feed processed now (``DONE``, its report written)."""
    if feed_id not in amazon.feeds:
        raise ControlNotFound(f"no feed {feed_id}")
    return msgspec.to_builtins(amazon.process(feed_id))


@get("/fulfillments")
async def fulfillment_view(amazon: AmazonBackend, order_id: str | None = None) -> dict:
    return by_order(amazon.packages, order_id)


@get("/refunds")
async def refund_view(amazon: AmazonBackend, order_id: str | None = None) -> dict:
    return by_order(amazon.adjusted, order_id)


def not_found(_: Request[Any, Any, Any], exc: SpNotFound) -> Response[bytes]:
    return json_answer(SpErrors(errors=[SpError(code="NotFound", message=str(exc))]), 404)


def invalid(_: Request[Any, Any, Any], exc: SpInvalid) -> Response[bytes]:
    return json_answer(SpErrors(errors=[SpError(code="InvalidInput", message=str(exc))]), 400)


@get("/sellers/v1/marketplaceParticipations")
async def marketplace_participations() -> dict[str, Any]:
    """Sellers API ``getMarketplaceParticipations``: the marketplaces the seller sells in."""
    return {"payload": [{"marketplace": {"id": "ATVPDKIKX0DER", "countryCode": "US", "name": "Amazon.com",
                                         "defaultCurrencyCode": "USD", "defaultLanguageCode": "en_US",
                                         "domainName": "www.amazon.com"},
                         "participation": {"isParticipating": True, "hasSuspendedListings": False}}]}

AMAZON = BackendSpec(
    name="amazon",
    api_path="",
    api_handlers=(marketplace_participations, lwa_token, restricted_data_token, get_orders, get_order, get_order_items, confirm_shipment, get_listing, patch_listing,
                  create_feed_document, get_feed_document, upload, download, create_feed, get_feeds, get_feed),
    build=AmazonBackend,
    throttle_body=QUOTA_EXCEEDED,
    control_handlers=(place_order, fulfillment_view, refund_view, lwa_control, lwa_view, hold_feeds, process_feed),
    api_exception_handlers={SpNotFound: not_found, SpInvalid: invalid},
    api_middleware=amazon_gate,
)
