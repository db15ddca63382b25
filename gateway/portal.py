"""The developer portal's machine-readable half: each experience API version's
OpenAPI 3.1 document at ``/openapi/{api}-{version}.json``, generated from the
same Litestar apps that serve it, so document and behaviour cannot drift, and
their index at ``/openapi/`` (``{"documents": [{"name", "url"}]}``)."""

from __future__ import annotations

from typing import Callable

import msgspec
from litestar import Litestar

from shared.asgi import send_response
from shared.errors import NotFound
from shared.problems import PROBLEM_TYPE_BASE


class PortalApp:
    def __init__(self, experiences: dict[str, Litestar]) -> None:
        self._experiences = experiences
        self._documents: dict[str, bytes] = {}

    def document(self, key: str) -> bytes | None:
        if key not in self._documents and key in self._experiences:
            schema = self._experiences[key].openapi_schema.to_schema()
            schema["info"]["x-problem-types"] = PROBLEM_TYPE_BASE
            extra = getattr(self._experiences[key].state, "openapi_webhooks", None)  # (webhooks, schemas)
            if extra is not None:
                schema["webhooks"] = extra[0]
                schema.setdefault("components", {}).setdefault("schemas", {}).update(extra[1])
            self._documents[key] = msgspec.json.encode(schema)
        return self._documents.get(key)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        path = scope["path"]
        name = path.removeprefix("/openapi/").removesuffix(".json")
        body = self.document(name) if path.endswith(".json") else None
        if path == "/openapi/":
            body = msgspec.json.encode({"documents": [{"name": key, "url": f"/openapi/{key}.json"}
                                                      for key in self._experiences]})
        if body is None:  # the edge answers it as a problem
            raise NotFound("No such API document.")
        await send_response(send, 200, [(b"content-type", b"application/json"),
                                        (b"cache-control", b"public, max-age=300")], body)
