"""The webhook sender: one signed POST per attempt, to the address the URL guard approved.

A delivery checks its URL again (the partner's DNS may have changed since it subscribed),
connects to the checked address with the URL's host in ``Host`` and as the TLS server name
(``sni_hostname``), follows no redirect, and reports the status; no partner answer is ever
read beyond its status. Calls go through ``VendorHttp`` (span ``partner_webhooks.deliver``,
the bulkhead); the circuit breaker is not used: one partner's failures must not stop the others.
"""

from __future__ import annotations

import time
from contextlib import AsyncExitStack

import httpx

from shared.errors import BackendUnavailable
from shared.resilience import Bulkhead, CircuitBreaker, Guard, RetryPolicy
from system_apis.vendor_http import VendorHttp
from system_apis.webhooks import signing
from system_apis.webhooks.port import UrlRefused, WebhookRequest, WebhookResult
from system_apis.webhooks.urlguard import UrlGuard

NAME = "partner_webhooks"
USER_AGENT = "CommerceHub-Webhooks/1"


class HttpWebhookSender:
    def __init__(self, http: VendorHttp, client: httpx.AsyncClient, guard: UrlGuard) -> None:
        self._http, self._client, self._guard = http, client, guard

    async def vet(self, url: str) -> None:
        await self._guard.check(url)

    async def send(self, request: WebhookRequest) -> WebhookResult:
        try:
            target = await self._guard.check(request.url)
        except UrlRefused as exc:
            return WebhookResult(status=None, error=f"url_refused: {exc.detail}"[:200])
        headers = {"Host": target.host_header, "Content-Type": "application/json", "User-Agent": USER_AGENT,
                   **signing.headers(request.webhook_id, int(time.time()), request.body, request.secrets)}
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        built = self._client.build_request("POST", target.connect_url, content=request.body, headers=headers,
                                           extensions=extensions)
        try:
            response = await self._http.send("deliver", built, span_attributes={
                "hub.webhook_id": request.webhook_id, "hub.subscription_id": request.subscription_id})
        except BackendUnavailable as exc:
            return WebhookResult(status=None, error=("timeout" if "timed out" in exc.detail else "unreachable"))
        status = response.status_code
        return WebhookResult(status=status, error=None if 200 <= status < 300 else f"answered {status}")


def _never_raise(_response: httpx.Response) -> None:
    """Every answer is the partner's, recorded as it is: nothing here is the hub's failure."""


async def build_webhook_sender(stack: AsyncExitStack, *, sandbox: bool, timeout: float,
                               concurrency: int = 256, guard: UrlGuard | None = None) -> HttpWebhookSender:
    """The sender, with its client closed by ``stack``. No proxy from the environment (it would
    connect elsewhere than the checked address), no redirects, no cookies kept."""
    client = httpx.AsyncClient(timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False,
                               limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency))
    await stack.enter_async_context(client)
    guard_ = Guard(NAME, policy=RetryPolicy(max_attempts=1), timeout=timeout,
                   bulkhead=Bulkhead(NAME, max_concurrent=concurrency, max_wait=timeout),
                   breaker=CircuitBreaker(NAME, failure_threshold=2**31))
    http = VendorHttp(NAME, client, guard_, _never_raise)
    return HttpWebhookSender(http, client, guard or UrlGuard(sandbox=sandbox))
