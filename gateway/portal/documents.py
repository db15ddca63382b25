"""The developer portal's machine-readable half: each experience API version's
OpenAPI 3.1 document at ``/openapi/{api}-{version}.json``, and the admin API's at
``/openapi/admin-v1.json``, generated from the same Litestar apps that serve them,
so document and behaviour cannot drift. Each is built once and kept."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar

from shared.problems import PROBLEM_TYPE_BASE

ADMIN = "admin-v1"


class Documents:
    def __init__(self, experiences: dict[str, Litestar], admin: Litestar | None = None) -> None:
        self._apps = {**experiences, **({ADMIN: admin} if admin is not None else {})}
        self._documents: dict[str, bytes] = {}
        self._parsed: dict[str, dict[str, Any]] = {}

    def keys(self) -> list[str]:
        return list(self._apps)

    def document(self, key: str) -> bytes | None:
        """The JSON document of `key` (``storefront-v1``, ``admin-v1``), or None."""
        if key not in self._documents and key in self._apps:
            self._documents[key] = msgspec.json.encode(self.parsed(key))
        return self._documents.get(key)

    def parsed(self, key: str) -> dict[str, Any]:
        if key not in self._parsed:
            schema = self._apps[key].openapi_schema.to_schema()
            schema["info"]["x-problem-types"] = PROBLEM_TYPE_BASE
            extra = getattr(self._apps[key].state, "openapi_webhooks", None)  # (webhooks, schemas)
            if extra is not None:
                schema["webhooks"] = extra[0]
                schema.setdefault("components", {}).setdefault("schemas", {}).update(extra[1])
            self._parsed[key] = schema
        return self._parsed[key]
