"""The partner webhook sender's fast paths give the same answers as the plain ones: the keyed
HMAC copied per delivery signs exactly as ``shared.ops.signing`` does (and a Standard Webhooks
library verifies it, under either secret of a rotation); a remembered IP-literal approval
answers what a fresh check does, while a host name is still resolved at every check; the
delivery span is a child of the caller's span and carries the status."""

from __future__ import annotations

import time

import aiohttp
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from standardwebhooks import Webhook

from shared.ops.signing import sign
from system_apis.webhooks import signing
from system_apis.webhooks.client import HttpWebhookSender
from system_apis.webhooks.port import UrlRefused, WebhookRequest, new_secret
from system_apis.webhooks.urlguard import UrlGuard
from tests.process_apis.notifications.receiver import Receiver


def test_keyed_signatures_equal_the_plain_ones_and_verify_under_both_secrets_of_a_rotation() -> None:
    old, new = new_secret(), new_secret()
    for n in range(3):  # the cached key state is copied, never consumed: every signature is fresh
        body = f'{{"n":{n}}}'.encode()
        stamp = int(time.time())
        headers = signing.headers(f"msg_{n}", stamp, body, (new, old))
        assert headers["webhook-signature"] == f"{sign(new, f'msg_{n}', stamp, body)} {sign(old, f'msg_{n}', stamp, body)}"
        for secret in (new, old):
            assert Webhook(secret).verify(body, headers)["n"] == n
    with pytest.raises(ValueError):
        signing.headers("msg_x", 1, b"{}", ("whsec_not*base64",))


async def test_an_ip_literal_approval_is_remembered_and_a_host_name_is_resolved_every_time() -> None:
    asked: list[str] = []
    answers = {"partner.example": ["93.184.215.14"]}

    async def resolve(host: str, _port: int) -> list[str]:
        asked.append(host)
        return answers[host]

    guard = UrlGuard(sandbox=False, resolve=resolve)
    first = await guard.check("https://93.184.215.14:8443/h?x=1")
    assert await guard.check("https://93.184.215.14:8443/h?x=1") == first
    assert first.connect_url == "https://93.184.215.14:8443/h?x=1" and asked == []
    for _ in range(2):
        with pytest.raises(UrlRefused):  # a refusal is never remembered as an approval
            await guard.check("https://10.0.0.5/hook")
    await guard.check("https://partner.example/hook")
    answers["partner.example"] = ["10.0.0.5"]  # rebinding after a good check
    with pytest.raises(UrlRefused):
        await guard.check("https://partner.example/hook")
    assert asked == ["partner.example", "partner.example"]


async def test_the_delivery_span_is_a_child_of_the_callers_span_with_the_status() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    receiver = Receiver(status=503)
    base = await receiver.start()
    async with aiohttp.ClientSession() as session:
        sender = HttpWebhookSender(session, UrlGuard(sandbox=True), 2, tracer=tracer)
        with tracer.start_as_current_span("handler"):
            result = await sender.send(WebhookRequest(url=base + "/in", webhook_id="msg_s", body=b"{}",
                                                      secrets=(new_secret(),), subscription_id="wh_1"))
    await receiver.stop()
    assert result.status == 503 and not result.delivered
    spans = {s.name: s for s in exporter.get_finished_spans()}
    deliver = spans["partner_webhooks.deliver"]
    assert deliver.parent.span_id == spans["handler"].context.span_id
    assert deliver.attributes["http.response.status_code"] == 503
    assert deliver.attributes["hub.webhook_id"] == "msg_s" and deliver.end_time is not None
