"""The POS serves store stock through the same canonical stock port as the WMS."""

from system_apis.wms.port import StockPort

__all__ = ["StockPort"]
