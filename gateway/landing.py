"""``GET /``: a short JSON answer that points a newcomer (or a probe) to the developer
portal, the operations console and health. Mounted at ``/`` on every role that serves
the edge (``all``, ``gateway``): the shortest prefix, so any other unknown path still
answers the edge's 404 problem."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Callable

import msgspec

from shared.errors import HubError, NotFound

LINKS = {"docs": "/docs", "console": "/console", "health": "/health/ready", "live": "/health/live",
         "openapi": "/openapi/storefront-v1.json"}


class MethodNotAllowed(HubError):
    status, code, title = 405, "method_not_allowed", "Method not allowed"


def hub_version() -> str:
    try:
        return version("commerce-hub")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


class LandingApp:
    def __init__(self) -> None:
        self._body = msgspec.json.encode({"name": "Commerce Hub", "version": hub_version(), "links": LINKS})
        self._headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-cache"),
                         (b"content-length", b"%d" % len(self._body))]

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["path"] != "/":
            raise NotFound("No API answers at this path.")
        if scope["method"] not in ("GET", "HEAD"):
            raise MethodNotAllowed("GET / and HEAD / only.", headers={"Allow": "GET, HEAD"})
        await send({"type": "http.response.start", "status": 200, "headers": self._headers})
        await send({"type": "http.response.body", "body": self._body if scope["method"] == "GET" else b""})
