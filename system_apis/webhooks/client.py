"""The webhook sender: one signed POST per attempt, to the address the URL guard approved.

A delivery checks its URL again (the partner's DNS may have changed since it subscribed),
connects to the checked address with the URL's host in ``Host`` and as the TLS server name
(``server_hostname``), follows no redirect, keeps no cookie, takes no proxy from the
environment, and reports the status; a partner's answer is read only to keep the connection
(at most ``MAX_DRAIN`` bytes, discarded). Each attempt is a span ``partner_webhooks.deliver``;
no circuit breaker: one partner's failures must not stop the others.

aiohttp, not httpx, carries the fan-out: on this 2-core box it sends several times more
requests per CPU second (docs/performance.md), and a fan-out is nothing but small POSTs.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack

import aiohttp
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from system_apis.webhooks import signing
from system_apis.webhooks.port import UrlRefused, WebhookRequest, WebhookResult
from system_apis.webhooks.urlguard import UrlGuard

NAME = "partner_webhooks"
USER_AGENT = "CommerceHub-Webhooks/1"
MAX_DRAIN = 64 * 1024


class HttpWebhookSender:
    def __init__(self, session: aiohttp.ClientSession, guard: UrlGuard, timeout: float,
                 tracer: trace.Tracer | None = None) -> None:
        self._session, self._guard = session, guard
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._tracer = tracer or trace.get_tracer("commerce_hub.system_apis")

    async def vet(self, url: str) -> None:
        await self._guard.check(url)

    async def send(self, request: WebhookRequest) -> WebhookResult:
        try:
            target = await self._guard.check(request.url)
        except UrlRefused as exc:
            return WebhookResult(status=None, error=f"url_refused: {exc.detail}"[:200])
        headers = {"Host": target.host_header, "Content-Type": "application/json", "User-Agent": USER_AGENT,
                   **signing.headers(request.webhook_id, int(time.time()), request.body, request.secrets)}
        span = self._tracer.start_span(f"{NAME}.deliver", kind=SpanKind.CLIENT, attributes={
            "hub.backend": NAME, "hub.webhook_id": request.webhook_id, "hub.subscription_id": request.subscription_id})
        try:  # a child of the handler's span, not made current: nothing runs inside it (and it is cheaper)
            async with self._session.post(
                    target.connect_url, data=request.body, headers=headers, allow_redirects=False,
                    timeout=self._timeout,
                    server_hostname=target.host if target.scheme == "https" else None) as response:
                status = response.status
                span.set_attribute("http.response.status_code", status)
                await _drain(response)
        except (TimeoutError, asyncio.TimeoutError):
            return WebhookResult(status=None, error="timeout")
        except (aiohttp.ClientError, OSError, ValueError):
            return WebhookResult(status=None, error="unreachable")
        finally:
            span.end()
        return WebhookResult(status=status, error=None if 200 <= status < 300 else f"answered {status}")


async def _drain(response: aiohttp.ClientResponse) -> None:
    """Read and drop a small answer so its connection is reused; a large one closes it."""
    seen = 0
    while chunk := await response.content.readany():
        seen += len(chunk)
        if seen > MAX_DRAIN:
            response.close()
            return


async def build_webhook_sender(stack: AsyncExitStack, *, sandbox: bool, timeout: float,
                               concurrency: int = 256, guard: UrlGuard | None = None) -> HttpWebhookSender:
    """The sender, with its session closed by ``stack``: at most ``concurrency`` connections,
    none from a proxy of the environment, no cookies kept."""
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=0, use_dns_cache=False)
    session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False,
                                    auto_decompress=False)
    await stack.enter_async_context(session)
    return HttpWebhookSender(session, guard or UrlGuard(sandbox=sandbox), timeout)
