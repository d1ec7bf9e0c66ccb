# Shared by the scripts: paths, building, and throwaway clusters.
# PostgreSQL refuses to run as root, so initdb and the server run as the
# postgres OS user; psql and pg_regress run as the caller.

PROJECT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_BIN=/usr/lib/postgresql/15/bin
PG_CONFIG=$PG_BIN/pg_config

# Builds the extension in release mode and installs it into PostgreSQL 15,
# with the frozen install scripts of earlier releases (sql/releases) that
# the upgrade test starts from.
install_extension() {
    (cd "$PROJECT_DIR" && cargo pgrx install --release --pg-config "$PG_CONFIG" >/dev/null)
    cp "$PROJECT_DIR"/sql/releases/org_rls--*.sql "$("$PG_CONFIG" --sharedir)/extension/"
}

# Starts a new cluster in $1 listening on 127.0.0.1 port $2 only.
start_cluster() {
    local data_dir=$1 port=$2
    stop_cluster "$data_dir"
    rm -rf "$data_dir"
    mkdir -p "$data_dir"
    chown postgres:postgres "$data_dir"
    sudo -u postgres "$PG_BIN/initdb" -D "$data_dir" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$data_dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$data_dir'
fsync = off
shared_buffers = 512MB
max_wal_size = 4GB
CONF
    sudo -u postgres "$PG_BIN/pg_ctl" -D "$data_dir" -l "$data_dir/server.log" -w start >/dev/null
}

# Stops the cluster in $1 if it runs.
stop_cluster() {
    local data_dir=$1
    if [ -f "$data_dir/postmaster.pid" ]; then
        sudo -u postgres "$PG_BIN/pg_ctl" -D "$data_dir" -m fast -w stop >/dev/null || true
    fi
}
