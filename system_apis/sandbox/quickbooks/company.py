"""The sandbox QuickBooks Online company: its records, queries and sales transactions.

A create carrying a ``requestid`` seen before answers exactly what the first
answered and books nothing (QBO's replay); a second ``DocNumber`` for one
entity is refused with 6140. Voiding keeps the transaction with its amounts
zeroed and ``Voided`` in its memo. Mutations never await.
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.events import Announcer
from system_apis.sandbox.quickbooks import records
from system_apis.sandbox.quickbooks.limits import RealmLimits
from system_apis.sandbox.quickbooks.query import QueryError, parse

SANDBOX_REALM = "9130357766900001"
ENTITIES = {"item": "Item", "customer": "Customer", "invoice": "Invoice", "salesreceipt": "SalesReceipt",
            "creditmemo": "CreditMemo", "refundreceipt": "RefundReceipt"}
TRANSACTIONS = ("Invoice", "SalesReceipt", "CreditMemo", "RefundReceipt")
NEEDS_CUSTOMER = ("Invoice", "CreditMemo")
_DECODER = msgspec.json.Decoder(float_hook=Decimal)


class QboFault(Exception):
    """A fault QBO answers with: ``status`` and one ``Error`` of ``code`` under ``type``."""

    def __init__(self, status: int, code: str, message: str, detail: str, type_: str = "ValidationFault") -> None:
        self.status, self.code, self.message, self.detail, self.type = status, code, message, detail, type_
        super().__init__(f"{code} {message}: {detail}")


def missing(detail: str) -> QboFault:
    return QboFault(400, "2020", "Required param missing, need to supply the required value for the API", detail)


def not_found(entity: str, entity_id: str) -> QboFault:
    return QboFault(400, "610", "Object Not Found", f"Object Not Found : {entity} {entity_id} does not exist")


class QuickBooksBackend:
    """One QBO company (realm) holding the seed; ``requests`` replays answers by request id."""

    name = "quickbooks"

    def __init__(self, announcer: Announcer, config: SandboxConfig | None = None) -> None:
        self.announcer = announcer
        self.realm_id = SANDBOX_REALM
        self.limits = RealmLimits()
        self.reset()

    def reset(self) -> None:
        self.entities = records.seeded()
        self.requests: dict[str, tuple[int, bytes]] = {}
        self._next_id = 100
        self.limits.reset()

    # --- reads ------------------------------------------------------------------------

    def query(self, statement: str, custom_fields: bool) -> dict[str, Any]:
        try:
            query = parse(statement)
        except QueryError as exc:
            raise QboFault(400, "4000", "Error parsing query", f"QueryParserError: {exc}") from exc
        if query.entity not in self.entities:
            raise QboFault(400, "4001", "Invalid query", f"QueryValidationError: {query.entity} is not queryable")
        found = query.run(list(self.entities[query.entity].values()), query.entity in ("Item", "Customer"))
        found = [self._shown(query.entity, r, custom_fields) for r in found]
        answer: dict[str, Any] = {query.entity: found, "startPosition": query.start, "maxResults": len(found)}
        return {"QueryResponse": answer if found else {}, "time": records.now()}

    def read(self, entity: str, entity_id: str) -> dict[str, Any]:
        record = self.entities[entity].get(entity_id)
        if record is None:
            raise not_found(entity, entity_id)
        return {entity: self._shown(entity, record, False), "time": records.now()}

    @staticmethod
    def _shown(entity: str, record: dict[str, Any], custom_fields: bool) -> dict[str, Any]:
        """Customer custom fields come only with ``include=enhancedAllCustomFields``."""
        if entity == "Customer" and not custom_fields:
            return {k: v for k, v in record.items() if k != "CustomField"}
        return record

    # --- writes -----------------------------------------------------------------------

    def replayed(self, request_id: str | None) -> tuple[int, bytes] | None:
        return self.requests.get(request_id) if request_id else None

    def remember(self, request_id: str | None, status: int, body: bytes) -> None:
        if request_id:
            self.requests[request_id] = (status, body)

    def create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        if entity not in TRANSACTIONS:
            raise QboFault(400, "500", "Unsupported Operation", f"Operation Create is not supported for {entity}")
        lines = self._lines(body.get("Line"))
        customer = self._customer(entity, body.get("CustomerRef"))
        if entity == "RefundReceipt" and not (body.get("DepositToAccountRef") or {}).get("value"):
            raise missing("Required parameter DepositToAccountRef is missing in the request")
        doc = body.get("DocNumber")
        if doc and any(r.get("DocNumber") == doc for r in self.entities[entity].values()):
            raise QboFault(400, "6140", "Duplicate Document Number Error",
                           f"Duplicate Document Number Error : You must specify a different number. This number has "
                           f"already been used. DocNumber={doc}")
        self._next_id += 1
        total = sum((line["Amount"] for line in lines), Decimal("0.00"))
        record = {**copy.deepcopy(body), **records.base(self._next_id), "Line": lines, "TotalAmt": total,
                  "Balance": total if entity in NEEDS_CUSTOMER else Decimal("0.00"), "TxnDate": body.get("TxnDate")
                  or records.now()[:10]}
        if customer is not None:
            record["CustomerRef"] = {"value": customer["Id"], "name": customer["DisplayName"]}
        self.entities[entity][record["Id"]] = record
        return {entity: record, "time": records.now()}

    def void(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        if entity not in TRANSACTIONS:
            raise QboFault(400, "500", "Unsupported Operation", f"Operation Void is not supported for {entity}")
        entity_id, token = str(body.get("Id") or ""), str(body.get("SyncToken") or "")
        if not entity_id or not token:
            raise missing("Id and SyncToken are required to void")
        record = self.entities[entity].get(entity_id)
        if record is None:
            raise not_found(entity, entity_id)
        if token != record["SyncToken"]:
            raise QboFault(400, "5010", "Stale Object Error",
                           f"Stale Object Error : You and someone else were editing the same thing. SyncToken={token}")
        if record["TotalAmt"] or "Voided" not in (record.get("PrivateNote") or ""):
            for line in record["Line"]:
                line["Amount"] = Decimal("0.00")
            record.update(TotalAmt=Decimal("0.00"), Balance=Decimal("0.00"),
                          PrivateNote=f"Voided - {record.get('PrivateNote') or ''}".strip(" -"),
                          SyncToken=str(int(record["SyncToken"]) + 1))
            record["MetaData"] = {**record["MetaData"], "LastUpdatedTime": records.now()}
        return {entity: record, "time": records.now()}

    def _customer(self, entity: str, ref: Any) -> dict[str, Any] | None:
        value = ref.get("value") if isinstance(ref, dict) else None
        if value is None:
            if entity in NEEDS_CUSTOMER:
                raise missing(f"Required parameter CustomerRef is missing in the request of {entity}")
            return None
        customer = self.entities["Customer"].get(str(value))
        if customer is None or not customer["Active"]:
            raise QboFault(400, "2500", "Invalid Reference Id", f"Invalid Reference Id : Customer {value} not found")
        return customer

    def _lines(self, lines: Any) -> list[dict[str, Any]]:
        if not isinstance(lines, list) or not lines:
            raise missing("Required parameter Line is missing in the request")
        kept = []
        for n, line in enumerate(lines, start=1):
            detail = line.get("SalesItemLineDetail") if isinstance(line, dict) else None
            if not isinstance(detail, dict):
                raise missing(f"Required parameter Line.SalesItemLineDetail is missing in line {n}")
            item_id = str((detail.get("ItemRef") or {}).get("value"))
            item = self.entities["Item"].get(item_id)
            if item is None or not item["Active"]:
                raise QboFault(400, "2500", "Invalid Reference Id", f"Invalid Reference Id : Item {item_id} not found")
            try:
                qty, price, amount = (Decimal(str(detail.get("Qty"))), Decimal(str(detail.get("UnitPrice"))),
                                      Decimal(str(line.get("Amount"))))
            except InvalidOperation as exc:
                raise QboFault(400, "2010", "Request has invalid or unsupported property",
                               f"Property Name: Amount, Qty or UnitPrice of line {n} is not a number") from exc
            if qty * price != amount:
                raise QboFault(400, "6070", "Amount is not equal to UnitPrice * Qty",
                               f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount} in line {n}")
            kept.append({"Id": str(n), "LineNum": n, "Amount": amount, "DetailType": "SalesItemLineDetail",
                         "SalesItemLineDetail": {**detail, "ItemRef": {"value": item_id, "name": item["Name"]},
                                                 "Qty": qty, "UnitPrice": price}})
        return kept


def decode_body(raw: bytes) -> dict[str, Any]:
    """A request body as QBO reads it: JSON with money as numbers; anything else is a 400 fault."""
    try:
        body = _DECODER.decode(raw) if raw else None
    except msgspec.DecodeError as exc:
        raise QboFault(400, "2010", "Request has invalid or unsupported property", "the body is not JSON") from exc
    if not isinstance(body, dict):
        raise QboFault(400, "2010", "Request has invalid or unsupported property", "the body is not a JSON object")
    return body
