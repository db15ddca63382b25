"""Partner webhook URLs cannot reach the hub's own network (issue 11, CONTRACT section 5).

Production refuses anything but https to public addresses, at subscription and again at
every delivery; a name that resolves to a private address is refused like the address; a
delivery connects to the address that was checked, so a DNS answer that changes after the
check (rebinding) cannot redirect it. The sandbox allows http to loopback only."""

from __future__ import annotations

import pytest

from system_apis.webhooks.client import build_webhook_sender
from system_apis.webhooks.port import UrlRefused, WebhookRequest, new_secret
from system_apis.webhooks.urlguard import UrlGuard
from tests.process_apis.notifications.receiver import Receiver

PUBLIC = "93.184.215.14"


def resolver(table: dict[str, list[str]]):  # noqa: ANN201
    async def resolve(host: str, _port: int) -> list[str]:
        if host not in table:
            raise OSError("no such host")
        return table[host]

    return resolve


NAMES = {"partner.example": [PUBLIC], "evil.example": ["127.0.0.1"], "mixed.example": [PUBLIC, "10.1.2.3"],
         "meta.example": ["169.254.169.254"], "v6.example": ["fd12::1"]}


@pytest.mark.parametrize("url", [
    "http://partner.example/hook",                # not https
    "https://10.0.0.5/hook", "https://172.16.0.1/", "https://192.168.1.1/",
    "https://127.0.0.1/hook", "https://127.9.9.9/", "https://[::1]/hook",
    "https://169.254.169.254/latest/meta-data/", "https://meta.example/",
    "https://[fc00::1]/", "https://v6.example/", "https://[fe80::1]/", "https://[::ffff:10.0.0.1]/",
    "https://0.0.0.0/", "https://100.64.0.1/", "https://224.0.0.1/",
    "https://evil.example/hook",                  # a name resolving to loopback
    "https://mixed.example/hook",                 # one bad address is enough
    "https://nowhere.example/hook",               # does not resolve
    "https://user:pw@partner.example/hook", "ftp://partner.example/", "https:///nohost",
])
async def test_production_refuses(url: str) -> None:
    guard = UrlGuard(sandbox=False, resolve=resolver(NAMES))
    with pytest.raises(UrlRefused) as refused:
        await guard.check(url)
    assert refused.value.status == 422 and refused.value.code == "webhook_url_refused"


async def test_production_takes_https_to_a_public_address_and_pins_it() -> None:
    target = await UrlGuard(sandbox=False, resolve=resolver(NAMES)).check("https://partner.example:8443/h?x=1")
    assert target.connect_url == f"https://{PUBLIC}:8443/h?x=1" and target.host == "partner.example"
    assert target.host_header == "partner.example:8443"


@pytest.mark.parametrize("url, ok", [
    ("http://127.0.0.1:8081/hook", True), ("http://[::1]:8081/", True), ("http://evil.example/", True),
    ("http://10.0.0.1/", False), ("http://169.254.169.254/", False), ("http://partner.example/", False),
    ("https://partner.example/", True), ("https://192.168.0.10/", False),
])
async def test_sandbox_allows_http_to_loopback_only(url: str, ok: bool) -> None:
    guard = UrlGuard(sandbox=True, resolve=resolver(NAMES))
    if ok:
        await guard.check(url)
    else:
        with pytest.raises(UrlRefused):
            await guard.check(url)


async def test_rebinding_is_caught_at_delivery_and_the_checked_address_is_the_one_called() -> None:
    """The name pointed at a public address when the partner subscribed; at delivery it points at
    a private one: the delivery is refused, not sent. And when it does pass, the request goes to
    the checked address, with the partner's host name in Host."""
    from contextlib import AsyncExitStack

    answers = {"partner.example": [PUBLIC]}
    guard = UrlGuard(sandbox=False, resolve=resolver(answers))
    async with AsyncExitStack() as stack:
        sender = await build_webhook_sender(stack, sandbox=False, timeout=2, guard=guard)
        await sender.vet("https://partner.example/hook")  # subscription: fine
        answers["partner.example"] = ["127.0.0.1"]  # rebinding
        result = await sender.send(WebhookRequest(url="https://partner.example/hook", webhook_id="msg_1", body=b"{}",
                                                  secrets=(new_secret(),)))
        assert result.status is None and result.error.startswith("url_refused") and not result.delivered

    receiver = Receiver()
    base = await receiver.start()
    port = base.rsplit(":", 1)[1]
    sandbox_guard = UrlGuard(sandbox=True, resolve=resolver({"partner.test": ["127.0.0.1"]}))
    async with AsyncExitStack() as stack:
        sender = await build_webhook_sender(stack, sandbox=True, timeout=2, guard=sandbox_guard)
        result = await sender.send(WebhookRequest(url=f"http://partner.test:{port}/in", webhook_id="msg_2",
                                                  body=b'{"a":1}', secrets=(new_secret(),)))
    await receiver.stop()
    assert result.delivered and receiver.received[0].headers["host"] == f"partner.test:{port}"
    assert receiver.received[0].path == "/in" and receiver.received[0].headers["webhook-id"] == "msg_2"
