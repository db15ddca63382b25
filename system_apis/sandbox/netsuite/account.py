"""The sandbox NetSuite account: SuiteQL over its tables, and the sales order and
credit memo records of the REST record service.

Writes are upserts by external id (``PUT /record/v1/{type}/eid:{externalId}``):
the first creates the record, a repeat updates the same record (its lines and
body fields), never a second one. ``PATCH`` updates a record by internal id.
A credit memo whose memo is ``VOID`` and amounts are zero is void (what
NetSuite leaves when it voids without reversing journals). The account admits
15 requests at once (``limits``, QBO's counter reused); the 16th is refused with
429 ``CONCURRENCY_LIMIT_EXCEEDED``. Mutations never await.
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from typing import Any

from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.events import Announcer
from system_apis.sandbox.netsuite import records
from system_apis.sandbox.netsuite.suiteql import SuiteQlError, parse
from system_apis.sandbox.quickbooks.limits import RealmLimits

RECORD_TYPES = ("salesOrder", "creditMemo")
CONCURRENT = 15  # a service tier 1 account without SuiteCloud Plus licences
UNLIMITED = 10**9  # REST web services have no per-minute quota, only the concurrency governance
MAX_LIMIT = 1000
_PREFIX = {"salesOrder": "SO", "creditMemo": "CM"}


class NetSuiteError(Exception):
    """An error NetSuite answers with: ``status`` and one ``o:errorDetails`` entry."""

    def __init__(self, status: int, code: str, detail: str, **where: str) -> None:
        self.status, self.code, self.detail, self.where = status, code, detail, where
        super().__init__(f"{code}: {detail}")


def invalid(detail: str, **where: str) -> NetSuiteError:
    return NetSuiteError(400, "USER_ERROR", detail, **where)


def nonexistent(record_type: str, key: str) -> NetSuiteError:
    return NetSuiteError(404, "NONEXISTENT_ID", f"The record instance does not exist. {record_type} {key}")


class NetSuiteAccount:
    """One NetSuite account holding the seed."""

    name = "netsuite"

    def __init__(self, announcer: Announcer, config: SandboxConfig | None = None) -> None:
        self.announcer = announcer
        self.limits = RealmLimits(per_minute=UNLIMITED, at_once=CONCURRENT)
        self.reset()

    def reset(self) -> None:
        self.limits.reset()
        self.tables = records.seeded()
        self.records: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in RECORD_TYPES}
        self._next_id = 7000

    # --- SuiteQL ------------------------------------------------------------------------

    def suiteql(self, statement: str, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """One page of a statement's rows and the total count."""
        if not 1 <= limit <= MAX_LIMIT:
            raise invalid(f"The limit must be between 1 and {MAX_LIMIT}.", **{"o:errorQueryParam": "limit"})
        if offset < 0 or offset % limit:
            raise invalid("The offset must be a multiple of the limit.", **{"o:errorQueryParam": "offset"})
        try:
            query = parse(statement)
        except SuiteQlError as exc:
            raise invalid(f"Invalid search query. {exc}", **{"o:errorPath": "q"}) from exc
        if query.table not in self.tables:
            raise invalid(f"Invalid search query. Unknown record type {query.table}.", **{"o:errorPath": "q"})
        rows = query.run(self.tables[query.table])
        return rows[offset:offset + limit], len(rows)

    # --- records ------------------------------------------------------------------------

    def _find(self, record_type: str, key: str) -> dict[str, Any] | None:
        kept = self.records[self._type(record_type)]
        if key.startswith("eid:"):
            return next((r for r in kept.values() if r.get("externalId") == key[4:]), None)
        return kept.get(key)

    def read(self, record_type: str, key: str) -> dict[str, Any]:
        record = self._find(record_type, key)
        if record is None:
            raise nonexistent(record_type, key)
        return record

    def upsert(self, record_type: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
        """``PUT .../eid:{externalId}``: create, or update the record already under that external id."""
        record_type = self._type(record_type)
        if not key.startswith("eid:") or not key[4:]:
            raise invalid("Upsert needs an external id key (eid:...).", **{"o:urlPath": key})
        entity = self._customer((body.get("entity") or {}).get("id"))
        lines = self._lines(body.get("item"))
        record = self._find(record_type, key)
        if record is None:
            self._next_id += 1
            record = {"id": str(self._next_id), "tranId": f"{_PREFIX[record_type]}{self._next_id}",
                      "externalId": key[4:]}
            self.records[record_type][record["id"]] = record
        record.update({k: copy.deepcopy(v) for k, v in body.items() if k not in ("id", "tranId", "externalId", "item")})
        record.update(entity={"id": entity["id"], "refName": entity["entityid"]}, item={"items": lines},
                      total=sum((line["amount"] for line in lines), Decimal("0.00")))
        return record

    def patch(self, record_type: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
        record = self.read(record_type, key)
        if "item" in body:
            record["item"] = {"items": self._lines(body["item"], allow_zero=True)}
            record["total"] = sum((line["amount"] for line in record["item"]["items"]), Decimal("0.00"))
        record.update({k: v for k, v in body.items() if k in ("memo", "otherRefNum")})
        return record

    def _type(self, record_type: str) -> str:
        if record_type not in RECORD_TYPES:
            raise NetSuiteError(404, "INVALID_RCRD_TYPE", f"Record type {record_type} is not supported.")
        return record_type

    def _customer(self, customer_id: Any) -> dict[str, Any]:
        customer = next((c for c in self.tables["customer"] if c["id"] == str(customer_id)), None)
        if customer is None or customer["isinactive"] == "T":
            raise invalid(f"Invalid Field Value {customer_id} for the following field: entity",
                          **{"o:errorPath": "entity"})
        return customer

    def _lines(self, sublist: Any, *, allow_zero: bool = False) -> list[dict[str, Any]]:
        lines = sublist.get("items") if isinstance(sublist, dict) else None
        if not isinstance(lines, list) or not lines:
            raise invalid("You must enter at least one line item for this transaction.", **{"o:errorPath": "item"})
        items = {row["id"]: row for row in self.tables["item"]}
        kept = []
        for n, line in enumerate(lines):
            item = items.get(str(((line or {}).get("item") or {}).get("id")))
            if item is None or item["isinactive"] == "T":
                raise invalid(f"Invalid Field Value for the following field: item", **{"o:errorPath": f"item.items[{n}]"})
            try:
                quantity, rate = int(line["quantity"]), Decimal(str(line["rate"]))
            except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
                raise invalid("Please enter a value for quantity and rate.",
                              **{"o:errorPath": f"item.items[{n}]"}) from exc
            if quantity <= 0 and not allow_zero:
                raise invalid("Quantity must be positive.", **{"o:errorPath": f"item.items[{n}].quantity"})
            kept.append({"line": n + 1, "item": {"id": item["id"], "refName": item["itemid"]}, "quantity": quantity,
                         "rate": rate, "amount": Decimal(quantity) * rate})
        return kept
