#!/usr/bin/env bash
# #22's figures in one run on this machine: a PostgreSQL primary and a streaming standby (scripts/pg-standby's
# start_standby), four replicas at their defaults (two on the primary, two with DATABASE_READ_URL on the standby)
# loaded with Seed/, one nginx in front of all four, an S3 API server (moto) and a fifth replica storing assets there.
# Then Benchmarks/scale_out.py: convergence of the four replicas over 100 writes, catalog reads through nginx and
# from one replica, and the upload median with each asset store. Everything stops when it ends.
#   [PHASES="converge readers uploads"] Benchmarks/scale-out.sh [seconds per wrk case, default 10]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib/common.sh"
cd "$REPO_ROOT"
export SECONDS_PER_CASE="${1:-10}"
WORK="$(mktemp -d /tmp/catalog-scale.XXXXXX)"
chmod 755 "$WORK"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null
    wait 2>/dev/null || true
    PG_DATA_DIR="$WORK/standby" stop_cluster
    PG_DATA_DIR="$WORK/primary" stop_cluster
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_system_packages
ensure_python_tools
swift build -c release --product catalog-service >&2
BIN="$(swift build -c release --show-bin-path)/catalog-service"

start_cluster "$WORK/primary" "$(free_port)"
PRIMARY_PORT="$PG_PORT"
create_database catalog
create_database catalog_s3
start_standby "$PRIMARY_PORT" "$WORK/standby" "$(free_port)"
PRIMARY="postgres://postgres@127.0.0.1:$PRIMARY_PORT/catalog"
STANDBY="postgres://postgres@127.0.0.1:$PG_PORT/catalog"

export ADMIN_TOKEN="bench-admin-token-0123456789" GATEWAY_TOKEN="bench-gateway-token-0123456789"
export OPENIM_WEBHOOK_SECRET="bench-webhook-secret-0123456789"
DATABASE_URL="$PRIMARY" "$BIN" migrate >/dev/null 2>&1
DATABASE_URL="$PRIMARY" "$BIN" seed --directory Seed >/dev/null 2>&1

S3_PORT="$(free_port)"
"$REPO_ROOT/.venv/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" > "$WORK/moto.log" 2>&1 &
PIDS+=($!)

# serve NAME PORT [VAR=value ...]: a replica at its defaults (LOG_LEVEL unset: info, the access log on).
serve() {
    local name="$1" port="$2"; shift 2
    env DATABASE_URL="$PRIMARY" PORT="$port" "$@" "$BIN" serve > "$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 300); do
        curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "replica $name did not become ready" >&2; tail -20 "$WORK/$name.log" >&2; exit 1
}
PORTS=()
for n in 1 2 3 4; do PORTS+=("$(free_port)"); done
serve primary-1 "${PORTS[0]}"
serve primary-2 "${PORTS[1]}"
serve standby-1 "${PORTS[2]}" DATABASE_READ_URL="$STANDBY"
serve standby-2 "${PORTS[3]}" DATABASE_READ_URL="$STANDBY"

for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" && break; sleep 0.2; done
curl -fsS -X PUT "http://127.0.0.1:$S3_PORT/catalog-bench" >/dev/null
S3_SERVICE_PORT="$(free_port)"
serve s3 "$S3_SERVICE_PORT" DATABASE_URL="postgres://postgres@127.0.0.1:$PRIMARY_PORT/catalog_s3" ASSET_STORE=s3 \
    S3_ENDPOINT="http://127.0.0.1:$S3_PORT" S3_BUCKET=catalog-bench S3_FORCE_PATH_STYLE=true \
    AWS_ACCESS_KEY_ID=bench-access-key AWS_SECRET_ACCESS_KEY=bench-secret-access-key

# One nginx in front of the four, at Debian's defaults (worker_processes auto, access log on), keep-alive upstream.
LB_PORT="$(free_port)"
cat > "$WORK/nginx.conf" <<CONF
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 768; }
http {
    access_log $WORK/nginx-access.log;
    upstream replicas {
        server 127.0.0.1:${PORTS[0]};
        server 127.0.0.1:${PORTS[1]};
        server 127.0.0.1:${PORTS[2]};
        server 127.0.0.1:${PORTS[3]};
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$LB_PORT;
        location / {
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
        }
    }
}
CONF
nginx -c "$WORK/nginx.conf"

echo "machine: $(nproc) cores; catalog: Seed/ ($(curl -fsS "http://127.0.0.1:${PORTS[0]}/v1/catalog" | wc -c) bytes); replicas at their defaults"
echo
REPLICAS="primary:${PORTS[0]},primary:${PORTS[1]},standby:${PORTS[2]},standby:${PORTS[3]}" \
LB="http://127.0.0.1:$LB_PORT" PG_REPLICA="http://127.0.0.1:${PORTS[0]}" S3_REPLICA="http://127.0.0.1:$S3_SERVICE_PORT" \
WRK_SECONDS="$SECONDS_PER_CASE" WORK="$WORK" python3 Benchmarks/scale_out.py ${PHASES:-}
