"""What the experience APIs may ask of the EDI process."""

from __future__ import annotations

from typing import Protocol

from process_apis.edi.schemas import DocumentPage, Receipt


class EdiPort(Protocol):
    async def receive(self, raw: bytes, customer_id: str | None = None) -> Receipt:
        """Take one X12 interchange: its 997 always (a TA1 when its envelope is wrong), each 850 captured
        as a partner order once. ``customer_id``: the uploading credential's customer, whose trading
        partner the interchange must come from (None: the drop folder, trusted). Raises BadRequest
        ``edi_unreadable``, Forbidden ``edi_unknown_partner``; a rejected interchange is a Receipt."""
        ...

    async def documents(self, customer_id: str, limit: int = 50, cursor: str | None = None,
                        doc_type: str | None = None) -> DocumentPage:
        """The documents to and from the customer's trading partners, newest first."""
        ...
