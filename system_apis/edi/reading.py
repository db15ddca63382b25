"""An 850 purchase order's meaning: the segments the hub reads, and where a set is wrong.

    ST BEG (CUR REF PER DTM FOB ITD TD5 N9 MSG) (N1 N2 N3 N4 PER REF)* (PO1 PID PO4 REF DTM SAC)+ CTT? (AMT)? SE

BEG03 (PO number) and BEG05 (date) are mandatory; every PO1 has a quantity
(PO102) and a product id in a qualifier pair PO106/PO107 or later (``VP``
vendor part or ``SK`` SKU: the hub's SKU; ``BP``, ``UP``, ``IN`` are kept
but not used); CTT01, when sent, counts the PO1 segments. A segment outside
this list is refused as the 997 says it: AK304 1 (not a segment id) or 2
(unexpected here).
"""

from __future__ import annotations

from datetime import datetime
import re
from decimal import Decimal

from shared.models import Address
from system_apis.edi import x12
from system_apis.edi.port import GroupIn, PartnerIds, PoLine, PurchaseOrder, Received, SetProblem

HEADER = frozenset({"CUR", "REF", "PER", "DTM", "FOB", "ITD", "TD5", "N9", "MSG", "TAX", "SAC", "PWK", "TD1"})
PARTY = frozenset({"N1", "N2", "N3", "N4"})
DETAIL = frozenset({"PID", "PO4", "REF", "DTM", "SAC", "MSG", "N9", "TD5"})
SUMMARY = frozenset({"CTT", "AMT"})
PRODUCT_QUALIFIERS = ("VP", "SK")
SKU = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
PRICE = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,4})?$")
MAX_QUANTITY = 1_000_000
"""The limits of an order line on every channel (the storefront's wire contract)."""


class SetRejected(Exception):
    def __init__(self, problem: x12.SetError) -> None:
        super().__init__(problem.detail)
        self.problem = problem


def received(interchange: x12.Interchange) -> Received:
    groups = []
    for group in interchange.groups:
        orders, problems = [], []
        for ts in group.sets:
            problem = ts.error
            if problem is None and ts.code != "850":
                problem = x12.SetError("1", "ST", 1, detail=f"Transaction set {ts.code!r} is not accepted; "
                                                             "the hub reads 850 purchase orders.")
            if problem is None:
                try:
                    orders.append(purchase_order(ts))
                except SetRejected as exc:
                    problem = exc.problem
            if problem is not None:
                problems.append(SetProblem(code=ts.code, control=ts.control, ak5=problem.ak5,
                                           segment=problem.segment, position=problem.position, ak3=problem.ak3,
                                           element=problem.element, ak4=problem.ak4, value=problem.value,
                                           detail=problem.detail))
        if group.error:
            orders = []
        groups.append(GroupIn(functional_id=group.functional_id, control=group.control, version=group.version,
                              orders=tuple(orders), problems=tuple(problems), error=group.error,
                              sets=len(group.sets)))
    return Received(sender=_party(interchange.sender_qualifier, interchange.sender_id, interchange),
                    receiver=_party(interchange.receiver_qualifier, interchange.receiver_id, interchange),
                    control=interchange.control, version=interchange.version, groups=tuple(groups))


def _party(qualifier: str, isa_id: str, interchange: x12.Interchange) -> PartnerIds:
    gs = interchange.groups[0] if interchange.groups else None
    gs_id = "" if gs is None else (gs.sender if isa_id == interchange.sender_id else gs.receiver)
    return PartnerIds(isa_qualifier=qualifier, isa_id=isa_id, gs_id=gs_id)


def _reject(ak3: str, seg: str, pos: int, detail: str, element: int | None = None, ak4: str = "",
            value: str = "") -> SetRejected:
    return SetRejected(x12.SetError("5", seg, pos, ak3, element, ak4, value, detail))


