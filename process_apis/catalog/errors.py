"""The ERP replica's own refusal."""

from __future__ import annotations

from shared.errors import HubError


class ReplicaStale(HubError):
    """Order validation would rest on ERP data older than ``HUB_ERP_REPLICA_MAX_AGE_SECONDS`` and
    the ERP cannot be asked now. Not a ``BackendUnavailable``: no cache may answer in its place."""

    status, code, title = 503, "erp_replica_stale", "The hub's copy of the ERP is too old"
