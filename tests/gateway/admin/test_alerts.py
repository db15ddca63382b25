"""Alerts: evaluated in the hub, listed at GET /admin/v1/alerts with their history, recorded
once however many instances evaluate, and sent to the operator webhook signed like Standard
Webhooks (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac

import httpx
import msgspec
import pytest
from sqlalchemy import delete, select

from process_apis.ops.alert_store import ALERT_TOPIC, AlertNotice, AlertStore
from process_apis.ops.alerts import AlertWebhook
from shared.db.engine import create_engine, dispose
from shared.db.tables import alert_events, alert_states, outbox
from shared.errors import BackendError, BackendUnavailable
from shared.messaging import Message
from shared.settings import SettingsError
from tests.conftest import Hub, make_settings
from tests.gateway.admin.ops_support import admin_get, by_name, ops_hub, place, status_of  # noqa: F401
from tests.gateway.support import eventually

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


async def test_an_erp_outage_fires_oldest_pending_and_circuit_alerts_which_resolve_after(ops_hub: Hub) -> None:
    key = await ops_hub.new_key("orders:read", "orders:write")
    warm = await place(ops_hub, key)
    await eventually(lambda: _is(ops_hub, key, warm, "released"), 20)
    assert (await ops_hub.http.put("/sandbox/erp/faults", json={"outage": True})).status_code == 200
    order_id = await place(ops_hub, key)

    async def firing(*rules: str) -> bool:
        alerts = by_name((await admin_get(ops_hub, "alerts"))["items"], "rule")
        return all(alerts.get(r, {}).get("state") == "firing" for r in rules)

    await eventually(lambda: firing("oldest_pending", "circuit_open"), 20)
    alerts = by_name((await admin_get(ops_hub, "alerts"))["items"], "rule")
    assert "erp_posting" in alerts["oldest_pending"]["detail"] and alerts["oldest_pending"]["since"]
    assert "erp circuit" in alerts["circuit_open"]["detail"]
    assert (await ops_hub.http.delete("/sandbox/erp/faults")).status_code == 200
    await eventually(lambda: _is(ops_hub, key, order_id, "released"), 20)

    async def resolved() -> bool:
        alerts = by_name((await admin_get(ops_hub, "alerts"))["items"], "rule")
        return alerts["oldest_pending"]["state"] == alerts["circuit_open"]["state"] == "resolved"

    await eventually(resolved, 20)
    history = [(a["rule"], a["state"]) for a in (await admin_get(ops_hub, "alerts"))["history"]]
    for rule in ("oldest_pending", "circuit_open"):
        assert history.count((rule, "firing")) >= 1 and history.count((rule, "resolved")) >= 1
        assert history.index((rule, "resolved")) < history.index((rule, "firing"))  # newest first


async def _is(hub: Hub, key: str, order_id: str, status: str) -> bool:
    return await status_of(hub, key, order_id) == status


@pytest.fixture
async def engine(database_url: str):  # noqa: ANN201
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        for table in (alert_states, alert_events, outbox):
            await conn.execute(delete(table))
    yield engine
    await dispose(engine)


async def test_instances_evaluating_at_once_record_and_notify_each_transition_once(engine) -> None:  # noqa: ANN001
    stores = [AlertStore(engine, notify=True) for _ in range(4)]
    fired = await asyncio.gather(*(s.fire("oldest_pending", "late") for s in stores))
    assert sorted(fired) == [False, False, False, True]
    assert not any(await asyncio.gather(*(s.fire("oldest_pending", "later") for s in stores)))
    resolved = await asyncio.gather(*(s.resolve("oldest_pending", "ok") for s in stores))
    assert sorted(resolved) == [False, False, False, True]
    async with engine.connect() as conn:
        events = (await conn.execute(select(alert_events.c.state).order_by(alert_events.c.id))).scalars().all()
        notices = (await conn.execute(select(outbox.c.payload).where(outbox.c.topic == ALERT_TOPIC))).scalars().all()
    assert events == ["firing", "resolved"]
    assert [msgspec.json.decode(n)["state"] for n in notices] == ["firing", "resolved"]


async def test_the_operator_webhook_is_signed_and_failures_are_classified() -> None:
    seen: list[httpx.Request] = []
    answers = iter([204, 503, 400])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(next(answers))

    notice = AlertNotice(id="alert_7", rule="circuit_open", state="firing", at=__import__("datetime").datetime.now(),
                         detail="erp circuit open for 61 s")
    message = Message(id="1", topic=ALERT_TOPIC, key="circuit_open", payload=msgspec.json.encode(notice), attempts=1)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        hook = AlertWebhook(http, "https://ops.example.com/hook", SECRET)
        await hook.send(message)
        with pytest.raises(BackendUnavailable):
            await hook.send(message)
        with pytest.raises(BackendError) as refused:
            await hook.send(message)
        assert not isinstance(refused.value, BackendUnavailable)
    request = seen[0]
    wid, ts = request.headers["webhook-id"], request.headers["webhook-timestamp"]
    expected = hmac.new(b"k" * 32, f"{wid}.{ts}.".encode() + request.content, hashlib.sha256).digest()
    assert wid == "alert_7" and request.headers["webhook-signature"] == "v1," + base64.b64encode(expected).decode()
    assert msgspec.json.decode(request.content)["rule"] == "circuit_open"


@pytest.mark.parametrize(("overrides", "name"), [
    ({"alert_webhook_url": "https://ops.example.com/hook"}, "HUB_ALERT_WEBHOOK_SECRET"),
    ({"alert_webhook_url": "https://ops.example.com/hook", "alert_webhook_secret": "plain"}, "HUB_ALERT_WEBHOOK_SECRET"),
    ({"alert_webhook_url": "ftp://x"}, "HUB_ALERT_WEBHOOK_URL"),
    ({"alert_oldest_pending_seconds": 0}, "HUB_ALERT_OLDEST_PENDING_SECONDS"),
    ({"alert_refund_failures": 0}, "HUB_ALERT_REFUND_FAILURES"),
    ({"ops_report_seconds": 0}, "HUB_OPS_REPORT_SECONDS"),
])
def test_bad_ops_settings_name_the_setting(overrides: dict, name: str) -> None:
    with pytest.raises(SettingsError) as err:
        make_settings("sqlite+aiosqlite:///x.db", **overrides)
    assert str(err.value).startswith(name)
