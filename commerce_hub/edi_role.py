"""EDI's part of the composition (issue 13): the trading partners from settings, the service
the partner API calls, the workers' handlers (``edi.capture``, ``edi.shipped``) and the drop
folder they poll."""

from __future__ import annotations

from commerce_hub.context import Context
from process_apis.edi.inbox import DropFolder
from process_apis.edi.outbound import Outbound, Partners
from process_apis.edi.schemas import TradingPartner
from process_apis.edi.service import EdiService
from process_apis.edi.shipping import EdiShipping
from process_apis.orders.port import OrderPort
from shared.settings import EdiPartner, Settings
from system_apis.edi.codec import X12
from system_apis.edi.port import PartnerIds

SANDBOX_PARTNERS = {"acme": EdiPartner(isa_id="ACMEBUYER", customer_id="CUST-ACME")}
"""With HUB_SANDBOX=1 and no HUB_EDI_PARTNERS: the README's trading partner."""


def trading_partners(settings: Settings) -> Partners:
    configured = settings.edi_partners or (SANDBOX_PARTNERS if settings.sandbox else {})
    partners = [TradingPartner(name=name, customer_id=p.customer_id, version=p.version, outbox_dir=p.outbox_dir or None,
                               ids=PartnerIds(isa_qualifier=p.isa_qualifier, isa_id=p.isa_id, gs_id=p.gs_id or p.isa_id))
                for name, p in sorted(configured.items())]
    hub = PartnerIds(isa_qualifier=settings.edi_isa_qualifier, isa_id=settings.edi_isa_id, gs_id=settings.edi_isa_id)
    return Partners(partners, hub)


async def edi_service(ctx: Context, orders: OrderPort) -> EdiService:
    partners = trading_partners(ctx.settings)
    return EdiService(await ctx.database(), X12(), orders, partners, Outbound(partners, ctx.settings.edi_outbox_dir))


async def edi_handlers(ctx: Context, orders: OrderPort) -> dict:
    """The workers' EDI handlers; starts the drop folder when one is set."""
    service = await edi_service(ctx, orders)
    partners = trading_partners(ctx.settings)
    shipping = EdiShipping(await ctx.database(), X12(), partners, Outbound(partners, ctx.settings.edi_outbox_dir))
    if ctx.settings.edi_inbox_dir:
        folder = DropFolder(service, ctx.settings.edi_inbox_dir, every=ctx.settings.edi_poll_seconds)
        folder.start()
        ctx.stack.push_async_callback(folder.stop)
    return {**service.handlers(), **shipping.handlers()}
