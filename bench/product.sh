#!/usr/bin/env bash
# Benchmark: GET /v1/storefront/products/SKU-1001 through the whole hub, beside
# nginx in the same run (fixed body, proxy_pass to the hub, proxy_cache hit).
# Not a test: it prints numbers. Usage: bench/product.sh [seconds=10] [connections=64]
# Env: HUB_BENCH_DATABASE_URL / HUB_BENCH_REDIS_URL to bench on PostgreSQL / Redis;
# HUB_BENCH_PORT (18180) and HUB_BENCH_NGINX_PORT (18181) when those ports are taken;
# HUB_BENCH_NO_MISS=1 skips the cache-miss row. The port after the hub's serves bench/floor_app.py
# (granian answering a fixed body: the floor of the server hub serve ran until 2026-12-07). The last column is the answering server's CPU
# per request (from /proc), the figure other work on a shared machine moves least.
# HUB_BENCH_EAGER=1 adds two rows on ports +3 and +4: bench/eager_edge.py, the same hub (its own
# one-process HubApp and key) and the fixed answer behind a bare uvloop protocol instead of granian.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}; CONNS=${2:-64}
command -v wrk >/dev/null && command -v nginx >/dev/null || {
  echo "bench: installing wrk and nginx" >&2; apt-get update -qq && apt-get install -y -qq wrk nginx >/dev/null; }
