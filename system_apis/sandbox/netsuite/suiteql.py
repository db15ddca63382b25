"""The subset of SuiteQL the sandbox NetSuite account runs.

    SELECT col[, col...] | * FROM table
      [WHERE cond [AND cond ...]] [ORDER BY col [ASC|DESC]]

    cond:  col = 'v' | col <> 'v' | col IN ('a', 'b', ...)

Names are case-insensitive (SuiteQL answers columns in lower case); strings
are single-quoted with ``''`` for a quote. Rows are dicts of strings, as the
REST query service answers them; a column a row has no value for is left out
of the answer, as NetSuite leaves out nulls. No joins, no functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op><>|=|\(|\)|,|\*)|(?P<word>[A-Za-z_][\w.]*))", re.S)


class SuiteQlError(ValueError):
    """A statement outside the subset, or malformed."""


@dataclass(frozen=True)
class Condition:
    column: str
    op: str  # "=", "<>", "in"
    values: tuple[str, ...]

    def holds(self, row: dict[str, Any]) -> bool:
        value = row.get(self.column)
        if self.op == "<>":
            return value is not None and value not in self.values
        return value in self.values


@dataclass(frozen=True)
class Query:
    columns: tuple[str, ...]  # empty: every column
    table: str
    where: tuple[Condition, ...]
    order_by: str | None
    descending: bool

    def run(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found = [r for r in rows if all(c.holds(r) for c in self.where)]
        if self.order_by:
            key = self.order_by
            found.sort(key=lambda r: (r.get(key) is None, _sort_key(r.get(key))), reverse=self.descending)
        if not self.columns:
            return [dict(r) for r in found]
        return [{c: r[c] for c in self.columns if r.get(c) is not None} for r in found]


def _sort_key(value: Any) -> Any:
    text = "" if value is None else str(value)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def _tokens(statement: str) -> list[tuple[str, str]]:
    tokens, at = [], 0
    statement = statement.strip()
    while at < len(statement):
        match = _TOKEN.match(statement, at)
        if match is None or match.end() == at:
            raise SuiteQlError(f"unexpected text at {at}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        at = match.end()
    return tokens


class _Reader:
    def __init__(self, statement: str) -> None:
        self.tokens, self.at = _tokens(statement), 0

    def peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def take(self, kind: str | None = None) -> str:
        if self.at >= len(self.tokens):
            raise SuiteQlError("the statement ends too early")
        token_kind, text = self.tokens[self.at]
        if kind is not None and token_kind != kind:
            raise SuiteQlError(f"expected a {kind}, found {text!r}")
        self.at += 1
        return text

    def keyword(self, word: str) -> bool:
        if (self.peek() or "").upper() == word:
            self.at += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.keyword(word):
            raise SuiteQlError(f"expected {word}")

    def string(self) -> str:
        return self.take("str")[1:-1].replace("''", "'")


def parse(statement: str) -> Query:
    reader = _Reader(statement)
    reader.expect("SELECT")
    columns: list[str] = []
    if reader.peek() == "*":
        reader.take()
    else:
        columns.append(reader.take("word").lower())
        while reader.peek() == ",":
            reader.take()
            columns.append(reader.take("word").lower())
    reader.expect("FROM")
    table = reader.take("word").lower()
    where: list[Condition] = []
    if reader.keyword("WHERE"):
        where.append(_condition(reader))
        while reader.keyword("AND"):
            where.append(_condition(reader))
    order_by, descending = None, False
    if reader.keyword("ORDER"):
        reader.expect("BY")
        order_by = reader.take("word").lower()
        descending = reader.keyword("DESC") or (reader.keyword("ASC") and False)
    if reader.peek() is not None:
        raise SuiteQlError(f"unexpected {reader.peek()!r}")
    return Query(tuple(columns), table, tuple(where), order_by, descending)


def _condition(reader: _Reader) -> Condition:
    column = reader.take("word").lower()
    if reader.keyword("IN"):
        if reader.take("op") != "(":
            raise SuiteQlError("expected (")
        values = [reader.string()]
        while reader.peek() == ",":
            reader.take()
            values.append(reader.string())
        if reader.take("op") != ")":
            raise SuiteQlError("expected )")
        return Condition(column, "in", tuple(values))
    op = reader.take("op")
    if op not in ("=", "<>"):
        raise SuiteQlError(f"unsupported operator {op!r}")
    return Condition(column, op, (reader.string(),))
