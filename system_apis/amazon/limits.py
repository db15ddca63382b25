"""SP-API usage plans and the classifier that reads Amazon's answers.

Amazon limits each operation by its own token bucket (a rate in requests per
second and a burst) per seller and application. Every answer may carry
``x-amzn-RateLimit-Limit`` (the rate applied, requests per second); a 429
answers ``{"errors": [{"code": "QuotaExceeded", ...}]}`` and no
``Retry-After``. The hub waits one token's refill, ``1 / rate`` seconds (the
header's rate, else the operation's documented default below), before the
guard tries again. Errors map to the hub's tree by status and Amazon's
``code`` (which travels as ``vendor_code``; the message never does):

    403 Unauthorized          -> BackendError       (a wrong or expired access token)
    400 InvalidInput          -> BackendError
    404 NotFound              -> NotFound
    429 QuotaExceeded         -> BackendThrottled   (retry_after = 1 / rate)
    500 InternalFailure, 503  -> BackendUnavailable
"""

from __future__ import annotations

import re

import httpx
import msgspec

from system_apis.amazon.vendor_schemas import SpErrors
from system_apis.vendor_http import raise_vendor_error

RATE_HEADER = "x-amzn-RateLimit-Limit"
PLANS: dict[str, tuple[float, int]] = {
    "getOrders": (0.0167, 20),
    "getOrder": (0.5, 30),
    "getOrderItems": (0.5, 30),
    "confirmShipment": (2.0, 10),
    "getListingsItem": (5.0, 10),
    "patchListingsItem": (5.0, 10),
    "createFeedDocument": (0.5, 15),
    "createFeed": (0.0083, 15),
    "getFeed": (2.0, 15),
    "getFeeds": (0.0222, 10),
    "getFeedDocument": (0.0222, 10),
    "createRestrictedDataToken": (1.0, 10),
    "getMarketplaceParticipations": (0.016, 15),
}
"""Amazon's default usage plan of each operation the hub calls: (requests per second, burst)."""
ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("GET", re.compile(r"/orders/v0/orders$"), "getOrders"),
    ("GET", re.compile(r"/orders/v0/orders/[^/]+$"), "getOrder"),
    ("GET", re.compile(r"/orders/v0/orders/[^/]+/orderItems$"), "getOrderItems"),
    ("POST", re.compile(r"/orders/v0/orders/[^/]+/shipmentConfirmation$"), "confirmShipment"),
    ("GET", re.compile(r"/listings/2021-08-01/items/[^/]+/[^/]+$"), "getListingsItem"),
    ("PATCH", re.compile(r"/listings/2021-08-01/items/[^/]+/[^/]+$"), "patchListingsItem"),
    ("POST", re.compile(r"/feeds/2021-06-30/documents$"), "createFeedDocument"),
    ("GET", re.compile(r"/feeds/2021-06-30/documents/[^/]+$"), "getFeedDocument"),
    ("POST", re.compile(r"/feeds/2021-06-30/feeds$"), "createFeed"),
    ("GET", re.compile(r"/feeds/2021-06-30/feeds$"), "getFeeds"),
    ("GET", re.compile(r"/feeds/2021-06-30/feeds/[^/]+$"), "getFeed"),
    ("POST", re.compile(r"/tokens/2021-03-01/restrictedDataToken$"), "createRestrictedDataToken"),
    ("GET", re.compile(r"/sellers/v1/marketplaceParticipations$"), "getMarketplaceParticipations"),
)
MAX_WAIT = 120.0
"""A longer wait than this (a rate below 1 every 2 minutes) is taken as this: the guard's budget decides the rest."""


def operation_of(method: str, path: str) -> str | None:
    """The SP-API operation a request calls (``getOrders``), or ``None`` for another URL (a document upload)."""
    return next((name for verb, pattern, name in ROUTES if verb == method and pattern.search(path)), None)


def rate_of(response: httpx.Response) -> float | None:
    """The rate in ``x-amzn-RateLimit-Limit`` (requests per second); ``None`` if absent or unreadable."""
    try:
        rate = float(response.headers.get(RATE_HEADER, ""))
    except ValueError:
        return None
    return rate if rate > 0 else None


def refill_wait(response: httpx.Response) -> float:
    """How long until the throttled operation's bucket holds a token again."""
    rate = rate_of(response)
    if rate is None:
        try:
            operation = operation_of(response.request.method, response.request.url.path)
        except RuntimeError:  # a response built with no request
            operation = None
        rate = PLANS.get(operation or "", (1.0, 1))[0]
    return min(1.0 / rate, MAX_WAIT)


def classify(response: httpx.Response) -> None:
    if response.status_code < 300:
        return
    try:
        errors = msgspec.json.decode(response.content, type=SpErrors).errors
    except msgspec.DecodeError:
        errors = []
    code = errors[0].code if errors else None
    throttled = response.status_code == 429 or code == "QuotaExceeded"
    raise_vendor_error("amazon", response, code, throttled=throttled,
                       not_found=response.status_code == 404 or code in ("NotFound", "NOT_FOUND"),
                       default_wait=refill_wait(response) if throttled else None)
