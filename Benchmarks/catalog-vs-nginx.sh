#!/usr/bin/env bash
# Serves the same catalog bytes from the service and from nginx (static file, gzip_static) and measures both with
# wrk on loopback, in one run: 200 identity, 200 gzip and 304. Needs wrk and nginx (apt-get install wrk nginx-light)
# and a running service (scripts/run).   Benchmarks/catalog-vs-nginx.sh [http://127.0.0.1:8080] [seconds]
set -euo pipefail
BASE="${1:-http://127.0.0.1:8080}"
DURATION="${2:-10}"
NGINX_PORT=18080
WORK="$(mktemp -d)"
chmod 755 "$WORK"
cleanup() { [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

mkdir -p "$WORK/root/v1"
curl -fsS "$BASE/v1/catalog" -o "$WORK/root/v1/catalog"
curl -fsS -H 'Accept-Encoding: gzip' "$BASE/v1/catalog" -o "$WORK/root/v1/catalog.gz"
chmod -R a+r "$WORK/root"
cat > "$WORK/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    gzip_static on;
    etag on;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/root;
        location /v1/ { default_type application/json; add_header Vary Accept-Encoding; add_header Cache-Control "public, max-age=60"; }
    }
}
CONF
nginx -c "$WORK/nginx.conf"
sleep 0.5

etag() { curl -fsSI "$@" | awk -F': ' 'tolower($1)=="etag"{print $2}' | tr -d '\r'; }
SERVICE_TAG=$(etag "$BASE/v1/catalog")
NGINX_TAG=$(etag "http://127.0.0.1:$NGINX_PORT/v1/catalog")
echo "catalog: $(wc -c < "$WORK/root/v1/catalog") bytes identity, $(wc -c < "$WORK/root/v1/catalog.gz") bytes gzip"

run() { # name url headers...
    local name="$1" url="$2"; shift 2
    local out
    out=$(wrk -t2 -c64 -d"${DURATION}s" --latency "$@" "$url")
    local rps p99 non2xx
    rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
    p99=$(echo "$out" | awk '$1=="99%"{print $2}')
    non2xx=$(echo "$out" | awk '/Non-2xx or 3xx/{print $5}')
    echo "$name|$rps|$p99|${non2xx:-0}"
}

printf '| case | service req/s | nginx req/s | service ÷ nginx | service p99 | nginx p99 |\n|---|---|---|---|---|---|\n'
for case in identity gzip 304; do
    case "$case" in
        identity) s=$(run s "$BASE/v1/catalog"); n=$(run n "http://127.0.0.1:$NGINX_PORT/v1/catalog") ;;
        gzip) s=$(run s "$BASE/v1/catalog" -H 'Accept-Encoding: gzip'); n=$(run n "http://127.0.0.1:$NGINX_PORT/v1/catalog" -H 'Accept-Encoding: gzip') ;;
        304) s=$(run s "$BASE/v1/catalog" -H "If-None-Match: $SERVICE_TAG"); n=$(run n "http://127.0.0.1:$NGINX_PORT/v1/catalog" -H "If-None-Match: $NGINX_TAG") ;;
    esac
    IFS='|' read -r _ srps sp99 _ <<< "$s"
    IFS='|' read -r _ nrps np99 _ <<< "$n"
    ratio=$(python3 -c "print(f'{$srps/$nrps:.2f}')")
    printf '| %s | %s | %s | %s | %s | %s |\n' "$case" "$srps" "$nrps" "$ratio" "$sp99" "$np99"
done
