#!/usr/bin/env bash
# Benchmark: order acceptance (POST /v1/storefront/orders) through the whole hub, then
# how long the accepted orders take to reach `posted` (ERP) and `released` (WMS).
# Not a test: it prints numbers. Usage: bench/orders.sh [seconds=15] [connections=32]
# Env: HUB_BENCH_DATABASE_URL (default: a fresh PostgreSQL database on 127.0.0.1),
#      HUB_BENCH_REDIS_URL, HUB_BENCH_WORKERS (server processes, default 1),
#      HUB_BENCH_SANDBOX=process: the sandbox backends in their own process, reached over
#      HTTP as real backends would be (default: in the hub's process, as `hub serve` runs),
#      HUB_BENCH_FLOWS=off: no workers (HUB_WORKER_CONCURRENCY=0), acceptance alone,
#      HUB_BENCH_FLOWS=split: the flows in a `--role worker` process and the sandbox in its own,
#      both at nice 19 (the order API first; the backlog drains when there is CPU to spare),
#      HUB_BENCH_WARMUP: seconds of load before the measured run (default 3; not counted),
#      HUB_BENCH_PROFILE=FILE: py-spy's raw samples of the hub under load (pip install py-spy).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15}; CONNS=${2:-32}
command -v wrk >/dev/null || { echo "bench: installing wrk" >&2; apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
./hub --help >/dev/null   # make sure .venv exists
WORK=$(mktemp -d); HUB_PORT=18190; ADMIN=bench-admin-key-0123456789
DB_NAME=""
SANDBOX_PID=""; SANDBOX_PORT=18191; SANDBOX=localhost:$HUB_PORT
cleanup() {
  kill -- -"$HUB_PID" 2>/dev/null || true
  [ -n "$SANDBOX_PID" ] && { kill -- -"$SANDBOX_PID" 2>/dev/null || true; }
  [ -n "$WORKER_PID" ] && { kill -- -"$WORKER_PID" 2>/dev/null || true; }
  [ -n "$DB_NAME" ] && psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
if [ -z "${HUB_BENCH_DATABASE_URL:-}" ]; then
  DB_NAME="hub_bench_$$"
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE $DB_NAME" >/dev/null
  HUB_BENCH_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/$DB_NAME"
fi
export HUB_DATABASE_URL=$HUB_BENCH_DATABASE_URL HUB_SANDBOX=1   # a PostgreSQL hub must choose
[ -n "${HUB_BENCH_REDIS_URL:-}" ] && export HUB_REDIS_URL=$HUB_BENCH_REDIS_URL
export HUB_BOOTSTRAP_ADMIN_KEY=$ADMIN HUB_LOG_LEVEL=warning HUB_PORT=$HUB_PORT HUB_SANDBOX_AUTOSHIP_SECONDS=0
export HUB_WORKERS=${HUB_BENCH_WORKERS:-1}
# A small fixed pool: one round trip per order needs few connections, and fewer backends
# queueing on the SKU's reservation row keep the tail short (docs/performance.md).
export HUB_DB_POOL_SIZE=${HUB_DB_POOL_SIZE:-6} HUB_DB_POOL_OVERFLOW=${HUB_DB_POOL_OVERFLOW:-0}
FLOWS=${HUB_BENCH_FLOWS:-on}; NICE=""; WORKER_PID=""; WORKER_PORT=18192
[ "$FLOWS" = split ] && { HUB_BENCH_SANDBOX=process; NICE="nice -n 19"; }
[ "$FLOWS" != on ] && export HUB_WORKER_CONCURRENCY=0
export HUB_PLANS='{"bench": {"rate_per_second": 1000000, "burst": 1000000}}'
if [ "${HUB_BENCH_SANDBOX:-}" = process ]; then
  for b in shopify wms pos erp; do export "HUB_$(tr a-z A-Z <<<"$b")_WEBHOOK_SECRET=bench-$b-webhook-secret-$$"; done
  HUB_PORT=$SANDBOX_PORT HUB_SANDBOX_EVENTS_URL=http://127.0.0.1:$HUB_PORT \
    setsid $NICE .venv/bin/hub serve --role sandbox > "$WORK/sandbox.log" 2>&1 & SANDBOX_PID=$!
  SANDBOX=localhost:$SANDBOX_PORT
  for b in erp wms pos payments shopify; do export "HUB_$(tr a-z A-Z <<<"$b")_URL=http://127.0.0.1:$SANDBOX_PORT/sandbox/$b"; done
  # the hub as production runs it: private secrets (the webhook ones above sign the sandbox's events)
  export HUB_SANDBOX=0 HUB_SHOPIFY_ACCESS_TOKEN=shpat_bench_0123456789abcdef HUB_INTERNAL_SECRET=bench-internal-secret-0123456789
  head -c 32 /dev/urandom | base64 > "$WORK/data.key"; export HUB_DATA_KEY_FILE=$WORK/data.key   # production seals webhook secrets
  for _ in $(seq 1 200); do curl -sf "$SANDBOX/health/live" >/dev/null && break; sleep 0.1; done
fi
setsid .venv/bin/hub serve > "$WORK/hub.log" 2>&1 & HUB_PID=$!
if [ "$FLOWS" = split ]; then   # the flows: a worker and the system role it calls, in one session
  SYSTEM_PORT=$((WORKER_PORT + 1))
  WORK=$WORK NICE=$NICE SYSTEM_PORT=$SYSTEM_PORT WORKER_PORT=$WORKER_PORT setsid bash -c '
    HUB_PORT=$SYSTEM_PORT $NICE .venv/bin/hub serve --role system > "$WORK/system.log" 2>&1 &
    HUB_PORT=$WORKER_PORT HUB_SYSTEM_URL=http://127.0.0.1:$SYSTEM_PORT HUB_WORKER_CONCURRENCY=${HUB_BENCH_WORKER_CONCURRENCY:-64} \
      $NICE .venv/bin/hub serve --role worker > "$WORK/worker.log" 2>&1 &
    wait' & WORKER_PID=$!
fi
for _ in $(seq 1 200); do curl -sf "localhost:$HUB_PORT/health/ready" >/dev/null && break; sleep 0.1; done
curl -sf "localhost:$HUB_PORT/health/ready" >/dev/null || { echo "bench: the hub did not start"; cat "$WORK/hub.log"; exit 1; }
KEY=$(curl -sf -X POST "localhost:$HUB_PORT/admin/v1/keys" -H "X-API-Key: $ADMIN" \
      -d '{"consumer": "bench", "scopes": ["orders:write", "orders:read"], "plan": "bench"}' \
      | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["key"])')
curl -sf -X POST "$SANDBOX/sandbox/wms/stock" -H 'Content-Type: application/json' \
     -d '{"sku": "SKU-1003", "location": "DC-EAST", "on_hand": 10000000}' >/dev/null
# one order first: loads SKU-1003's stock into the hub, and waits for the stock event to land
for _ in $(seq 1 100); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "localhost:$HUB_PORT/v1/storefront/orders" -H "X-API-Key: $KEY" \
    -H "Idempotency-Key: warm-$RANDOM" -H 'Content-Type: application/json' \
    -d '{"lines": [{"sku": "SKU-1003", "quantity": 600}], "payment": {"method": "card", "amount": "5250.00"}}')
  [ "$code" = 201 ] && break; sleep 0.1
done

# CPU seconds of the hub's processes (its session) and of PostgreSQL's, from /proc: a per-order
# cost that a busy machine does not distort the way it distorts orders/s
cpu() { # $1: a pgrep selector
  local ticks=0 pid f
  for pid in $(pgrep $1); do f=$(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null) && ticks=$((ticks + ${f% *} + ${f#* })); done
  echo "$ticks"
}
WARMUP=${HUB_BENCH_WARMUP:-3}
[ "$WARMUP" -gt 0 ] && wrk -t1 -c"$CONNS" -d"${WARMUP}s" -s bench/order.lua -H "X-API-Key: $KEY" \
  "http://127.0.0.1:$HUB_PORT/v1/storefront/orders" >/dev/null
# The statistics any running database has: this machine's PostgreSQL runs with autovacuum off
# (conf.d/90-ci.conf), so a fresh database would keep planning the outbox claim as if empty.
psql -q -h 127.0.0.1 -U postgres -d "${HUB_DATABASE_URL##*/}" -c "ANALYZE" 2>/dev/null || true
count_orders() { psql -qtA -h 127.0.0.1 -U postgres -d "${HUB_DATABASE_URL##*/}" -c "SELECT count(*) FROM orders" 2>/dev/null || echo 0; }
ORDERS0=$(count_orders)
HUB_CPU0=$(cpu "-s $HUB_PID"); PG_CPU0=$(cpu "-u postgres"); SB_CPU0=0
[ -n "$SANDBOX_PID" ] && SB_CPU0=$(cpu "-s $SANDBOX_PID")
WK_CPU0=0; [ -n "$WORKER_PID" ] && WK_CPU0=$(cpu "-s $WORKER_PID")
if [ -n "${HUB_BENCH_PROFILE:-}" ]; then   # py-spy's raw samples of the hub process under load
  PROF_PID=$(pgrep -s "$HUB_PID" -f 'hub serve' | tail -1)
  .venv/bin/py-spy record -r 200 -f raw -o "$HUB_BENCH_PROFILE" -d "$((DURATION - 1))" -p "$PROF_PID" >/dev/null 2>&1 &
fi
out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency -s bench/order.lua -H "X-API-Key: $KEY" \
      "http://127.0.0.1:$HUB_PORT/v1/storefront/orders")
[ -n "${HUB_BENCH_VERBOSE:-}" ] && echo "$out"
rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out"); p50=$(awk '$1=="50%" {print $2}' <<<"$out")
p99=$(awk '$1=="99%" {print $2}' <<<"$out"); non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
echo "wrk -t1 -c$CONNS -d${DURATION}s, $(nproc) cores, database ${HUB_DATABASE_URL%%:*}, redis ${HUB_REDIS_URL:-none}, workers $HUB_WORKERS, $(.venv/bin/python -c "import platform, sys; print(platform.python_implementation(), platform.python_version(), sys.base_prefix)")"
echo "accepted orders/s: $rps   p50: $p50   p99: $p99   non-2xx: ${non2xx:-0}"
HUB_CPU1=$(cpu "-s $HUB_PID"); PG_CPU1=$(cpu "-u postgres")
[ "$FLOWS" = off ] || HUB_DATABASE_URL=$HUB_DATABASE_URL .venv/bin/python bench/order_lag.py
HUB_CPU2=$(cpu "-s $HUB_PID"); PG_CPU2=$(cpu "-u postgres")
ORDERS=$(( $(count_orders) - ORDERS0 ))   # the measured run's orders (the warm-up's are not counted)
HZ=$(getconf CLK_TCK); SB_CPU2=0; WK_CPU2=0
[ -n "$SANDBOX_PID" ] && SB_CPU2=$(cpu "-s $SANDBOX_PID")
[ -n "$WORKER_PID" ] && WK_CPU2=$(cpu "-s $WORKER_PID")
awk -v h0="$HUB_CPU0" -v h1="$HUB_CPU1" -v h2="$HUB_CPU2" -v p0="$PG_CPU0" -v p2="$PG_CPU2" -v s0="$SB_CPU0" -v s2="$SB_CPU2" \
    -v w0="$WK_CPU0" -v w2="$WK_CPU2" -v n="$ORDERS" -v hz="$HZ" \
  'BEGIN { if (n > 0) printf "CPU per order, load and drain: hub %.2f ms (%.2f ms of it under load), worker process %.2f ms, PostgreSQL %.2f ms, sandbox process %.2f ms; %d orders\n",
     (h2 - h0) * 1000 / hz / n, (h1 - h0) * 1000 / hz / n, (w2 - w0) * 1000 / hz / n, (p2 - p0) * 1000 / hz / n, (s2 - s0) * 1000 / hz / n, n }'
