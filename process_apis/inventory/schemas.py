"""What the stock book answers: a SKU's counted stock for a channel, an order's load, and the
per-channel safety buffer."""

from __future__ import annotations

import msgspec


class SafetyBuffer(msgspec.Struct, frozen=True, kw_only=True):
    """Units per SKU held back from a channel's available-to-promise (settings
    ``HUB_SAFETY_BUFFER`` and ``HUB_SAFETY_BUFFER_BY_CHANNEL``)."""

    default: int = 0
    by_channel: dict[str, int] = {}

    def of(self, channel: str | None) -> int:
        return self.by_channel.get(channel, self.default) if channel else self.default


class SkuStock(msgspec.Struct, frozen=True, kw_only=True):
    """What the book holds for one SKU, for one channel: the counted locations, the holds,
    the channel's buffer, and the sources that did not answer for it (a partial answer)."""

    sku: str
    locations: dict[str, int] = {}
    reserved: int = 0
    buffer: int = 0
    missing: tuple[str, ...] = ()

    @property
    def free(self) -> int:
        """What an order of this channel may still reserve: exactly the condition ``reserve`` checks."""
        return max(sum(self.locations.values()) - self.reserved - self.buffer, 0)

    @property
    def partial(self) -> bool:
        return bool(self.missing)


class Loaded(msgspec.Struct, frozen=True, kw_only=True):
    """An order's SKUs once loaded (``StockBook.load``)."""

    missing: dict[str, tuple[str, ...]] = {}
    """The sources that did not answer, per SKU that has any (empty: a full load)."""
    retired: frozenset[str] = frozenset()
    """The SKUs the book holds levels of from a source no longer configured: not counted."""
