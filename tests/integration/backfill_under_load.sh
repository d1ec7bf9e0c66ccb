#!/usr/bin/env bash
# Runs the backfill while pgbench sessions keep inserting and updating
# assistants and inserting conversations and messages with
# lock_timeout = 500ms. Checks that no application transaction fails and
# that afterwards every assistant, including those inserted during the
# backfill, has exactly one organization and no organization lacks its
# assistant. Prints the longest batch (measured, not asserted).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

DATA_DIR=/var/tmp/org_rls_it_backfill_load
PORT=54337
EXTRA_ASSISTANTS=${EXTRA_ASSISTANTS:-100000}
LOAD_SECONDS=${LOAD_SECONDS:-20}
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGDATABASE=app
failures=0

check() {
    local name=$1 actual=$2 expected=$3
    if [ "$actual" = "$expected" ]; then
        echo "ok      $name: $actual"
    else
        echo "FAILED  $name: expected $expected, got $actual"
        failures=$((failures + 1))
    fi
}

sql() {
    psql -X -q -At -v ON_ERROR_STOP=1 "$@"
}

install_extension
trap 'stop_cluster "$DATA_DIR"' EXIT
start_cluster "$DATA_DIR" "$PORT"
psql -X -q -d postgres -c 'CREATE DATABASE app'
sql -f "$PROJECT_DIR/examples/rag_saas.sql" >/dev/null
sql -c 'SELECT count(*) FROM public.fixture_generate(50, 2, 2, 5, 2, 2)' >/dev/null
sql >/dev/null <<SQL
INSERT INTO public.tenants (slug, name)
SELECT 'extra-' || lpad(g::text, 7, '0'), 'Extra bot ' || g FROM generate_series(1, $EXTRA_ASSISTANTS) AS g;
CREATE EXTENSION org_rls;
SELECT org_rls.rename_tenants();
SELECT org_rls.attach_assistants();
ANALYZE;
SQL
echo "assistants before the load: $(sql -c 'SELECT count(*) FROM public.assistants')"

log=$DATA_DIR/pgbench.log
PGOPTIONS='-c lock_timeout=500ms' pgbench -n -c 4 -j 2 -T "$LOAD_SECONDS" -D extra_assistants="$EXTRA_ASSISTANTS" \
    -f "$PROJECT_DIR/tests/integration/backfill_load/app_writes.pgbench" > "$log" 2>&1 &
pgbench_pid=$!
sleep 2

# One batch per transaction, as CALL org_rls.backfill() does; \timing gives
# each batch's duration, which is how long it holds its row locks.
batches=$DATA_DIR/batches.txt
: > "$batches"
while kill -0 "$pgbench_pid" 2>/dev/null; do
    psql -X -q -At -v ON_ERROR_STOP=1 -c '\timing on' -c 'SELECT org_rls.backfill_batch(1000)' >> "$batches"
done
pgbench_status=0
wait "$pgbench_pid" || pgbench_status=$?
# Assistants created after the last batch of the loop get theirs now.
sql -c 'CALL org_rls.backfill(1000)' 2>/dev/null

cat "$log" | grep -E 'number of (transactions actually processed|failed transactions)|aborted|ERROR' || true
check "pgbench exit status" "$pgbench_status" 0
check "application transactions that failed" "$(grep -c -E 'ERROR|aborted' "$log" || true)" 0
batch_count=$(grep -c '^Time:' "$batches" || true)
longest=$(grep '^Time:' "$batches" | awk '{print $2}' | sort -n | tail -n 1)
echo "batches during the load: $batch_count, longest: ${longest:-none} ms (measured on this machine, not asserted)"

check "assistants without an organization" "$(sql -c 'SELECT count(*) FROM public.assistants WHERE organization_id IS NULL')" 0
check "assistants sharing an organization" \
    "$(sql -c 'SELECT count(*) FROM (SELECT organization_id FROM public.assistants GROUP BY 1 HAVING count(*) > 1) s')" 0
check "organizations without their assistant" \
    "$(sql -c 'SELECT count(*) FROM org_rls.organizations o WHERE NOT EXISTS (SELECT FROM public.assistants a WHERE a.organization_id = o.id AND a.id = o.backfilled_from)')" 0
check "duplicate organizations for one assistant" \
    "$(sql -c 'SELECT count(*) - count(DISTINCT backfilled_from) FROM org_rls.organizations')" 0
inserted=$(sql -c "SELECT count(*) FROM public.assistants WHERE slug LIKE 'live-%'")
echo "assistants inserted during the load: $inserted"
[ "$inserted" -gt 0 ] && check "assistants inserted during the load got an organization" \
    "$(sql -c "SELECT count(*) FROM public.assistants WHERE slug LIKE 'live-%' AND organization_id IS NOT NULL")" "$inserted"
sql -c 'SELECT org_rls.finalize_assistants()' >/dev/null && check "finalize after the load" ok ok

[ "$failures" -eq 0 ]
