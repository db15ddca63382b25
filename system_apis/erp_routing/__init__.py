"""Moving from one ERP to another: the ERP port served by two connections at once.

``RoutingErp`` (``port.py``) is an ``ErpPort`` over the primary and the secondary ERP: reads
answer from the primary (in shadow mode the secondary is asked too and the answers compared,
``compare.py``), writes go to the one ERP that owns the order (``rules.py`` decides, once).
"""
