"""The developer portal as one ASGI app behind the edge (unauthenticated routes):

- ``/openapi/{api}-{version}.json``: each API's OpenAPI 3.1 document (JSON);
- ``/docs``...: the HTML pages (``gateway.portal.pages``);
- ``/docs/static/...``: the one stylesheet and script, shipped in the package;
- ``POST /docs/sandbox-keys``: a self-service sandbox key (``gateway.portal.sandbox_keys``),
  only when the hub runs as a sandbox (else 404 like any unknown path).

Pages are built on first use and kept. HTML answers send a self-only
Content-Security-Policy; an unknown page under ``/docs`` is an HTML 404 (people
read it), an unknown document under ``/openapi`` the usual problem."""

from __future__ import annotations

from importlib import resources
from typing import Callable

import msgspec
from litestar import Litestar

from experience_apis.versions import VERSIONS, VersionRegistry
from gateway.portal.documents import Documents
from gateway.portal.pages import Site
from gateway.portal.sandbox_keys import PATH as SANDBOX_KEYS, SandboxKeys
from shared.asgi import send_response
from shared.errors import NotFound
from shared.settings import Plan

CSP = (b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       b"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
_HTML_HEADERS = [(b"content-type", b"text/html; charset=utf-8"), (b"content-security-policy", CSP),
                 (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                 (b"cache-control", b"public, max-age=300")]
_STATIC_TYPES = {"portal.css": b"text/css; charset=utf-8", "portal.js": b"text/javascript; charset=utf-8"}


class PortalApp:
    def __init__(self, experiences: dict[str, Litestar], admin: Litestar | None = None, *,
                 versions: VersionRegistry | None = None, plans: dict[str, Plan] | None = None,
                 sandbox_keys: SandboxKeys | None = None) -> None:
        self.documents = Documents(experiences, admin)
        self.site = Site(self.documents, versions or VERSIONS, plans or {}, sandbox_keys=sandbox_keys is not None)
        self._sandbox_keys = sandbox_keys
        self._static = {name: (resources.files("gateway.portal") / "static" / name).read_bytes()
                        for name in _STATIC_TYPES}

    def document(self, key: str) -> bytes | None:
        return self.documents.document(key)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        path: str = scope["path"]
        if path.startswith("/openapi/"):
            await self._openapi(path, send)
        elif path.rstrip("/") == SANDBOX_KEYS:
            await self._sandbox_key(scope, receive, send)
        elif scope["method"] not in ("GET", "HEAD"):
            await self._html(send, 405, self.site.not_found(), scope, [(b"allow", b"GET, HEAD")])
        elif path.startswith("/docs/static/"):
            await self._asset(path.removeprefix("/docs/static/"), scope, send)
        elif path == "/docs" or path.startswith("/docs/"):
            body = self.site.render(path)
            await self._html(send, 200 if body is not None else 404, body or self.site.not_found(), scope)
        else:
            raise NotFound("No portal page here.")

    async def _sandbox_key(self, scope: dict, receive: Callable, send: Callable) -> None:
        if self._sandbox_keys is None:
            raise NotFound("No portal page here.")
        if scope["method"] != "POST":
            await self._html(send, 405, self.site.not_found(), scope, [(b"allow", b"POST")])
            return
        await self._sandbox_keys(scope, receive, send)

    async def _openapi(self, path: str, send: Callable) -> None:
        name = path.removeprefix("/openapi/").removesuffix(".json")
        body = self.documents.document(name) if path.endswith(".json") else None
        if path == "/openapi/":  # the index: every document this hub serves
            body = msgspec.json.encode({"documents": [{"name": key, "url": f"/openapi/{key}.json"}
                                                      for key in self.documents.keys()]})
        if body is None:  # the edge answers it as a problem
            raise NotFound("No such API document.")
        await send_response(send, 200, [(b"content-type", b"application/json"),
                                        (b"cache-control", b"public, max-age=300")], body)

    async def _asset(self, name: str, scope: dict, send: Callable) -> None:
        if name not in self._static:
            await self._html(send, 404, self.site.not_found(), scope)
            return
        headers = [(b"content-type", _STATIC_TYPES[name]), (b"x-content-type-options", b"nosniff"),
                   (b"cache-control", b"public, max-age=86400")]
        await send_response(send, 200, headers, b"" if scope["method"] == "HEAD" else self._static[name])

    async def _html(self, send: Callable, status: int, body: bytes, scope: dict,
                    extra: list[tuple[bytes, bytes]] | None = None) -> None:
        headers = _HTML_HEADERS + (extra or [])
        await send_response(send, status, headers, b"" if scope["method"] == "HEAD" else body)
