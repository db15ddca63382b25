"""``hub webhooks receive`` and the ``verify`` it uses: what a partner's endpoint checks."""

from __future__ import annotations

import argparse
import io
import json
import socket
import threading
import time
from contextlib import redirect_stdout

import httpx
from standardwebhooks import Webhook

from commerce_hub.webhook_receiver import receive_deliveries
from system_apis.webhooks.port import new_secret
from system_apis.webhooks.signing import headers, verify

BODY = b'{"type": "shipment.created", "timestamp": "2026-12-06T00:00:00Z", "data": {"order_id": "ord_1"}}'


def test_verify_accepts_what_a_standard_webhooks_library_accepts() -> None:
    secret, now = new_secret(), int(time.time())
    signed = headers("msg_1", now, BODY, (secret,))
    Webhook(secret).verify(BODY, signed)  # the library agrees the delivery is genuine
    assert verify((secret,), signed, BODY, now=now)


def test_verify_refuses_forgeries_and_old_deliveries() -> None:
    secret, other, now = new_secret(), new_secret(), int(time.time())
    signed = headers("msg_1", now, BODY, (secret,))
    assert not verify((other,), signed, BODY, now=now)
    assert not verify((secret,), signed, BODY + b" ", now=now)
    assert not verify((secret,), {**signed, "webhook-id": "msg_2"}, BODY, now=now)
    assert not verify((secret,), signed, BODY, now=now + 301)
    assert not verify((secret,), {**signed, "webhook-signature": ""}, BODY, now=now)
    assert not verify(("not-a-secret!",), signed, BODY, now=now)


def test_verify_takes_either_secret_during_a_rotation() -> None:
    old, new, now = new_secret(), new_secret(), int(time.time())
    signed = headers("msg_1", now, BODY, (old, new))
    assert verify((new,), signed, BODY, now=now) and verify((old,), signed, BODY, now=now)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise AssertionError("the receiver never listened")


def test_the_receiver_prints_verified_deliveries_refuses_forged_ones_and_stops_when_told() -> None:
    secret, port = new_secret(), _free_port()
    args = argparse.Namespace(port=port, secrets=[secret], until=["shipment.created"], timeout=20)
    out, status = io.StringIO(), []
    with redirect_stdout(out):
        runner = threading.Thread(target=lambda: status.append(receive_deliveries(args)))
        runner.start()
        _wait_listening(port)
        url = f"http://127.0.0.1:{port}/"
        changed = json.dumps({"type": "order.status_changed", "data": {"status": "posted"}}).encode()
        now = int(time.time())
        forged = httpx.post(url, content=changed, headers=headers("msg_0", now, changed, (new_secret(),)))
        first = httpx.post(url, content=changed, headers=headers("msg_1", now, changed, (secret,)))
        again = httpx.post(url, content=changed, headers=headers("msg_1", now, changed, (secret,)))
        last = httpx.post(url, content=BODY, headers=headers("msg_2", now, BODY, (secret,)))
        runner.join(10)
    assert (forged.status_code, first.status_code, again.status_code, last.status_code) == (401, 204, 204, 204)
    assert status == [0]
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(x["webhook_id"], x["type"], x["redelivery"]) for x in lines] == [
        ("msg_1", "order.status_changed", False), ("msg_1", "order.status_changed", True),
        ("msg_2", "shipment.created", False)]


def test_the_receiver_gives_up_after_its_timeout() -> None:
    args = argparse.Namespace(port=_free_port(), secrets=[new_secret()], until=["inventory.changed"], timeout=0.2)
    assert receive_deliveries(args) == 1


def test_without_until_it_just_ends_at_its_timeout() -> None:
    args = argparse.Namespace(port=_free_port(), secrets=[new_secret()], until=[], timeout=0.1)
    assert receive_deliveries(args) == 0
