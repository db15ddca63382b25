"""The X12 codec: an interchange in (``reading``), the hub's documents out.

    997  AK1 (AK2 (AK3 AK4)* AK5)* AK9     one per received group; a TA1 first when the
                                           interchange envelope itself was wrong
    855  BAK (PO1 ACK)* CTT                BAK02 AD / AC / RJ, ACK01 IA / IR / IP per PO line
    856  BSN HL(S) TD5 REF DTM HL(O) PRF (HL(I) LIN SN1)* CTT
    810  BIG REF? (IT1)* TDS CTT           TDS01 is the invoice total in cents, no decimal point

Each outbound document is its own interchange with one group and one set,
written with ``*``, ``^``, ``>`` and ``~`` (a new line after each segment).
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from shared.errors import BadRequest
from system_apis.edi import reading, x12
from system_apis.edi.port import Envelope, OrderAck, PartnerIds, Received, Shipped

SEPARATORS = x12.Separators()


class X12:
    def read(self, raw: bytes) -> Received:
        try:
            return reading.received(x12.parse(raw))
        except x12.Unreadable as exc:
            raise BadRequest(f"Not an X12 interchange: {exc}", code="edi_unreadable") from None
        except x12.EnvelopeError as exc:
            return msgspec.structs.replace(
                reading.received(exc.interchange), envelope_error=exc.ta1, error_segment=exc.segment,
                detail=exc.detail, groups=())

    def functional_ack(self, env: Envelope, received: Received) -> str:
        if received.envelope_error:
            return self._ta1(env, received)
        body: list[list[str]] = []
        for group in received.groups:
            body.append(["AK1", group.functional_id, group.control])
            for problem in group.problems:
                body.append(["AK2", problem.code, problem.control])
                if problem.ak3:
                    body.append(["AK3", problem.segment, str(problem.position), "", problem.ak3])
                if problem.element is not None:
                    body.append(["AK4", str(problem.element), "", problem.ak4, problem.value[:99]])
                body.append(["AK5", "R", problem.ak5])
            sets = group.sets
            accepted = 0 if group.error else len(group.orders)
            status = "A" if accepted == sets and not group.error else ("P" if accepted else "R")
            body.append(["AK9", status, str(sets), str(sets), str(accepted), group.error])
        return self._render(env, "FA", "997", body)

    def _ta1(self, env: Envelope, received: Received) -> str:
        """An interchange whose envelope is wrong: TA1 with its code, no group to acknowledge."""
        date, time = _stamp(env)
        ta1 = ["TA1", received.control.rjust(9, "0")[:9], date[2:], time, "R", received.envelope_error]
        return x12.render(SEPARATORS, _party(env.sender), _party(env.receiver), interchange=env.interchange,
                          group=env.group, functional_id="FA", version=env.version, stamp=(date, time), sets=[],
                          preamble=(ta1,))

    def order_ack(self, env: Envelope, ack: OrderAck) -> str:
        po = ack.po
        body = [["BAK", "00", ack.status, po.po_number, po.po_date, "", "", "", ack.order_id or ""]]
        for a in ack.lines:
            line = a.line
            price = a.unit_price if a.unit_price is not None else line.unit_price
            body.append(["PO1", line.line_id, str(line.quantity), line.unit, _money(price), "", "VP", line.sku])
            body.append(["ACK", a.status, str(line.quantity if a.status != "IR" else 0), line.unit])
        body.append(["CTT", str(len(ack.lines))])
        return self._render(env, "PR", "855", body)

    def ship_notice(self, env: Envelope, s: Shipped) -> str:
        date, time = _stamp(env, s.shipped_at)
        body = [["BSN", "00", s.shipment_id, date, time, "0001"], ["HL", "1", "", "S"],
                ["TD5", "", "2", s.carrier[:35]], ["REF", "CN", s.tracking_number], ["DTM", "011", date],
                ["HL", "2", "1", "O"], ["PRF", s.po.po_number, "", "", s.po.po_date]]
        hl = 2
        for line, shipped, _price in s.lines:
            hl += 1
            body += [["HL", str(hl), "2", "I"], ["LIN", line.line_id, "VP", line.sku],
                     ["SN1", line.line_id, str(shipped), line.unit, "", str(line.quantity), line.unit]]
        body.append(["CTT", str(hl)])
        return self._render(env, "SH", "856", body)

    def invoice(self, env: Envelope, s: Shipped) -> str:
        date, _time = _stamp(env)
        body = [["BIG", date, f"INV-{s.shipment_id}"[:22], s.po.po_date, s.po.po_number],
                ["REF", "CN", s.tracking_number], ["CUR", "SE", s.currency]]
        total = Decimal("0")
        for line, shipped, price in s.lines:
            total += price * shipped
            body.append(["IT1", line.line_id, str(shipped), line.unit, _money(price), "", "VP", line.sku])
        body += [["TDS", str(int((total * 100).to_integral_value()))], ["CTT", str(len(s.lines))]]
        return self._render(env, "IN", "810", body)

    def _render(self, env: Envelope, functional_id: str, code: str, body: list[list[str]]) -> str:
        return x12.render(SEPARATORS, _party(env.sender), _party(env.receiver), interchange=env.interchange,
                          group=env.group, functional_id=functional_id, version=env.version, stamp=_stamp(env),
                          sets=[(code, env.transaction, body)])


def _party(ids: PartnerIds) -> x12.Party:
    return x12.Party(ids.isa_qualifier, ids.isa_id, ids.gs_id)


def _stamp(env: Envelope, at=None) -> tuple[str, str]:  # noqa: ANN001
    at = at or env.at
    return at.strftime("%Y%m%d"), at.strftime("%H%M")


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"
