#!/usr/bin/env bash
# Benchmark: cache-hit throughput with telemetry off vs tracing on at 1% sampling, same run,
# same interpreter, alternating (off, on, off, on...) so machine noise hits both.
# "on": OTLP/HTTP export to a loopback sink, parentbased_traceidratio 0.01, library instrumentation.
# Not a test: it prints numbers. Usage: bench/telemetry.sh [seconds=8] [rounds=3] [connections=64]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-8}; ROUNDS=${2:-3}; CONNS=${3:-64}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
./hub --help >/dev/null
WORK=$(mktemp -d); HUB_PORT=18190; SINK_PORT=18191; ADMIN=bench-admin-key-0123456789; HUB_PID=""
cleanup() { [ -n "$HUB_PID" ] && { kill -- -"$HUB_PID" 2>/dev/null || kill "$HUB_PID" 2>/dev/null; }; kill "$SINK_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
.venv/bin/python bench/otlp_sink.py $SINK_PORT & SINK_PID=$!
export HUB_BOOTSTRAP_ADMIN_KEY=$ADMIN HUB_LOG_LEVEL=warning HUB_PORT=$HUB_PORT
export HUB_PLANS='{"bench": {"rate_per_second": 1000000, "burst": 1000000}}'
URL=/v1/storefront/products/SKU-1001

serve() {  # mode: off | on
  rm -f "$WORK/hub.db"
  if [ "$1" = on ]; then
    env HUB_DATABASE_URL="sqlite+aiosqlite:///$WORK/hub.db" OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" \
        OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.01 \
        setsid .venv/bin/hub serve > "$WORK/hub-$1.log" 2>&1 & HUB_PID=$!
  else
    env HUB_DATABASE_URL="sqlite+aiosqlite:///$WORK/hub.db" setsid .venv/bin/hub serve > "$WORK/hub-$1.log" 2>&1 & HUB_PID=$!
  fi
  for _ in $(seq 1 150); do curl -sf "localhost:$HUB_PORT/health/ready" >/dev/null && break; sleep 0.1; done
  KEY=$(curl -sf -X POST "localhost:$HUB_PORT/admin/v1/keys" -H "X-API-Key: $ADMIN" \
        -d '{"consumer": "bench", "scopes": ["catalog:read"], "plan": "bench"}' | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  curl -sf "localhost:$HUB_PORT$URL" -H "X-API-Key: $KEY" >/dev/null
}
stop() { kill -- -"$HUB_PID" 2>/dev/null || kill "$HUB_PID"; wait "$HUB_PID" 2>/dev/null || true; HUB_PID=""; }

echo "wrk -t1 -c$CONNS -d${DURATION}s, $(nproc) cores, $(.venv/bin/python -c "import platform, sys; print(platform.python_implementation(), platform.python_version(), sys.base_prefix)")"
printf '| %-5s | %-34s | %10s | %8s | %8s |\n' round "telemetry" "req/s" p50 p99
for round in $(seq 1 "$ROUNDS"); do
  for mode in off on; do
    serve $mode
    out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency -H "X-API-Key: $KEY" "http://127.0.0.1:$HUB_PORT$URL")
    tp=$(curl -si "localhost:$HUB_PORT$URL" -H "X-API-Key: $KEY" | awk 'tolower($1)=="traceparent:" {print $2}' | tr -d '\r')
    stop
    label=$([ $mode = on ] && echo "tracing on, 1% sampled, OTLP" || echo "off (no exporter)")
    printf '| %-5s | %-34s | %10s | %8s | %8s |\n' "$round" "$label" "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
      "$(awk '$1=="50%" {print $2}' <<<"$out")" "$(awk '$1=="99%" {print $2}' <<<"$out")"
    [ -n "$tp" ] || { echo "bench: no traceparent on a hit"; exit 1; }
  done
done
