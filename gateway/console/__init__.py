"""The operations console at ``/console``: one HTML page, one stylesheet and two scripts (the
kit and most sections; the dead letters section), shipped in the package (no CDN, no build step), served as static files.

The page holds no data and needs no credential to load: the operator types an admin key,
the script keeps it in ``sessionStorage`` and calls the admin API (``/admin/v1/...``) with
it, exactly as ``curl`` would. Every answer carries a strict Content-Security-Policy (only
this origin's script, style and ``fetch``; no inline script, no frames) and ``nosniff``.
The assets are named in the page with a content hash, so they are cached for a year and
the page itself is revalidated (``ETag``) on every load.
"""

from __future__ import annotations

import hashlib
from importlib.resources import files
from typing import Callable

from shared.errors import NotFound

PREFIX = "/console"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
_COMMON = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
           (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")]
_TYPES = {"css": b"text/css; charset=utf-8", "js": b"text/javascript; charset=utf-8",
          "html": b"text/html; charset=utf-8"}
ASSETS = ("console.css", "console.js", "deadletters.js")


class _File:
    __slots__ = ("body", "headers", "etag")

    def __init__(self, body: bytes, kind: str, cache: bytes) -> None:
        self.body = body
        self.etag = b'"%s"' % hashlib.sha256(body).hexdigest()[:20].encode()
        self.headers = [(b"content-type", _TYPES[kind]), (b"cache-control", cache), (b"etag", self.etag), *_COMMON]


def load_files() -> dict[str, _File]:
    """The console's files by request path; the page names each asset with its hash (``?v=``)."""
    static = files(__name__) / "static"
    served: dict[str, _File] = {}
    page = (static / "index.html").read_text(encoding="utf-8")
    for name in ASSETS:
        asset = _File((static / name).read_bytes(), name.rsplit(".", 1)[1], b"public, max-age=31536000, immutable")
        served[f"{PREFIX}/{name}"] = asset
        page = page.replace(f'{PREFIX}/{name}"', f'{PREFIX}/{name}?v={asset.etag.decode().strip(chr(34))}"')
    index = _File(page.encode(), "html", b"no-cache")
    served[PREFIX] = served[f"{PREFIX}/"] = index
    return served


class ConsoleApp:
    """GET (and HEAD, at the edge) of the page and its assets; anything else is the edge's 404."""

    def __init__(self) -> None:
        self._files = load_files()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        served = self._files.get(scope["path"])
        if served is None:
            raise NotFound("The console has no such page.")
        fresh = dict(scope["headers"]).get(b"if-none-match") == served.etag
        body = b"" if fresh else served.body
        headers = served.headers if fresh else [*served.headers, (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 304 if fresh else 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
