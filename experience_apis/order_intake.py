"""``POST /{version}/{api}/orders`` answered without Litestar's per-request machinery.

Order acceptance is the hub's hottest write. Through a Litestar route it paid
about 0.45 ms of Python per order on this machine for the guard, the
dependency injection, a second decode of the body and the response object,
about a third of the whole acceptance once the capture became one database
round trip (docs/performance.md). ``OrderIntake`` sits in front of a
channel's Litestar app, as the edge's cache answers a hit before any app: it
serves a well-formed order itself and hands *everything else* to the Litestar
route, body included, so every refusal the route gives (403, 400, 422, a
missing ``po_number``) still comes from the one place that documents it.

What it serves: the gateway's principal holds ``orders:write`` (and a
customer, where the channel needs one), ``Idempotency-Key`` is 1 to 255
characters, and the body decodes strictly as the channel's order. Then it
calls the order port and answers exactly what the route answers: 201 with the
``OrderAccepted`` body, ``Location`` and, on a replay, ``Idempotent-Replayed``;
a refusal from the order process is a problem document as the route's
exception handler writes it. A deprecated version keeps the plain route (its
answers carry the deprecation headers Litestar adds).
"""

from __future__ import annotations

from typing import Callable

import msgspec
from litestar import Litestar

from experience_apis.http import PRINCIPAL_SCOPE_KEY
from experience_apis.orders import OrderIn, accepted, command
from shared.asgi import read_body, send_response
from shared.errors import HubError
from shared.identity import Principal
from shared.jsonbody import decode_json
from shared.problems import send_problem

_JSON = (b"content-type", b"application/json")
_WRITE = "orders:write"  # the route's guard: requires(_WRITE)


class OrderIntake:
    def __init__(self, app: Litestar, *, prefix: str, channel: str, body: type[OrderIn] = OrderIn,
                 customer_required: bool = False, complete: Callable[[OrderIn], bool] = lambda _data: True) -> None:
        self._app = app
        self._orders = app.state.ports["orders"]
        self._path = f"{prefix}/orders"
        self._prefix = prefix
        self._channel = channel
        self._body = body
        self._customer_required = customer_required
        self._complete = complete

    @classmethod
    def wrap(cls, app: Litestar, **options: object) -> Litestar:
        """``app`` behind an intake, or ``app`` itself when its answers need Litestar's hooks."""
        if app.before_send or "orders" not in app.state.ports:
            return app
        return cls(app, **options)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> object:
        return getattr(self._app, name)  # the wrapped app's routes, state, OpenAPI document

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self._path:
            await self._app(scope, receive, send)
            return
        principal: Principal | None = scope.get(PRINCIPAL_SCOPE_KEY)
        key = scope.get("hub.headers", {}).get(b"idempotency-key")
        if (principal is None or _WRITE not in principal.scopes or not key or len(key) > 255
                or (self._customer_required and principal.customer_id is None)):
            await self._app(scope, receive, send)  # the route refuses it, as documented
            return
        body = await read_body(receive)
        try:
            data = decode_json(body, self._body)
            cmd = command(data, principal, self._channel, principal.acting_customer(data.customer_id))
        except (msgspec.DecodeError, HubError):
            data = None
        if data is None or not self._complete(data):
            await self._app(scope, _replaying(body), send)
            return
        try:
            placed = await self._orders.place_order(cmd, key.decode("latin-1"))
        except HubError as exc:
            await send_problem(send, exc, scope)
            return
        headers = [_JSON, (b"location", f"{self._prefix}/orders/{placed.order.order_id}".encode())]
        if placed.replayed:
            headers.append((b"idempotent-replayed", b"true"))
        await send_response(send, 201, headers, msgspec.json.encode(accepted(placed.order)))


def _replaying(body: bytes) -> Callable:
    """A ``receive`` that hands the already-read body to the app again."""
    sent = False

    async def receive() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive
