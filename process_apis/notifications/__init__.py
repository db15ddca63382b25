"""Partner notifications: webhook subscriptions, event fan-out and the delivery state machine.

    schemas.py     the four events' versioned payloads, subscription and delivery views
    events.py      emit(): called by the order, shipment, return and stock code in ITS transaction
    repository.py  subscriptions and deliveries in the system of record
    lanes.py       claiming a lane's head delivery and recording an attempt's outcome
    delivery.py    the ``webhook.deliver`` handler: a fan-out's lanes side by side, each in order
    service.py     what the partner API asks: subscribe, list, delete, rotate, enable, log, replay
    port.py        NotificationPort (the experience API's view)

A delivery belongs to a *lane*: its subscription and the order id (``inventory.changed``: the
sku@location). A lane's deliveries go out oldest first, each only once the one before it is
delivered or finally failed, so a partner sees an order's events in order even across
retries, worker crashes and several worker processes.
"""
