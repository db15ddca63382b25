"""Partner webhook signing secrets are sealed at rest (shared/sealing.py): the row holds
neither the secret nor an encoding of it, yet deliveries verify with the secret of the 201
answer; a plaintext row from before sealing still signs and is sealed on its next write or at
start; a wrong data key is a clear error, never the sealed value in an answer."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update
from standardwebhooks import Webhook

from commerce_hub.preflight import seal_secrets
from shared.db.tables import webhook_subscriptions as subs
from shared.sealing import DataKeys, new_key_line
from shared.settings import SettingsError
from system_apis.webhooks.port import new_secret
from tests.commerce_hub.orders_support import until
from tests.conftest import hub_and_engine, make_settings
from tests.process_apis.notifications.receiver import Receiver

FAST = {"outbox_poll_seconds": 0.1, "webhook_retry_base_seconds": 0.2, "webhook_retry_max_seconds": 0.5}
PREFIX = "/v1/partner/webhooks"


@pytest.fixture(params=["sqlite_url", "fresh_pg_url"])
def db_url(request) -> str:  # noqa: ANN001
    return request.getfixturevalue(request.param)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.key"
    path.write_text(new_key_line() + "\n")
    return path


@asynccontextmanager
async def running(db_url: str, key_file: Path):  # noqa: ANN201
    async with hub_and_engine(db_url, data_key_file=str(key_file), **FAST) as (hub, engine):
        headers = {"X-API-Key": await hub.new_key("webhooks:manage", customer="CUST-BOLT")}
        yield hub, engine, headers


async def subscribe(hub, headers: dict, url: str) -> dict:  # noqa: ANN001
    made = await hub.http.post(PREFIX, json={"url": url, "events": ["inventory.changed"]}, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


async def stored(engine, sub_id: str):  # noqa: ANN001, ANN201
    async with engine.connect() as conn:
        return (await conn.execute(select(subs.c.secret, subs.c.previous_secret).where(subs.c.id == sub_id))).one()


async def stock_event(hub, receiver: Receiver, on_hand: int):  # noqa: ANN001, ANN201
    """A stock change every inventory subscriber hears; the delivery the receiver got for it."""
    before = len(receiver.received)
    changed = await hub.http.post("/sandbox/wms/stock", json={"sku": "SKU-1001", "location": "DC-WEST",
                                                              "on_hand": on_hand})
    assert changed.status_code in (200, 201, 202), changed.text

    async def arrived():  # noqa: ANN202
        return next((r for r in receiver.received[before:] if json.loads(r.body)["data"]["on_hand"] == on_hand), None)

    return await until(arrived, timeout=15)


def assert_hidden(value: str, secret: str) -> None:
    """``value`` holds neither the secret, its key bytes, nor base64 of either."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    assert value.startswith("enc:v1:") and secret not in value and secret.removeprefix("whsec_") not in value
    for part in value.split(":"):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                raw = decode(part + "=" * (-len(part) % 4))
            except (binascii.Error, ValueError):
                continue
            assert key not in raw and secret.encode() not in raw


async def test_the_stored_secret_is_sealed_and_a_delivery_verifies_with_the_201_secret(
        db_url: str, key_file: Path, receiver: Receiver) -> None:
    async with running(db_url, key_file) as (hub, engine, headers):
        sub = await subscribe(hub, headers, receiver.url)
        row = await stored(engine, sub["id"])
        assert_hidden(row.secret, sub["secret"])
        assert row.previous_secret is None
        got = await stock_event(hub, receiver, 11)
        assert Webhook(sub["secret"]).verify(got.body, got.headers)["data"]["on_hand"] == 11

        rotated = (await hub.http.post(f"{PREFIX}/{sub['id']}/rotate-secret", headers=headers)).json()
        row = await stored(engine, sub["id"])
        assert_hidden(row.secret, rotated["secret"])
        assert_hidden(row.previous_secret, sub["secret"])
        got = await stock_event(hub, receiver, 12)
        assert Webhook(rotated["secret"]).verify(got.body, got.headers) == Webhook(sub["secret"]).verify(
            got.body, got.headers)
        listed = (await hub.http.get(PREFIX, headers=headers)).text
        assert "secret\"" not in listed and row.secret not in listed


