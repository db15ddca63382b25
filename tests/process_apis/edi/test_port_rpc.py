"""The EDI port over the split roles' RPC (issue 13): raw X12 bytes in, a Receipt out, and the
refusals as the same errors on the caller's side."""

from __future__ import annotations

import httpx
import pytest

from process_apis.edi.port import EdiPort
from process_apis.edi.schemas import DocumentPage, OrderOutcome, Receipt
from shared.errors import Forbidden
from shared.rpc import RpcApp, rpc_client


class Served:
    async def receive(self, raw: bytes, customer_id: str | None = None) -> Receipt:
        if customer_id == "CUST-BOLT":
            raise Forbidden("not yours", code="edi_unknown_partner")
        return Receipt(partner="acme", interchange_control=raw[:9].decode(), status="accepted",
                       orders=(OrderOutcome(po_number="PO-1", set_control="0001", outcome="accepted"),))

    async def documents(self, customer_id: str, limit: int = 50, cursor: str | None = None,
                        doc_type: str | None = None) -> DocumentPage:
        return DocumentPage(items=(), next_cursor=f"{customer_id}:{limit}:{doc_type}")


async def test_the_edi_port_answers_the_same_over_rpc() -> None:
    app = RpcApp({"edi": (EdiPort, Served())})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://process") as http:
        edi = rpc_client(EdiPort, "edi", http)
        receipt = await edi.receive(b"000000042\x00\xff~", "CUST-ACME")
        assert receipt.interchange_control == "000000042" and receipt.orders[0].outcome == "accepted"
        assert (await edi.documents("CUST-ACME", 5, None, "855")).next_cursor == "CUST-ACME:5:855"
        with pytest.raises(Forbidden) as caught:
            await edi.receive(b"x", "CUST-BOLT")
        assert caught.value.code == "edi_unknown_partner"
