"""The operations routes of the admin API (issue 12), registered together."""

from gateway.admin.alerts import list_alerts
from gateway.admin.backends import BackendsController
from gateway.admin.connections import list_connections
from gateway.admin.flows import list_flows

OPS_HANDLERS: list = [list_flows, BackendsController, list_alerts, list_connections]
