"""One fake per port, in one place: the process tests run over these instead of the backends.

    ErpPort              fakes.erp.FakeErp
    StockPort            fakes.stock.FakeStock
    FulfilmentPort       fakes.backoffice.FakeFulfilment
    PaymentsPort         fakes.backoffice.FakePayments
    ChannelPlatformPort  fakes.backoffice.FakeChannelPlatform
    ChannelOrderFeed     fakes.channel.FakeOrderFeed
    PricingPort          fakes.pricing.FakePricing

Each is in memory, behaves like the real one where the process relies on it
(idempotent writes, NotFound codes), and has switches for outages and faults.
"""
