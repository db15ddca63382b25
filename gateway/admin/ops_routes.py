"""The operations routes of the admin API (issue 12), registered together."""

from gateway.admin.alerts import list_alerts
from gateway.admin.backends import BackendsController
from gateway.admin.connections import list_connections, probe_connection
from gateway.admin.flows import list_flows
from gateway.admin.migration import list_migration_diffs, switch_primary

OPS_HANDLERS: list = [list_flows, BackendsController, list_alerts, list_connections, probe_connection,
                      list_migration_diffs, switch_primary]
