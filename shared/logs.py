"""Logging: JSON lines (or text) with the trace, span and order ids; secrets redacted.

``setup_logging(settings)`` is called once per process by the composition root
(``commerce_hub.asgi``). Every line passes ``redact``: API keys (``chub_...``),
bearer tokens, ``key=value`` pairs naming a secret, and the configured secrets
themselves (bootstrap admin key, internal and webhook secrets) become ``***``.
The order id comes from a context variable the process layer sets around the
work on one order (``order_context``), so a line logged deep in an adapter
still names its order.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Iterable, Iterator

import msgspec
from opentelemetry import trace

ORDER_ID: ContextVar[str | None] = ContextVar("hub_order_id", default=None)
MASK = "***"
_PATTERNS = (
    (re.compile(r"chub_[A-Za-z0-9]{20,}"), "chub_" + MASK),
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=\-]{8,}"), r"\1\2" + MASK),
    (re.compile(r"(?i)\b(x-api-key|x-hub-principal|authorization|api[_-]?key|secret|password|passwd|"
                r"client_secret|access_token|refresh_token|token)(\W{0,3}?[:=]\s*[\"']?|\"?,\s*[\"']|'\s*:\s*')"
                r"(?!\*\*\*)([^\s\"',;&}\]]+)"), r"\1\2" + MASK),
)
_known: list[str] = []


def remember_secrets(values: Iterable[str | None]) -> None:
    """Exact values to mask wherever they appear (the settings' secrets)."""
    for value in values:
        if value and len(value) >= 8 and value not in _known:
            _known.append(value)
    _known.sort(key=len, reverse=True)  # a secret containing another is masked whole


def redact(text: str) -> str:
    for secret in _known:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


@contextmanager
def order_context(order_id: str | None) -> Iterator[None]:
    """Names ``order_id`` on every log line (and business span) inside."""
    token = ORDER_ID.set(order_id)
    try:
        yield
    finally:
        ORDER_ID.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, trace_id, span_id, order_id
    (the last three when known), exception (a traceback) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        ctx = trace.get_current_span().get_span_context()
        if ctx.trace_id:
            line["trace_id"] = format(ctx.trace_id, "032x")
            line["span_id"] = format(ctx.span_id, "016x")
        order_id = ORDER_ID.get()
        if order_id is not None:
            line["order_id"] = order_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return redact(msgspec.json.encode(line).decode())


class TextFormatter(logging.Formatter):
    """The classic text line, with ``trace=``/``order=`` when known, redacted."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        ctx = trace.get_current_span().get_span_context()
        order_id = ORDER_ID.get()
        extra = (f" trace={ctx.trace_id:032x}" if ctx.trace_id else "") + (f" order={order_id}" if order_id else "")
        if extra:
            first, _, rest = text.partition("\n")
            text = first + extra + ("\n" + rest if rest else "")
        return redact(text)


def setup_logging(level: str, json_lines: bool, secrets: Iterable[str | None] = ()) -> logging.Handler:
    """One stderr handler on the root logger, replacing any earlier one of ours."""
    remember_secrets(secrets)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "hub", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.hub = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler
