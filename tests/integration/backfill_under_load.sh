#!/usr/bin/env bash
# Runs the backfill while pgbench sessions keep inserting and updating
# assistants and inserting conversations and messages with
# lock_timeout = 500ms. Checks that no application transaction fails and
# that afterwards every assistant, including those inserted during the
# backfill, has exactly one organization and no organization lacks its
# assistant. Prints the longest batch (measured, not asserted).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

DATA_DIR=/var/tmp/org_rls_it_backfill_load
PORT=54337
EXTRA_ASSISTANTS=${EXTRA_ASSISTANTS:-100000}
LOAD_SECONDS=${LOAD_SECONDS:-20}

# Prints the result of one query in the test database.
value() {
    sql_value "$PORT" app "$1"
}

install_extension_quietly
trap 'stop_and_clean $? "$DATA_DIR"' EXIT
start_cluster "$DATA_DIR" "$PORT"
sql "$PORT" postgres -c 'CREATE DATABASE app'
sql "$PORT" app -f "$PROJECT_DIR/examples/rag_saas.sql" >/dev/null
value 'SELECT count(*) FROM public.fixture_generate(50, 2, 2, 5, 2, 2)' >/dev/null
sql "$PORT" app >/dev/null <<SQL
INSERT INTO public.tenants (slug, name)
SELECT 'extra-' || lpad(g::text, 7, '0'), 'Extra bot ' || g FROM generate_series(1, $EXTRA_ASSISTANTS) AS g;
CREATE EXTENSION org_rls;
SELECT org_rls.rename_tenants();
SELECT org_rls.attach_assistants();
ANALYZE;
SQL
echo "assistants before the load: $(value 'SELECT count(*) FROM public.assistants')"

log=$DATA_DIR/pgbench.log
PGOPTIONS='-c lock_timeout=500ms' pgbench -p "$PORT" -n -c 4 -j 2 -T "$LOAD_SECONDS" -D extra_assistants="$EXTRA_ASSISTANTS" \
    -f "$PROJECT_DIR/tests/integration/backfill_load/app_writes.pgbench" app > "$log" 2>&1 &
pgbench_pid=$!
sleep 2

# One batch per transaction, as CALL org_rls.backfill() does; \timing gives
# each batch's duration, which is how long it holds its row locks.
batches=$DATA_DIR/batches.txt
: > "$batches"
while kill -0 "$pgbench_pid" 2>/dev/null; do
    sql "$PORT" app -At -c '\timing on' -c 'SELECT org_rls.backfill_batch(1000)' >> "$batches"
done
pgbench_status=0
wait "$pgbench_pid" || pgbench_status=$?
# Assistants created after the last batch of the loop get theirs now.
sql "$PORT" app -c 'CALL org_rls.backfill(1000)' 2>/dev/null

cat "$log" | grep -E 'number of (transactions actually processed|failed transactions)|aborted|ERROR' || true
check_equal "pgbench exit status" "$pgbench_status" 0
check_equal "application transactions that failed" "$(grep -c -E 'ERROR|aborted' "$log" || true)" 0
batch_count=$(grep -c '^Time:' "$batches" || true)
longest=$(grep '^Time:' "$batches" | awk '{print $2}' | sort -n | tail -n 1)
echo "batches during the load: $batch_count, longest: ${longest:-none} ms (measured on this machine, not asserted)"

check_equal "assistants without an organization" "$(value 'SELECT count(*) FROM public.assistants WHERE organization_id IS NULL')" 0
check_equal "assistants sharing an organization" \
    "$(value 'SELECT count(*) FROM (SELECT organization_id FROM public.assistants GROUP BY 1 HAVING count(*) > 1) s')" 0
check_equal "organizations without their assistant" \
    "$(value 'SELECT count(*) FROM org_rls.organizations o WHERE NOT EXISTS (SELECT FROM public.assistants a WHERE a.organization_id = o.id AND a.id = o.backfilled_from)')" 0
check_equal "duplicate organizations for one assistant" \
    "$(value 'SELECT count(*) - count(DISTINCT backfilled_from) FROM org_rls.organizations')" 0
inserted=$(value "SELECT count(*) FROM public.assistants WHERE slug LIKE 'live-%'")
echo "assistants inserted during the load: $inserted"
[ "$inserted" -gt 0 ] && check_equal "assistants inserted during the load got an organization" \
    "$(value "SELECT count(*) FROM public.assistants WHERE slug LIKE 'live-%' AND organization_id IS NOT NULL")" "$inserted"
value 'SELECT org_rls.finalize_assistants()' >/dev/null && check_equal "finalize after the load" ok ok

finish_checks backfill_under_load
