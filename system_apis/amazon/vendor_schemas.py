"""Amazon Selling Partner API JSON: Orders v0 (PascalCase, every answer in a ``payload``),
Listings Items 2021-08-01 and Feeds 2021-06-30 (camelCase), and the one error shape of every
SP-API operation, ``{"errors": [{"code", "message", "details"}]}``. The sandbox serves these too."""

from __future__ import annotations

from decimal import Decimal

import msgspec


class Sp(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base: unknown fields are ignored (Amazon adds fields without a new version), absent ones not written."""


class Money(Sp, kw_only=True):
    CurrencyCode: str  # noqa: N815 (the vendor's names, here and below)
    Amount: Decimal


class OrderAddress(Sp, kw_only=True):
    """``ShippingAddress``. Without a Restricted Data Token Amazon answers only the coarse fields
    (city, region, postal code, country); ``Name`` and ``AddressLine1`` come only with one."""

    Name: str | None = None  # noqa: N815
    AddressLine1: str | None = None  # noqa: N815
    AddressLine2: str | None = None  # noqa: N815
    City: str | None = None  # noqa: N815
    StateOrRegion: str | None = None  # noqa: N815
    PostalCode: str | None = None  # noqa: N815
    CountryCode: str | None = None  # noqa: N815


class OrderBuyer(Sp, kw_only=True):
    """Restricted: ``BuyerEmail`` only with a Restricted Data Token (empty object without)."""

    BuyerEmail: str | None = None  # noqa: N815


class Order(Sp, kw_only=True):
    AmazonOrderId: str  # noqa: N815
    PurchaseDate: str  # noqa: N815
    LastUpdateDate: str  # noqa: N815
    OrderStatus: str  # noqa: N815
    """``Pending`` (not yet paid: no prices), ``Unshipped``, ``PartiallyShipped``, ``Shipped``, ``Canceled``..."""
    MarketplaceId: str = ""  # noqa: N815
    FulfillmentChannel: str = "MFN"  # noqa: N815
    OrderTotal: Money | None = None  # noqa: N815
    NumberOfItemsShipped: int = 0  # noqa: N815
    NumberOfItemsUnshipped: int = 0  # noqa: N815
    ShippingAddress: OrderAddress | None = None  # noqa: N815
    BuyerInfo: OrderBuyer | None = None  # noqa: N815


class OrdersList(Sp, kw_only=True):
    Orders: list[Order] = []  # noqa: N815
    NextToken: str | None = None  # noqa: N815
    LastUpdatedBefore: str | None = None  # noqa: N815


class OrdersAnswer(Sp, kw_only=True):
    """``GET /orders/v0/orders``."""

    payload: OrdersList


class OrderAnswer(Sp, kw_only=True):
    """``GET /orders/v0/orders/{orderId}``."""

    payload: Order


class OrderItem(Sp, kw_only=True):
    OrderItemId: str  # noqa: N815
    SellerSKU: str = ""  # noqa: N815
    ASIN: str = ""
    QuantityOrdered: int  # noqa: N815
    QuantityShipped: int = 0  # noqa: N815
    ItemPrice: Money | None = None  # noqa: N815
    """The line's price: the unit price times ``QuantityOrdered`` (absent while the order is Pending)."""


class OrderItemsList(Sp, kw_only=True):
    AmazonOrderId: str  # noqa: N815
    OrderItems: list[OrderItem] = []  # noqa: N815
    NextToken: str | None = None  # noqa: N815


class OrderItemsAnswer(Sp, kw_only=True):
    """``GET /orders/v0/orders/{orderId}/orderItems``."""

    payload: OrderItemsList


class ShipmentItem(Sp, kw_only=True):
    orderItemId: str  # noqa: N815
    quantity: int


class PackageDetail(Sp, kw_only=True):
    packageReferenceId: str  # noqa: N815
    """Any positive number the seller picks; a repeat with the same one edits that package."""
    carrierCode: str  # noqa: N815
    trackingNumber: str  # noqa: N815
    shipDate: str  # noqa: N815
    orderItems: list[ShipmentItem]  # noqa: N815
    shippingMethod: str | None = None  # noqa: N815


class ConfirmShipment(Sp, kw_only=True):
    """``POST /orders/v0/orders/{orderId}/shipmentConfirmation``; answers 204, no body."""

    marketplaceId: str  # noqa: N815
    packageDetail: PackageDetail  # noqa: N815


class Availability(Sp, kw_only=True):
    """One entry of the listing attribute ``fulfillment_availability`` (snake case, as Amazon writes it)."""

    fulfillment_channel_code: str
    quantity: int


class PatchOperation(Sp, kw_only=True):
    op: str
    path: str
    value: list[Availability]


class ListingsPatch(Sp, kw_only=True):
    """``PATCH /listings/2021-08-01/items/{sellerId}/{sku}``."""

    productType: str  # noqa: N815
    patches: list[PatchOperation]


class ListingIssue(Sp, kw_only=True):
    code: str
    message: str
    severity: str = "ERROR"


class ListingsSubmission(Sp, kw_only=True):
    sku: str
    status: str
    """``ACCEPTED`` or ``INVALID`` (with ``issues``)."""
    submissionId: str = ""  # noqa: N815
    issues: list[ListingIssue] = []


class ShownAvailability(Sp, kw_only=True):
    fulfillmentChannelCode: str  # noqa: N815
    quantity: int = 0


class ListingsItem(Sp, kw_only=True):
    """``GET /listings/2021-08-01/items/{sellerId}/{sku}?includedData=fulfillmentAvailability``."""

    sku: str
    fulfillmentAvailability: list[ShownAvailability] = []  # noqa: N815


class FeedDocumentSpec(Sp, kw_only=True):
    """``POST /feeds/2021-06-30/documents``."""

    contentType: str  # noqa: N815


class FeedDocument(Sp, kw_only=True):
    """Where a feed document's content is uploaded to (``PUT``) or read from (``GET``): a pre-signed URL."""

    feedDocumentId: str  # noqa: N815
    url: str


class CreateFeed(Sp, kw_only=True):
    """``POST /feeds/2021-06-30/feeds``; answers 202 ``{"feedId"}``."""

    feedType: str  # noqa: N815
    marketplaceIds: list[str]  # noqa: N815
    inputFeedDocumentId: str  # noqa: N815


class FeedId(Sp, kw_only=True):
    feedId: str  # noqa: N815


class Feed(Sp, kw_only=True):
    feedId: str  # noqa: N815
    feedType: str  # noqa: N815
    processingStatus: str  # noqa: N815
    """``IN_QUEUE``, ``IN_PROGRESS``, ``DONE``, ``CANCELLED`` or ``FATAL``."""
    createdTime: str = ""  # noqa: N815
    inputFeedDocumentId: str = ""  # noqa: N815
    resultFeedDocumentId: str | None = None  # noqa: N815


class Feeds(Sp, kw_only=True):
    """``GET /feeds/2021-06-30/feeds``."""

    feeds: list[Feed] = []
    nextToken: str | None = None  # noqa: N815


class SpError(Sp, kw_only=True):
    code: str
    message: str = ""
    details: str = ""


class SpErrors(Sp, kw_only=True):
    """Every SP-API error: ``Unauthorized`` (403), ``InvalidInput`` (400), ``NotFound`` (404),
    ``QuotaExceeded`` (429), ``InternalFailure`` (500), ``ServiceUnavailable`` (503)."""

    errors: list[SpError]


class RestrictedResource(Sp, kw_only=True):
    """One restricted operation an RDT is asked for: its method, its path (``/orders/v0/orders``, or
    with ``{orderId}`` for any order) and, for the Orders API, the PII wanted."""

    method: str
    path: str
    dataElements: list[str] = []  # noqa: N815


class CreateRestrictedDataToken(Sp, kw_only=True):
    """``POST /tokens/2021-03-01/restrictedDataToken``."""

    restrictedResources: list[RestrictedResource]  # noqa: N815


class RestrictedDataToken(Sp, kw_only=True):
    """Its answer: the RDT, used as ``x-amz-access-token`` on those operations, for ``expiresIn`` seconds."""

    restrictedDataToken: str  # noqa: N815
    expiresIn: int  # noqa: N815


class LwaToken(msgspec.Struct, kw_only=True):
    """Login with Amazon's answer to ``grant_type=refresh_token`` (``POST https://api.amazon.com/auth/o2/token``)."""

    access_token: str
    expires_in: int = 3600
    token_type: str = "bearer"


class LwaError(msgspec.Struct, kw_only=True):
    """Login with Amazon's OAuth error: ``invalid_grant`` (400: a wrong or revoked refresh token),
    ``invalid_client`` (401: a wrong client id or secret), ``invalid_request``..."""

    error: str
    error_description: str = ""