async def test_a_plaintext_row_from_before_still_signs_and_is_sealed_on_its_next_write(
        db_url: str, key_file: Path, receiver: Receiver) -> None:
    async with running(db_url, key_file) as (hub, engine, headers):
        sub = await subscribe(hub, headers, receiver.url)
        legacy = new_secret()
        async with engine.begin() as conn:  # as a hub before sealing stored it
            await conn.execute(update(subs).where(subs.c.id == sub["id"]).values(secret=legacy))
        got = await stock_event(hub, receiver, 21)
        assert Webhook(legacy).verify(got.body, got.headers)["data"]["on_hand"] == 21

        rotated = (await hub.http.post(f"{PREFIX}/{sub['id']}/rotate-secret", headers=headers)).json()
        row = await stored(engine, sub["id"])
        assert_hidden(row.previous_secret, legacy)
        assert_hidden(row.secret, rotated["secret"])
        got = await stock_event(hub, receiver, 22)
        assert Webhook(legacy).verify(got.body, got.headers) and Webhook(rotated["secret"]).verify(got.body, got.headers)


async def test_the_start_seals_plaintext_rows_and_they_sign_as_before(
        db_url: str, key_file: Path, receiver: Receiver) -> None:
    legacy = new_secret()
    async with running(db_url, key_file) as (hub, engine, headers):
        sub = await subscribe(hub, headers, receiver.url)
        async with engine.begin() as conn:  # a previous secret whose overlap ended is cleared, not kept
            await conn.execute(update(subs).where(subs.c.id == sub["id"]).values(
                secret=legacy, previous_secret=new_secret(), previous_secret_until=datetime(2026, 1, 1, tzinfo=UTC)))
    settings = make_settings(db_url, data_key_file=str(key_file))
    assert await seal_secrets(settings) == 1 and await seal_secrets(settings) == 0  # once
    async with running(db_url, key_file) as (hub, engine, headers):
        row = await stored(engine, sub["id"])
        assert_hidden(row.secret, legacy)
        assert row.previous_secret is None
        got = await stock_event(hub, receiver, 31)
        assert Webhook(legacy).verify(got.body, got.headers)["data"]["on_hand"] == 31


async def test_a_wrong_key_refuses_the_start_and_answers_a_clear_problem_without_the_sealed_value(
        db_url: str, key_file: Path, tmp_path: Path, receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="commerce_hub.webhooks")
    async with running(db_url, key_file) as (hub, engine, headers):
        sub = await subscribe(hub, headers, receiver.url)
        sealed = (await stored(engine, sub["id"])).secret
    wrong = tmp_path / "wrong.key"
    wrong.write_text(new_key_line() + "\n")
    # the sandbox starts anyway (another directory's key on a shared database), the row left as it is
    assert await seal_secrets(make_settings(db_url, data_key_file=str(wrong))) == 0  # (unchanged: checked below)
    with pytest.raises(SettingsError) as refused:  # production (strict) refuses
        await seal_secrets(make_settings(db_url, data_key_file=str(wrong)), strict=True)
    message = str(refused.value)
    assert message.startswith("HUB_DATA_KEY_FILE:") and "\n" not in message and sealed.split(":")[2] in message
    assert sealed.split(":")[3] not in message and sub["secret"] not in message

    async with running(db_url, wrong) as (hub, engine, headers):  # started anyway (no reseal): the API and deliveries
        answer = await hub.http.post(f"{PREFIX}/{sub['id']}/rotate-secret", headers=headers)
        assert answer.status_code == 500 and answer.json()["code"] == "data_key_mismatch", answer.text
        assert sealed.split(":")[3] not in answer.text and "HUB_DATA_KEY_FILE" not in answer.text
        assert (await stored(engine, sub["id"])).secret == sealed  # nothing changed
        listed = await hub.http.get(PREFIX, headers=headers)
        assert listed.status_code == 200 and [s["id"] for s in listed.json()["items"]] == [sub["id"]]
        changed = await hub.http.post("/sandbox/wms/stock", json={"sku": "SKU-1001", "location": "DC-WEST",
                                                                  "on_hand": 41})
        assert changed.status_code in (200, 201, 202)

        async def told() -> list[str]:
            return [r.getMessage() for r in caplog.records if sub["id"] in r.getMessage()]

        [said, *_] = await until(told, timeout=10)  # the worker tried the lane and logged why it waits
        assert sealed.split(":")[2] in said and "HUB_DATA_KEY_FILE" in said and sealed.split(":")[3] not in said
        log = (await hub.http.get(f"{PREFIX}/{sub['id']}/deliveries", headers=headers)).json()["items"]
        assert [(d["status"], d["attempts"]) for d in log] == [("pending", 0)]  # waits, no attempt spent
        assert receiver.received == []  # never signed with anything else


def test_sealed_values_fit_the_columns() -> None:
    sealed = DataKeys(bytes(32)).seal(new_secret(), "wh_" + "0" * 20)
    assert len(sealed) <= subs.c.secret.type.length