def purchase_order(ts: x12.TransactionSet) -> PurchaseOrder:
    """The 850's order; raises ``SetRejected`` naming the first wrong segment and element."""
    segs = ts.segments
    if len(segs) < 2 or segs[1][0] != "BEG":
        raise _reject("3", "BEG", 2, "The 850 has no BEG segment right after ST.")
    beg = segs[1]
    po_number, po_date = x12.el(beg, 3), x12.el(beg, 5)
    if not po_number:
        raise _reject("8", "BEG", 2, "BEG03 (purchase order number) is missing.", 3, "1")
    if len(po_number) > 22:
        raise _reject("8", "BEG", 2, "BEG03 is longer than 22 characters.", 3, "5", po_number)
    if not _is_date(po_date):
        raise _reject("8", "BEG", 2, f"BEG05 {po_date!r} is not a CCYYMMDD date.", 5, "8" if po_date else "1",
                      po_date)
    lines: list[PoLine] = []
    ship_to, party, currency, ctt = None, None, "USD", None
    zone = "header"
    for pos in range(2, len(segs) - 1):
        seg = segs[pos]
        tag = seg[0]
        where = pos + 1
        if tag == "PO1" and zone in ("header", "detail"):
            zone = "detail"
            lines.append(_line(seg, where, len(lines) + 1))
        elif zone == "header" and tag == "N1":
            party = {"kind": x12.el(seg, 1), "name": x12.el(seg, 2)}
            if party["kind"] == "ST":
                ship_to = party
        elif zone == "header" and tag in PARTY and party is not None:
            _party_detail(party, seg)
        elif zone == "header" and tag == "CUR":
            currency = x12.el(seg, 2) or currency
            if not re.fullmatch(r"[A-Z]{3}", currency):
                raise _reject("8", "CUR", where, f"CUR02 {currency!r} is not an ISO 4217 code.", 2, "7", currency)
        elif (zone == "header" and tag in HEADER) or (zone == "detail" and tag in DETAIL):
            continue
        elif tag in SUMMARY and zone in ("detail", "summary"):
            zone = "summary"
            ctt = (seg, where) if tag == "CTT" else ctt
        else:
            code = "2" if x12.SEGMENT_ID.match(tag) else "1"
            raise _reject(code, tag[:3] or "?", where, f"Segment {tag!r} at position {where} is not expected "
                          "in an 850 there.")
    if not lines:
        raise _reject("3", "PO1", len(segs), "The 850 has no PO1 line.")
    if ctt is not None and x12.el(ctt[0], 1) != str(len(lines)):
        raise _reject("8", "CTT", ctt[1], f"CTT01 says {x12.el(ctt[0], 1)!r} lines; the 850 has {len(lines)}.",
                      1, "7", x12.el(ctt[0], 1))
    return PurchaseOrder(po_number=po_number, po_date=po_date, control=ts.control, lines=tuple(lines),
                         currency=currency, ship_to=_address(ship_to))


def _line(seg: list[str], where: int, n: int) -> PoLine:
    quantity = x12.el(seg, 2)
    if not quantity.isdigit() or not 0 < int(quantity) <= MAX_QUANTITY:
        raise _reject("8", "PO1", where, f"PO102 {quantity!r} is not a whole quantity from 1 to {MAX_QUANTITY}.",
                      2, "1" if not quantity else "6", quantity)
    price = None
    if x12.el(seg, 4):
        if not PRICE.match(x12.el(seg, 4)):
            raise _reject("8", "PO1", where, f"PO104 {x12.el(seg, 4)!r} is not a price such as 99.00.", 4, "6",
                          x12.el(seg, 4))
        price = Decimal(x12.el(seg, 4))
    sku = ""
    for i in range(6, len(seg) - 1, 2):
        if seg[i] in PRODUCT_QUALIFIERS and seg[i + 1].strip():
            sku = seg[i + 1].strip()
            break
    if not sku:
        raise _reject("8", "PO1", where, "PO1 names no product as VP (vendor part) or SK (SKU).", 7, "2")
    if not SKU.match(sku):
        raise _reject("8", "PO1", where, f"The product id {sku[:40]!r} is not a SKU (letters, digits, '.', '_', "
                      "'-'; at most 64).", i + 1, "6", sku)
    return PoLine(line_id=x12.el(seg, 1) or str(n), sku=sku, quantity=int(quantity), unit_price=price,
                  unit=x12.el(seg, 3) or "EA")


def _party_detail(party: dict[str, str], seg: list[str]) -> None:
    if seg[0] == "N3":
        party["line1"], party["line2"] = x12.el(seg, 1), x12.el(seg, 2)
    elif seg[0] == "N4":
        party["city"], party["region"], party["postal_code"] = x12.el(seg, 1), x12.el(seg, 2), x12.el(seg, 3)
        party["country"] = x12.el(seg, 4) or "US"


def _address(party: dict[str, str] | None) -> Address | None:
    if party is None or not all(party.get(k) for k in ("name", "line1", "city", "postal_code")):
        return None
    return Address(name=party["name"], line1=party["line1"], line2=party.get("line2", ""), city=party["city"],
                   region=party.get("region", ""), postal_code=party["postal_code"],
                   country=party.get("country", "US")[:2])


def _is_date(value: str) -> bool:
    if len(value) != 8 or not value.isdigit():
        return False
    try:
        datetime.strptime(value, "%Y%m%d")
    except ValueError:
        return False
    return True
