"""The EDI drop folder and the outbound folders (issue 13): a file left in HUB_EDI_INBOX_DIR is
taken by the workers, moved to done/ or failed/ (with the reason), and its 997 and 855 land in
HUB_EDI_OUTBOX_DIR/<partner>/; the same file dropped twice makes one order."""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from tests.commerce_hub.orders_support import until
from tests.conftest import start_mobile_hub
from tests.edi_samples import purchase_order
from tests.experience_apis.partner.test_webhooks import db_url  # noqa: F401 - SQLite and PostgreSQL


@pytest.fixture
async def folders(db_url: str, tmp_path: Path):  # noqa: ANN201, F811
    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    inbox.mkdir()
    async with AsyncExitStack() as stack:
        hub = await start_mobile_hub(stack, db_url, outbox_poll_seconds=0.1, sandbox_autoship_seconds=0,
                                     edi_inbox_dir=str(inbox), edi_outbox_dir=str(outbox), edi_poll_seconds=0.1)
        yield hub, inbox, outbox


def drop(inbox: Path, name: str, text: str) -> None:
    hidden = inbox / f".{name}"
    hidden.write_text(text)
    hidden.rename(inbox / name)  # as a partner should: never a half-written file


async def test_a_dropped_850_is_taken_acknowledged_and_captured_once(folders) -> None:  # noqa: ANN001
    hub, inbox, outbox = folders
    po, isa = f"PO-{uuid.uuid4().hex[:8]}", uuid.uuid4().int % 900_000_000 + 1
    text = purchase_order(isa, po, [("SKU-1003", 1, None)])
    drop(inbox, "first.x12", text)
    await until(lambda: _exists(inbox / "done" / "first.x12"))
    drop(inbox, "again.x12", text)
    await until(lambda: _exists(inbox / "done" / "again.x12"))
    sent = await until(lambda: _listing(outbox / "acme"))
    assert any(name.startswith("997-") for name in sent)
    acks = [p.read_text() for p in (outbox / "acme").glob("855-*.x12") if po in p.read_text()]
    assert len(acks) == 1 and "BAK*00*AD*" in acks[0]
    headers = {"X-API-Key": await hub.new_key("orders:read", customer="CUST-ACME")}
    listed = (await hub.http.get("/v1/partner/edi/documents", headers=headers, params={"type": "855"})).json()
    assert len([d for d in listed["items"] if d["po_number"] == po]) == 1
    assert not list((inbox / "processing").iterdir())


async def test_a_malformed_or_foreign_file_goes_to_failed_with_the_reason(folders) -> None:  # noqa: ANN001
    _hub, inbox, _outbox = folders
    text = purchase_order(uuid.uuid4().int % 900_000_000 + 1, "PO-BAD", [("SKU-1003", 1, None)])
    drop(inbox, "bad.x12", text.replace("IEA*1*", "IEA*7*"))
    drop(inbox, "junk.txt", "not x12 at all")
    drop(inbox, "stranger.x12", text.replace("ZZ*ACMEBUYER      ", "ZZ*SOMEONEELSE    "))
    for name, words in (("bad.x12", "IEA"), ("junk.txt", "edi_unreadable"), ("stranger.x12", "edi_unknown_partner")):
        reason = await until(lambda name=name: _read(inbox / "failed" / f"{name}.reason.txt"))
        assert words in reason, reason


async def _exists(path: Path) -> bool:
    return path.exists()


async def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.x12")) if folder.exists() else []


async def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None
