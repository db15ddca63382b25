"""The trading partners, and how a document to one of them is numbered, kept and dropped off.

A document is numbered (ISA13, GS06, ST02 from the partner's counters, locked by the
transaction), rendered by the codec and stored in that one transaction, with the
business change it answers. After the commit, when the partner has an ``outbox_dir`` or
``HUB_EDI_OUTBOX_DIR`` is set, it is also written there as ``<type>-<ISA13>.x12`` (under
``<dir>/<partner>/`` for the shared one) (to a hidden name, then
renamed: a partner polling the folder never reads half a file).
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from process_apis.edi import repository as repo
from process_apis.edi.schemas import DocumentView, TradingPartner
from shared.errors import Forbidden
from system_apis.edi.port import Envelope, PartnerIds, Received

log = logging.getLogger(__name__)


class Partners:
    def __init__(self, partners: list[TradingPartner], hub: PartnerIds) -> None:
        self._by_name = {p.name: p for p in partners}
        self._by_isa = {(p.ids.isa_qualifier, p.ids.isa_id): p for p in partners}
        self.hub = hub

    def sender_of(self, received: Received, customer_id: str | None) -> TradingPartner:
        """The partner that sent ``received``; Forbidden when none is configured with its ISA id, or
        (for an upload) it is not the uploading customer's."""
        partner = self._by_isa.get((received.sender.isa_qualifier, received.sender.isa_id))
        if partner is None or (customer_id is not None and partner.customer_id != customer_id):
            raise Forbidden(f"No trading partner {received.sender.isa_qualifier}/{received.sender.isa_id} is set up "
                            "for this credential's customer.", code="edi_unknown_partner")
        return partner

    def named(self, name: str) -> TradingPartner:
        return self._by_name[name]

    def of_customer(self, customer_id: str) -> list[str]:
        return sorted(p.name for p in self._by_name.values() if p.customer_id == customer_id)


class Outbound:
    def __init__(self, partners: Partners, outbox_dir: str | None = None) -> None:
        self._partners = partners
        self._dir = Path(outbox_dir) if outbox_dir else None

    async def send(self, conn: AsyncConnection, partner: TradingPartner, doc_type: str, ref: str,
                   build: Callable[[Envelope], str], **extra: str | None) -> DocumentView | None:
        """Number, render and store one document; None when it was sent before (same type and ref)."""
        if await repo.document(conn, partner.name, "out", doc_type, ref) is not None:
            return None
        isa, gs, st = await repo.next_numbers(conn, partner.name)
        hub = self._partners.hub
        env = Envelope(sender=hub, receiver=partner.ids, interchange=isa, group=gs, transaction=st,
                       at=datetime.now(UTC), version=partner.version)
        return await repo.add_document(conn, partner=partner.name, direction="out", doc_type=doc_type, ref=ref,
                                       interchange_control=f"{isa:09d}", group_control=str(gs),
                                       set_control=f"{st:04d}", status="sent", raw=build(env), **extra)

    def _folder(self, name: str) -> Path | None:
        own = self._partners.named(name).outbox_dir
        return Path(own) if own else (self._dir / name if self._dir is not None else None)

    def drop_off(self, docs: list[DocumentView | None]) -> None:
        """Write committed documents to the partner's outbound folder (when one is set)."""
        for doc in docs:
            folder = None if doc is None else self._folder(doc.partner)
            if doc is None or folder is None:
                continue
            try:
                folder.mkdir(parents=True, exist_ok=True)
                hidden = folder / f".{doc.doc_type}-{doc.interchange_control}.x12"
                hidden.write_text(doc.raw, encoding="latin-1")
                os.replace(hidden, folder / hidden.name[1:])
            except OSError as exc:  # the document is stored; GET /v1/partner/edi/documents still has it
                log.warning("edi: could not write %s %s for %s: %s", doc.doc_type, doc.interchange_control,
                            doc.partner, exc)