./hub --help >/dev/null   # make sure .venv exists
WORK=$(mktemp -d); chmod 755 "$WORK"; mkdir -m 777 "$WORK/cache"; HUB_PORT=${HUB_BENCH_PORT:-18180}; NGINX_PORT=${HUB_BENCH_NGINX_PORT:-18181}; ADMIN=bench-admin-key-0123456789
FLOOR_PORT=$((HUB_PORT + 2)); FLOOR_PID=; EAGER_PORT=$((HUB_PORT + 3)); EAGER_PID=; RAW_PORT=$((HUB_PORT + 4)); RAW_PID=
cleanup() { [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; kill -- -"$HUB_PID" 2>/dev/null || kill "$HUB_PID" 2>/dev/null
            for pid in $FLOOR_PID $EAGER_PID $RAW_PID; do kill -- -"$pid" 2>/dev/null || kill "$pid" 2>/dev/null; done; rm -rf "$WORK"; }
trap cleanup EXIT

export HUB_DATABASE_URL=${HUB_BENCH_DATABASE_URL:-sqlite+aiosqlite:///$WORK/hub.db}
[ -n "${HUB_BENCH_REDIS_URL:-}" ] && export HUB_REDIS_URL=$HUB_BENCH_REDIS_URL
export HUB_BOOTSTRAP_ADMIN_KEY=$ADMIN HUB_LOG_LEVEL=warning HUB_PORT=$HUB_PORT
export HUB_PLANS='{"bench": {"rate_per_second": 1000000, "burst": 1000000}}'
setsid .venv/bin/hub serve > "$WORK/hub.log" 2>&1 & HUB_PID=$!
for _ in $(seq 1 100); do curl -sf "localhost:$HUB_PORT/health/ready" >/dev/null && break; sleep 0.1; done
KEY=$(curl -sf -X POST "localhost:$HUB_PORT/admin/v1/keys" -H "X-API-Key: $ADMIN" \
      -d '{"consumer": "bench", "scopes": ["catalog:read"], "plan": "bench"}' | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["key"])')
URL=/v1/storefront/products/SKU-1001
BODY=$(curl -sf "localhost:$HUB_PORT$URL" -H "X-API-Key: $KEY")

cat > "$WORK/nginx.conf" <<CONF
worker_processes 1; pid $WORK/nginx.pid; error_log $WORK/nginx-error.log; daemon on;
events { worker_connections 4096; }
http {
  access_log off;
  proxy_cache_path $WORK/cache keys_zone=bench:10m;
  upstream hub { server 127.0.0.1:$HUB_PORT; keepalive 64; }
  server {
    listen $NGINX_PORT;
    location = /fixed { default_type application/json; return 200 '$BODY'; }
    location /proxy/ { proxy_pass http://hub/; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header X-API-Key $KEY; }
    location /cached/ { proxy_pass http://hub/; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header X-API-Key $KEY; proxy_cache bench; proxy_cache_valid 200 10m; proxy_ignore_headers Cache-Control Set-Cookie; }
  }
}
CONF
nginx -c "$WORK/nginx.conf"
FLOOR_BODY=$BODY setsid .venv/bin/granian --interface asgi --loop uvloop --workers 1 --host 127.0.0.1 --port "$FLOOR_PORT" \
  --log-level warning bench.floor_app:app > "$WORK/floor.log" 2>&1 & FLOOR_PID=$!
for _ in $(seq 1 100); do curl -sf "localhost:$FLOOR_PORT/" >/dev/null && break; sleep 0.1; done
if [ -n "${HUB_BENCH_EAGER:-}" ]; then
  setsid .venv/bin/python bench/eager_edge.py --port "$EAGER_PORT" > "$WORK/eager.out" 2> "$WORK/eager.log" & EAGER_PID=$!
  FLOOR_BODY=$BODY setsid .venv/bin/python bench/eager_edge.py --port "$RAW_PORT" --fixed > "$WORK/raw.out" 2> "$WORK/raw.log" & RAW_PID=$!
  for _ in $(seq 1 200); do grep -qs ready "$WORK/eager.out" && grep -qs ready "$WORK/raw.out" && break; sleep 0.1; done
  EAGER_KEY=$(head -1 "$WORK/eager.out")
  curl -sf "localhost:$EAGER_PORT$URL" -H "X-API-Key: $EAGER_KEY" | grep -q SKU-1001 || { echo "bench: eager_edge did not answer:"; cat "$WORK/eager.log"; exit 1; }
fi
curl -sf "localhost:$NGINX_PORT/cached$URL" >/dev/null || { echo "bench: nginx cannot reach the hub:"; cat "$WORK/nginx-error.log"; exit 1; }   # warm the nginx cache

cpu_ticks() {  # the CPU clock ticks (user + system) of every process in session $1
  local total=0 f line rest
  for f in /proc/[0-9]*/stat; do
    line=$(cat "$f" 2>/dev/null) || continue
    rest=${line##*) }; read -r -a v <<<"$rest"   # v[0] is field 3 (state); session is field 6
    [ "${v[3]}" = "$1" ] && total=$((total + v[11] + v[12]))
  done
  echo "$total"
}
run() {  # server session id, name, url, extra wrk args
  local out before after; before=$(cpu_ticks "$1")
  out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "${@:4}" "$3"); after=$(cpu_ticks "$1")
  local rps p50 p99 non2xx requests cpu
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out"); p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out"); non2xx=${non2xx:-0}
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  cpu=$(awk -v t=$((after - before)) -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz / n * 1e6}')
  printf '| %-44s | %10s | %8s | %8s | %6s | %9s |\n' "$2" "$rps" "$p50" "$p99" "$non2xx" "$cpu"
}
NGINX_SID=$(cat "$WORK/nginx.pid")   # nginx daemonises into a session of its own: its master's pid
echo "wrk -t1 -c$CONNS -d${DURATION}s, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), database ${HUB_DATABASE_URL%%:*}, redis ${HUB_REDIS_URL:-none}, $(.venv/bin/python -c "import platform, sys; print(platform.python_implementation(), platform.python_version(), sys.base_prefix)")"
echo "server CPU/req: CPU time of the answering server's processes (nginx: master and worker; hub: its server process) over the run, per request"
printf '| %-44s | %10s | %8s | %8s | %6s | %9s |\n' path "req/s" p50 p99 non2xx "CPU µs/req"
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "------------" "----------" "----------" "--------" "-----------"
run "$NGINX_SID" "nginx fixed body" "http://127.0.0.1:$NGINX_PORT/fixed"
run "$NGINX_SID" "nginx proxy_cache hit (in front of the hub)" "http://127.0.0.1:$NGINX_PORT/cached$URL"
run "$HUB_PID" "nginx proxy_pass -> hub (hub cache hit)" "http://127.0.0.1:$NGINX_PORT/proxy$URL"
run "$FLOOR_PID" "granian, fixed answer (the earlier server)" "http://127.0.0.1:$FLOOR_PORT$URL"
run "$HUB_PID" "hub, cache hit (API key, rate limit, cache)" "http://127.0.0.1:$HUB_PORT$URL" -H "X-API-Key: $KEY"
if [ -n "${HUB_BENCH_EAGER:-}" ]; then
  run "$RAW_PID" "bare uvloop protocol, fixed answer (its floor)" "http://127.0.0.1:$RAW_PORT$URL"
  run "$EAGER_PID" "hub on the bare protocol, cache hit (eager)" "http://127.0.0.1:$EAGER_PORT$URL" -H "X-API-Key: $EAGER_KEY"
fi
[ -n "${HUB_BENCH_NO_MISS:-}" ] || run "$HUB_PID" "hub, cache miss (all layers, 3 backend calls)" "http://127.0.0.1:$HUB_PORT$URL" -H "X-API-Key: $KEY" -s bench/miss.lua
