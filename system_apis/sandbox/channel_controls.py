"""What the channel-platform sandboxes (WooCommerce, Magento, BigCommerce) share: the control body
that places an order, JSON answers in the vendor's shape, and the credential gate of a vendor API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Response
from litestar.types import ASGIApp, Message, Receive, Scope, Send


class LineIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sku: str
    quantity: int
    price: str
    title: str | None = None


class OrderIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The control ``POST /sandbox/<backend>/orders`` of every channel sandbox (Shopify's too)."""

    line_items: list[LineIn]
    email: str | None = None


def json_answer(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response[bytes]:
    """A vendor answer: ``value`` as JSON, as the vendor writes it (no envelope)."""
    return Response(msgspec.json.encode(value), status_code=status, media_type="application/json",
                    headers=headers or {})


def credential_gate(accepts: Callable[[dict[bytes, bytes]], bool], refusal: Any,
                    extra_on_429: tuple[bytes, bytes] | None = None) -> Callable[[Any], list[Any]]:
    """The vendor API's outer ASGI layer (a ``BackendSpec.api_middleware``): a call whose headers
    ``accepts`` refuses is 401 with the vendor's ``refusal`` body; a 429 may carry one more header."""

    def build(_: Any) -> list[Any]:
        def middleware(app: ASGIApp) -> ASGIApp:
            async def gated(scope: Scope, receive: Receive, send: Send) -> None:
                if scope["type"] == "http" and not accepts(dict(scope["headers"])):
                    await send({"type": "http.response.start", "status": 401,
                                "headers": [(b"content-type", b"application/json")]})
                    await send({"type": "http.response.body", "body": msgspec.json.encode(refusal)})
                    return

                async def marked(message: Message) -> None:
                    if extra_on_429 and message["type"] == "http.response.start" and message["status"] == 429:
                        message = {**message, "headers": [*message.get("headers", []), extra_on_429]}
                    await send(message)

                await app(scope, receive, marked)

            return gated

        return [middleware]

    return build


def by_order(rows: list[Any], order_id: str | None) -> dict:
    """A control view: ``rows`` (each with an ``order_id``) of one order, or all."""
    return {"items": [msgspec.to_builtins(r) for r in rows if order_id in (None, str(r.order_id))]}
