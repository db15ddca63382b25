"""The durable asynchronous backbone: transactional outbox, relay, workers, dead letters.

    outbox.py           Message, enqueue(conn, topic, key, payload): in the producer's transaction
    worker.py           Worker: runs handlers; start / stop / wake / drain
    table_transport.py  no Redis: the outbox table is the queue (leases, SKIP LOCKED)
    redis_transport.py  Redis: relay -> Streams -> consumer group (XREADGROUP, XACK, XAUTOCLAIM)
    store.py            the outbox's SQL, shared by both transports
    outcomes.py         failure -> retry (backoff, Retry-After) or dead letter (permanent, budget)
    ledger.py           first_time(): the processed-message ledger for idempotent consumers
    dead_letters.py     list (filtered), get, replay one or a filtered set (exactly once), resolve, delete
    config.py           WorkerConfig: the knobs
"""

from shared.messaging.config import WorkerConfig
from shared.messaging.dead_letters import DeadLetter, DeadLetterPage, DeadLetterService
from shared.messaging.ledger import first_time
from shared.messaging.metrics import MessagingMetrics
from shared.messaging.outbox import Handler, Message, enqueue
from shared.messaging.redis_transport import RedisTransport, stream_namespace
from shared.messaging.store import OutboxStore
from shared.messaging.table_transport import TableTransport
from shared.messaging.worker import Worker

__all__ = [
    "DeadLetter", "DeadLetterPage", "DeadLetterService", "Handler", "Message", "MessagingMetrics", "OutboxStore",
    "RedisTransport", "TableTransport", "Worker", "WorkerConfig", "enqueue", "first_time", "stream_namespace",
]
