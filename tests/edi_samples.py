"""850 purchase orders as a trading partner sends them, for the EDI tests and the bench."""

from __future__ import annotations

from system_apis.edi import x12

SEPS = x12.Separators()
BUYER = x12.Party("ZZ", "ACMEBUYER", "ACMEBUYER")
HUB = x12.Party("ZZ", "COMMERCEHUB", "COMMERCEHUB")


def po_body(po_number: str, lines: list[tuple[str, int, str | None]], *, ctt: bool = True) -> list[list[str]]:
    """BEG, a ship-to, one PO1 per (sku, quantity, unit price or None), CTT."""
    body = [["BEG", "00", "SA", po_number, "", "20261206"], ["DTM", "002", "20261210"],
            ["N1", "ST", "Acme Receiving", "92", "DC1"], ["N3", "1 Dock Road"], ["N4", "Springfield", "IL", "62701", "US"]]
    for i, (sku, quantity, price) in enumerate(lines, start=1):
        body.append(["PO1", str(i), str(quantity), "EA", price or "", "", "VP", sku])
    if ctt:
        body.append(["CTT", str(len(lines))])
    return body


def interchange(control: int, sets: list[list[list[str]]], *, sender: x12.Party = BUYER, code: str = "850",
                group: int | None = None) -> str:
    return x12.render(SEPS, sender, HUB, interchange=control, group=group or control, functional_id="PO",
                      version="004010", stamp=("20261206", "1200"),
                      sets=[(code, n, body) for n, body in enumerate(sets, start=1)])


def purchase_order(control: int, po_number: str, lines: list[tuple[str, int, str | None]], **kw) -> str:  # noqa: ANN003
    return interchange(control, [po_body(po_number, lines)], **kw)
