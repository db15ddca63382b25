"""An httpx transport that sends with aiohttp: the vendor calls' wire, under the one ``VendorHttp``.

``VendorHttp`` and every adapter keep speaking httpx (requests, responses,
classifiers, ``MockTransport`` in tests); only the connection pool and the
HTTP/1.1 exchange underneath are aiohttp's. Measured on this project's 2-core
box, httpx's own pool (httpcore) spent more CPU than the call's work: per
request it scans every pooled connection and polls each idle socket
(docs/performance.md, issue 14). aiohttp's connector keeps idle connections
in a per-host list and reuses the most recent one.

Failures map to httpx's error tree, so callers catch what they caught before:
a connect failure is ``httpx.ConnectError``, a connect or read timeout
``httpx.ConnectTimeout`` / ``httpx.ReadTimeout``, anything else on the wire
``httpx.ReadError`` (all ``httpx.HTTPError``; ``VendorHttp`` turns them into
``BackendUnavailable``). Bodies are handed over as sent (no decompression
here): httpx decodes them as it always has.
"""

from __future__ import annotations

import asyncio

import aiohttp
import httpx


class AiohttpTransport(httpx.AsyncBaseTransport):
    """``limits``: at most ``max_connections`` per host, idle ones kept ``keepalive_expiry`` seconds."""

    def __init__(self, limits: httpx.Limits | None = None) -> None:
        limits = limits or httpx.Limits()
        self._connector_args = {"limit": 0, "limit_per_host": limits.max_connections or 0,
                                "keepalive_timeout": limits.keepalive_expiry or 5.0}
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:  # built on first use: inside the running loop
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(**self._connector_args), auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
                cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        body = request.content if request.method not in ("GET", "HEAD") or request.content else None
        try:
            async with self._open().request(
                request.method, str(request.url), data=body, headers=request.headers.multi_items(),
                allow_redirects=False, compress=None,
                timeout=aiohttp.ClientTimeout(connect=timeout.get("connect"), sock_read=timeout.get("read")),
            ) as answer:
                content = await answer.read()
                return httpx.Response(answer.status, headers=answer.raw_headers, content=content, request=request,
                                      extensions={"http_version": b"HTTP/1.1"})
        except aiohttp.ConnectionTimeoutError as exc:  # a ServerTimeoutError too: first
            raise httpx.ConnectTimeout(str(exc) or "connect timed out", request=request) from exc
        except (aiohttp.ServerTimeoutError, asyncio.TimeoutError) as exc:
            raise httpx.ReadTimeout(str(exc) or "read timed out", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
