#!/usr/bin/env bash
# `scripts/bench backfill [ROWS]`: times CALL org_rls.backfill(1000) on ROWS
# assistants (default 1,000,000) against a hand-written set-based migration
# of an identical copy, in the same run on the same cluster, and prints the
# ratio, rows per second, the longest batch and the backend's peak memory.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

ROWS=${1:-1000000}
DATA_DIR=/var/tmp/org_rls_bench_backfill
PORT=54360
HERE=$PROJECT_DIR/bench/backfill
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGDATABASE=bench

"$PROJECT_DIR/scripts/setup"
install_extension
trap 'stop_cluster "$DATA_DIR"' EXIT
start_cluster "$DATA_DIR" "$PORT"
# Measured with the durability a production server has.
sed -i 's/^fsync = off$/fsync = on/' "$DATA_DIR/postgresql.conf"
sudo -u postgres "$PG_BIN/pg_ctl" -D "$DATA_DIR" -w restart >/dev/null
psql -X -q -d postgres -c 'CREATE DATABASE bench'
echo "== building two copies of $ROWS assistants"
psql -X -q -v rows="$ROWS" -f "$HERE/setup.sql"

# Milliseconds since the epoch.
now_ms() { date +%s%3N; }

echo "== CALL org_rls.backfill(1000)"
log=$DATA_DIR/backfill.log
started=$(now_ms)
# The backend prints each batch's duration at DEBUG1, and its peak resident
# memory (VmHWM, which includes the shared buffers it touched) at the end.
psql -X -q -At -v ON_ERROR_STOP=1 \
    -c 'SET client_min_messages = debug1' \
    -c 'CALL org_rls.backfill(1000)' \
    -c "SELECT 'peak ' || (regexp_match(pg_read_file('/proc/' || pg_backend_pid() || '/status'), 'VmHWM:\s+(\d+ kB)'))[1]" \
    > "$log" 2>&1
extension_ms=$(( $(now_ms) - started ))

echo "== hand-written INSERT ... SELECT and UPDATE ... FROM"
started=$(now_ms)
psql -X -q -f "$HERE/by_hand.sql"
by_hand_ms=$(( $(now_ms) - started ))

batches=$(grep -c 'took .* ms' "$log" || true)
longest=$(grep -o 'took [0-9.]* ms' "$log" | awk '{print $2}' | sort -n | tail -n 1)
median=$(grep -o 'took [0-9.]* ms' "$log" | awk '{print $2}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
peak=$(grep '^peak' "$log" | cut -d' ' -f2-)
unassigned=$(psql -X -At -c 'SELECT count(*) FROM bots_extension WHERE organization_id IS NULL')

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "server: $(psql -X -At -c 'SHOW server_version'), fsync on, shared_buffers $(psql -X -At -c 'SHOW shared_buffers')"
echo "rows: $ROWS, batches: $batches, assistants left without an organization: $unassigned"
printf '%-34s %10s %12s\n' "migration" "ms" "rows/s"
printf '%-34s %10d %12d\n' "org_rls.backfill(1000)" "$extension_ms" $(( ROWS * 1000 / extension_ms ))
printf '%-34s %10d %12d\n' "hand-written set-based" "$by_hand_ms" $(( ROWS * 1000 / by_hand_ms ))
echo "ratio backfill / hand-written: $(awk -v a="$extension_ms" -v b="$by_hand_ms" 'BEGIN {printf "%.2f", a / b}')"
echo "batch duration: median ${median:-?} ms, longest ${longest:-?} ms (each batch holds its row locks until its commit)"
echo "backend peak resident memory (VmHWM): ${peak:-unknown}"
