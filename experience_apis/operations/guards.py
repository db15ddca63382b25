"""Who may call which admin route.

    ADMIN     scope `admin`: everything, and alone keys, plans, the cache, returns under
              review, reconciliations and discarding a dead letter
    OPERATOR  scope `admin` or `console`: the operator's views and actions the console uses
              (session, flows, journeys, backends with pause and resume, alerts, connections,
              dead letters: list, replay, resolve; the audit trail)
"""

from experience_apis.http import requires

ADMIN = requires("admin")
OPERATOR = requires("admin", "console")
