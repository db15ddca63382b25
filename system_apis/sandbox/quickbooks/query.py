"""The part of QBO's query language the sandbox understands.

    select * from <Entity> [where <cond> [and <cond>]...] [orderby <Field> [asc|desc]]
        [startposition <n>] [maxresults <m>]
    <cond> ::= <Field> (= | < | > | <= | >= | like) <value> | <Field> in (<value>, ...)

Values are quoted strings (a quote escaped as ``\\'``), ``true``/``false`` or
numbers. Name lists (Item, Customer) answer active records only unless the
statement names ``Active``, as QBO does. ``startposition`` counts from 1;
``maxresults`` defaults to 100 and stops at 1000.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

_TOKEN = re.compile(r"\s*(?:'((?:\\.|[^'\\])*)'|(<=|>=|[=<>(),*])|([A-Za-z_][\w.]*)|(-?\d+(?:\.\d+)?))")
DEFAULT_MAX, MAX_RESULTS = 100, 1000


class QueryError(ValueError):
    """The statement does not parse (QBO's ``QueryParserError``)."""


@dataclass(frozen=True)
class Query:
    entity: str
    conditions: tuple[tuple[str, str, Any], ...]
    order_by: str | None
    descending: bool
    start: int
    max_results: int

    def run(self, records: list[dict[str, Any]], name_list: bool) -> list[dict[str, Any]]:
        """The page of ``records`` this statement selects."""
        conditions = list(self.conditions)
        if name_list and not any(field == "Active" for field, _, _ in conditions):
            conditions.append(("Active", "=", True))
        kept = [r for r in records if all(_test(r.get(f), op, v) for f, op, v in conditions)]
        if self.order_by:
            kept.sort(key=lambda r: str(r.get(self.order_by, "")), reverse=self.descending)
        return kept[self.start - 1 : self.start - 1 + self.max_results]


def _tokens(text: str) -> list[tuple[str, Any]]:
    tokens, at = [], 0
    text = text.rstrip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise QueryError(f"Encountered an unexpected character at {at}")
        string, symbol, word, number = match.groups()
        if string is not None:
            tokens.append(("value", re.sub(r"\\(.)", r"\1", string)))
        elif symbol is not None:
            tokens.append(("symbol", symbol))
        elif number is not None:
            tokens.append(("value", Decimal(number)))
        elif word.lower() in ("true", "false"):
            tokens.append(("value", word.lower() == "true"))
        else:
            tokens.append(("word", word))
        at = match.end()
    return tokens


class _Reader:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> str | None:
        kind, value = self.tokens[self.at] if self.at < len(self.tokens) else ("end", None)
        return value.lower() if kind in ("word", "symbol") else None

    def take(self, kind: str | None = None, expect: str | None = None) -> Any:
        if self.at >= len(self.tokens):
            raise QueryError("Encountered the end of the statement too early")
        got_kind, value = self.tokens[self.at]
        if (kind and got_kind != kind) or (expect and str(value).lower() != expect):
            raise QueryError(f"Encountered \"{value}\" where {expect or kind} was expected")
        self.at += 1
        return value

    def number(self) -> int:
        value = self.take("value")
        if not isinstance(value, Decimal) or value != int(value) or value < 0:
            raise QueryError("Encountered a bad number")
        return int(value)


def parse(text: str) -> Query:
    reader = _Reader(text)
    for word in ("select", "*", "from"):
        reader.take(expect=word)
    entity = reader.take("word")
    conditions: list[tuple[str, str, Any]] = []
    if reader.peek() == "where":
        reader.take()
        conditions.append(_condition(reader))
        while reader.peek() == "and":
            reader.take()
            conditions.append(_condition(reader))
    order_by, descending, start, max_results = None, False, 1, DEFAULT_MAX
    if reader.peek() == "orderby":
        reader.take()
        order_by = reader.take("word")
        if reader.peek() in ("asc", "desc"):
            descending = str(reader.take()).lower() == "desc"
    if reader.peek() == "startposition":
        reader.take()
        start = max(reader.number(), 1)
    if reader.peek() == "maxresults":
        reader.take()
        max_results = min(reader.number(), MAX_RESULTS)
    if reader.at != len(reader.tokens):
        raise QueryError(f"Encountered \"{reader.tokens[reader.at][1]}\" after the end of the statement")
    return Query(entity, tuple(conditions), order_by, descending, start, max_results)


def _condition(reader: _Reader) -> tuple[str, str, Any]:
    field = reader.take("word")
    op = reader.take()
    op = str(op).lower()
    if op == "in":
        reader.take(expect="(")
        values = [reader.take("value")]
        while reader.peek() == ",":
            reader.take()
            values.append(reader.take("value"))
        reader.take(expect=")")
        return field, "in", tuple(values)
    if op not in ("=", "<", ">", "<=", ">=", "like"):
        raise QueryError(f"Encountered \"{op}\" where an operator was expected")
    return field, op, reader.take("value")


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b, "<": lambda a, b: a < b, ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b, "in": lambda a, b: a in b,
    "like": lambda a, b: re.fullmatch(re.escape(str(b)).replace("%", ".*"), str(a), re.IGNORECASE) is not None,
}


def _test(actual: Any, op: str, expected: Any) -> bool:
    if actual is None:
        return False
    try:
        return _OPS[op](actual, expected)
    except TypeError:
        return False
