"""A book of vendor records that a retried request finds again.

Vendors make writes safe to retry by remembering an idempotency key (the
``Idempotency-Key`` header) and, for back-office documents, an external
reference that is unique per record. ``Book`` keeps records by id and both
lookups; a caller checks ``find`` and then ``add`` without awaiting in
between, so two concurrent requests on the one event loop cannot both book.
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Book(Generic[T]):
    """Records of one kind by id, found again by external reference or idempotency key.

    Ids are ``<prefix><n>`` counting from ``first``; ``reset`` empties the
    book and starts the ids again.
    """

    def __init__(self, prefix: str, first: int = 100001) -> None:
        self._prefix = prefix
        self._first = first
        self.reset()

    def reset(self) -> None:
        self._next = self._first
        self._records: dict[str, T] = {}
        self._by_ref: dict[str, str] = {}
        self._by_key: dict[str, str] = {}

    def new_id(self) -> str:
        record_id = f"{self._prefix}{self._next}"
        self._next += 1
        return record_id

    def find(self, *, ref: str | None = None, key: str | None = None) -> T | None:
        """The record booked under idempotency ``key``, else under external ``ref``, else ``None``."""
        for index, value in ((self._by_key, key), (self._by_ref, ref)):
            if value is not None and value in index:
                return self._records[index[value]]
        return None

    def add(self, record_id: str, record: T, *, ref: str | None = None, key: str | None = None) -> T:
        self._records[record_id] = record
        if ref is not None:
            self._by_ref[ref] = record_id
        if key is not None:
            self._by_key[key] = record_id
        return record

    def get(self, record_id: str) -> T | None:
        return self._records.get(record_id)

    def put(self, record_id: str, record: T) -> T:
        """Replace the record kept under ``record_id`` (a status change)."""
        self._records[record_id] = record
        return record

    def values(self) -> list[T]:
        """Every record, oldest first."""
        return list(self._records.values())
