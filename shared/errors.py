"""The hub's one error tree.

Every failure a client or a layer can see is a ``HubError``. Each carries the
HTTP status, a stable machine ``code`` and a ``title``; the gateway renders it
as an RFC 9457 problem (``shared.problems``) and the internal RPC turns the
problem back into the same class on the other side of a split role::

    HubError
    ├── BadRequest            400  malformed_json, bad_request, idempotency_key_missing
    ├── Unauthorized          401  unauthorized            (adds WWW-Authenticate)
    ├── Forbidden             403  forbidden, insufficient_scope, customer_forbidden
    ├── NotFound              404  not_found, unknown_sku
    │   └── BodyIncomplete    400  body_incomplete         the body ended early (counted 499)
    ├── RequestTimeout        408  request_timeout         the body came too slowly
    ├── Conflict              409  conflict
    ├── PayloadTooLarge       413  payload_too_large
    ├── UnsupportedMediaType  415  unsupported_media_type  e.g. an EDI upload that is not application/edi-x12
    ├── ValidationFailed      422  validation_failed       (adds ``errors``)
    ├── BusinessRuleViolation 422  unknown_customer, unsupported_currency, ...
    ├── RateLimited           429  rate_limited            (adds Retry-After)
    ├── Starting              503  starting                the role is not ready yet
    ├── StoreUnavailable      503  store_unavailable       the hub's own database or Redis is unreachable
    └── BackendError          502  backend_error           a backend said no
        └── BackendUnavailable 503 backend_unavailable     worth retrying
            ├── BackendThrottled   backend_throttled       honours retry_after
            └── CircuitOpen        circuit_open            not even tried

Catch ``BackendUnavailable`` to retry, ``BackendError`` for any backend
failure, ``HubError`` for anything a client may see. Adapters translate
library errors (httpx, SQLAlchemy) at their boundary, always ``raise ... from``.
"""

from __future__ import annotations

from typing import Any, ClassVar


class HubError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.detail = detail or self.title
        if code is not None:
            self.code = code  # type: ignore[misc]  # instance override of the class default
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra
        super().__init__(self.detail)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, detail={self.detail!r})"


class BadRequest(HubError):
    status, code, title = 400, "bad_request", "Bad request"


class BodyIncomplete(BadRequest):
    """The body ended before its end: the client left, or its framing was broken (the server
    reports both alike). Answered 400 with the connection closed, in case anyone still listens;
    the edge counts it as 499 (nginx's "client closed request"), never as a server error."""

    code, title = "body_incomplete", "The request body is incomplete"


class LengthRequired(HubError):
    """A request body sent without ``Content-Length`` (``Transfer-Encoding: chunked``, alone or
    beside a ``Content-Length`` the server dropped): refused with the connection closed, so no
    framing disagreement between a proxy and the hub can smuggle a request (RFC 9112 6.3)."""

    status, code, title = 411, "length_required", "Content-Length required"


class Unauthorized(HubError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(HubError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(HubError):
    status, code, title = 404, "not_found", "Not found"


class RequestTimeout(HubError):
    status, code, title = 408, "request_timeout", "Request timeout"


class Conflict(HubError):
    status, code, title = 409, "conflict", "Conflict"


class PayloadTooLarge(HubError):
    status, code, title = 413, "payload_too_large", "Payload too large"


class UnsupportedMediaType(HubError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class ValidationFailed(HubError):
    status, code, title = 422, "validation_failed", "Request validation failed"


class BusinessRuleViolation(HubError):
    status, code, title = 422, "business_rule_violation", "The request breaks a business rule"


class RateLimited(HubError):
    status, code, title = 429, "rate_limited", "Rate limit exceeded"


class Starting(HubError):
    status, code, title = 503, "starting", "The hub is starting"


class StoreUnavailable(HubError):
    """The hub's own store (its database, or Redis) cannot be reached: restarting, failing over, or
    its pool exhausted. Nothing was done that the client cannot safely retry (with its idempotency
    key): answered 503 with ``Retry-After``, never a 500 (``shared.outage``)."""

    status, code, title = 503, "store_unavailable", "The hub's store is unavailable"


class BackendError(HubError):
    """A backend answered with a permanent failure (a 4xx that is not a throttle)."""

    status, code, title = 502, "backend_error", "A back-office system failed"

    def __init__(self, detail: str | None = None, *, backend: str = "", **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.backend = backend


class BackendUnavailable(BackendError):
    """Down, timing out, 5xx or throttling: the same call may succeed later."""

    status, code, title = 503, "backend_unavailable", "A back-office system is unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.retry_after = retry_after


class BackendThrottled(BackendUnavailable):
    code, title = "backend_throttled", "A back-office system is throttling the hub"


class CircuitOpen(BackendUnavailable):
    code, title = "circuit_open", "A back-office system is failing; calls are paused"


_BY_STATUS: dict[int, type[HubError]] = {
    cls.status: cls
    for cls in (BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PayloadTooLarge, RateLimited)
}
_BY_CODE: dict[str, type[HubError]] = {
    cls.code: cls
    for cls in (ValidationFailed, BackendError, BackendUnavailable, BackendThrottled, CircuitOpen, Starting,
                StoreUnavailable)
}


def error_class_for(status: int, code: str) -> type[HubError]:
    """The class that best matches a problem seen on the wire (used by the internal RPC)."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    if status == 422:
        return BusinessRuleViolation
    return _BY_STATUS.get(status, HubError)
