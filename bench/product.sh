#!/usr/bin/env bash
# Benchmark: GET /v1/storefront/products/SKU-1001 through the whole hub, beside
# nginx in the same run (fixed body, proxy_pass to the hub, proxy_cache hit).
# Not a test: it prints numbers. Usage: bench/product.sh [seconds=10] [connections=64]
# Env: HUB_BENCH_DATABASE_URL / HUB_BENCH_REDIS_URL to bench on PostgreSQL / Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}; CONNS=${2:-64}
command -v wrk >/dev/null && command -v nginx >/dev/null || {
  echo "bench: installing wrk and nginx" >&2; apt-get update -qq && apt-get install -y -qq wrk nginx >/dev/null; }
./hub --help >/dev/null   # make sure .venv exists
WORK=$(mktemp -d); chmod 755 "$WORK"; mkdir -m 777 "$WORK/cache"; HUB_PORT=18180; NGINX_PORT=18181; ADMIN=bench-admin-key-0123456789
cleanup() { [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; kill -- -"$HUB_PID" 2>/dev/null || kill "$HUB_PID" 2>/dev/null; rm -rf "$WORK"; }
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
curl -sf "localhost:$NGINX_PORT/cached$URL" >/dev/null || { echo "bench: nginx cannot reach the hub:"; cat "$WORK/nginx-error.log"; exit 1; }   # warm the nginx cache

run() {  # name, url, extra wrk args
  local out; out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "${@:3}" "$2")
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out"); p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out"); non2xx=${non2xx:-0}
  printf '| %-44s | %10s | %8s | %8s | %6s |\n' "$1" "$rps" "$p50" "$p99" "$non2xx"
}
echo "wrk -t1 -c$CONNS -d${DURATION}s, $(nproc) cores, database ${HUB_DATABASE_URL%%:*}, redis ${HUB_REDIS_URL:-none}, $(.venv/bin/python -c "import platform, sys; print(platform.python_implementation(), platform.python_version(), sys.base_prefix)")"
printf '| %-44s | %10s | %8s | %8s | %6s |\n' path "req/s" p50 p99 non2xx
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "------------" "----------" "----------" "--------"
run "nginx fixed body" "http://127.0.0.1:$NGINX_PORT/fixed"
run "nginx proxy_cache hit (in front of the hub)" "http://127.0.0.1:$NGINX_PORT/cached$URL"
run "nginx proxy_pass -> hub (hub cache hit)" "http://127.0.0.1:$NGINX_PORT/proxy$URL"
run "hub, cache hit (API key, rate limit, cache)" "http://127.0.0.1:$HUB_PORT$URL" -H "X-API-Key: $KEY"
run "hub, cache miss (all layers, 3 backend calls)" "http://127.0.0.1:$HUB_PORT$URL" -H "X-API-Key: $KEY" -s bench/miss.lua
