"""The operators' experience API: the admin routes that reach a process (returns under review,
journeys, reconciliation runs), as thin handlers over its port. The gateway's admin app
(``gateway.admin.app``) mounts them beside its own edge routes (keys, plans, cache), so the
gateway reaches the processes only through this layer."""
