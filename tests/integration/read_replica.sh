#!/usr/bin/env bash
# Runs protected reads on a hot standby. Starts a primary and a streaming
# replica made with pg_basebackup -R, migrates and protects the example on
# the primary and waits for replay. Then reads on the standby as app_user
# with each source of the organization context (use_organization, the JWT
# claim, the legacy app.current_tenant) and compares the counts with the
# primary's. Also checks that a read without context shows no rows and that
# the helpers work on the standby, where nothing may write.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

PRIMARY_DIR=/var/tmp/org_rls_it_replica_primary
PRIMARY_PORT=54343
STANDBY_DIR=/var/tmp/org_rls_it_replica_standby
STANDBY_PORT=54344
DATABASE=app
ASSISTANTS=20

cleanup() {
    stop_and_clean "$1" "$STANDBY_DIR" "$PRIMARY_DIR"
}

# Copies the primary with pg_basebackup -R, which writes standby.signal and
# primary_conninfo, and starts the copy as a hot standby on its own port.
start_standby() {
    stop_cluster "$STANDBY_DIR"
    rm -rf "$STANDBY_DIR"
    # The primary's socket sits in its data directory, and pg_basebackup
    # warns that it skips it.
    sudo -u postgres "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres \
        -D "$STANDBY_DIR" -R -X stream --checkpoint=fast 2>&1 | { grep -v 'skipping special file' || true; }
    # The copied postgresql.conf names the primary's port and socket directory.
    cat >>"$STANDBY_DIR/postgresql.conf" <<CONF
port = $STANDBY_PORT
unix_socket_directories = '$STANDBY_DIR'
CONF
    sudo -u postgres "$PG_BIN/pg_ctl" -D "$STANDBY_DIR" -l "$STANDBY_DIR/server.log" -w start >/dev/null
}

# Waits until the standby has replayed everything the primary has written
# so far, for at most 60 seconds.
wait_for_replay() {
    local target_lsn replayed waited=0
    target_lsn=$(sql_value "$PRIMARY_PORT" postgres 'SELECT pg_current_wal_lsn()')
    while true; do
        replayed=$(sql_value "$STANDBY_PORT" postgres \
            "SELECT pg_last_wal_replay_lsn() >= '$target_lsn'::pg_lsn")
        if [ "$replayed" = t ]; then
            pass "standby replayed the primary's WAL up to $target_lsn"
            return 0
        fi
        if [ "$waited" -ge 600 ]; then
            fail "standby did not replay up to $target_lsn within 60 s"
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
}

# Prints, for each protected relation, the rows app_user sees with the
# context given as SQL in $2 (statements run after SET LOCAL ROLE app_user
# in one read-only transaction), on port $1. The output is one line.
visible_rows() {
    local port=$1 context=$2
    sql "$port" "$DATABASE" -A -t <<SQL
BEGIN READ ONLY;
SET LOCAL ROLE app_user;
$context
SELECT concat_ws(' ',
       'tenants=' || (SELECT count(*) FROM public.tenants),
       'tenant_members=' || (SELECT count(*) FROM public.tenant_members),
       'documents=' || (SELECT count(*) FROM public.documents),
       'knowledge=' || (SELECT count(*) FROM public.knowledge),
       'conversations=' || (SELECT count(*) FROM public.conversations),
       'messages=' || (SELECT count(*) FROM public.messages),
       'events=' || (SELECT count(*) FROM public.events),
       'hybrid_search=' || (SELECT count(*) FROM public.hybrid_search(md5('fixture-tenant-1')::uuid,
                                'refund invoice', public.fixture_embedding(42, 16), 10)));
COMMIT;
SQL
}

# Reads with context $2 on both servers and checks that the standby shows
# what the primary shows, and that this is $3 (or, with $3 = "rows", that
# some rows show).
check_reads() {
    local description=$1 context=$2 expected=$3 on_primary on_standby
    on_primary=$(visible_rows "$PRIMARY_PORT" "$context")
    on_standby=$(visible_rows "$STANDBY_PORT" "$context")
    check_equal "standby reads equal the primary's, $description" "$on_standby" "$on_primary"
    if [ "$expected" = rows ]; then
        if grep -q '=[1-9]' <<<"$on_standby"; then
            pass "standby shows rows, $description"
        else
            fail "standby shows no rows, $description: $on_standby"
        fi
    else
        check_equal "standby rows, $description" "$on_standby" "$expected"
    fi
}

prepare_primary() {
    section "Primary on 127.0.0.1:$PRIMARY_PORT, standby on 127.0.0.1:$STANDBY_PORT"
    start_cluster "$PRIMARY_DIR" "$PRIMARY_PORT"
    check_equal "primary wal_level" "$(sql_value "$PRIMARY_PORT" postgres 'SHOW wal_level')" replica
    # The standby starts before the migration, so that everything below
    # reaches it through streaming replication.
    start_standby
    check_equal "standby in recovery" "$(sql_value "$STANDBY_PORT" postgres 'SELECT pg_is_in_recovery()')" t

    load_example "$PRIMARY_PORT" "$DATABASE" "$ASSISTANTS"
    migrate_example "$PRIMARY_PORT" "$DATABASE"
    # A role whose own policies admit every row, so that only org_rls's
    # policies limit what it sees.
    sql "$PRIMARY_PORT" "$DATABASE" <<'SQL'
CREATE ROLE replica_probe NOLOGIN;
GRANT USAGE ON SCHEMA public TO replica_probe;
GRANT SELECT ON public.assistants, public.documents TO replica_probe;
CREATE POLICY replica_probe_all ON public.assistants FOR SELECT TO replica_probe USING (true);
CREATE POLICY replica_probe_all ON public.documents FOR SELECT TO replica_probe USING (true);
SQL
    wait_for_replay
    check_equal "streaming replication state on the primary" \
        "$(sql_value "$PRIMARY_PORT" postgres "SELECT string_agg(state, ',') FROM pg_stat_replication")" streaming
}

# Prints what replica_probe sees on port $1 with the context SQL in $2:
# assistants and documents.
probe_rows() {
    sql "$1" "$DATABASE" -A -t <<SQL
BEGIN READ ONLY;
SET LOCAL ROLE replica_probe;
$2
SELECT format('assistants=%s documents=%s',
              (SELECT count(*) FROM public.assistants), (SELECT count(*) FROM public.documents));
COMMIT;
SQL
}

read_on_standby() {
    section "Protected reads on the standby"
    local assistant_1 organization_1 organization_2
    assistant_1=$(sql_value "$STANDBY_PORT" "$DATABASE" "SELECT md5('fixture-tenant-1')::uuid")
    organization_1=$(sql_value "$STANDBY_PORT" "$DATABASE" \
        "SELECT organization_id FROM public.assistants WHERE id = '$assistant_1'")
    organization_2=$(sql_value "$STANDBY_PORT" "$DATABASE" \
        "SELECT organization_id FROM public.assistants WHERE id = md5('fixture-tenant-2')::uuid")
    check_equal "standby has the database setting" "$(sql_value "$STANDBY_PORT" "$DATABASE" \
        'SHOW org_rls.legacy_tenant_setting')" app.current_tenant

    local legacy="SET LOCAL app.current_tenant = '$assistant_1';"
    check_reads "legacy app.current_tenant" "$legacy" rows
    check_reads "app.current_tenant and use_organization of its organization" \
        "$legacy SELECT org_rls.use_organization('$organization_1') \\g /dev/null" rows
    check_reads "app.current_tenant and JWT claim of its organization" \
        "$legacy SET LOCAL request.jwt.claims = '{\"org_id\": \"$organization_1\"}';" rows
    check_equal "standby reads with use_organization equal those with app.current_tenant alone" \
        "$(visible_rows "$STANDBY_PORT" "$legacy SELECT org_rls.use_organization('$organization_1') \\g /dev/null")" \
        "$(visible_rows "$STANDBY_PORT" "$legacy")"

    local none="tenants=0 tenant_members=0 documents=0 knowledge=0 conversations=0 messages=0 events=0 hybrid_search=0"
    check_reads "app.current_tenant with use_organization of another organization" \
        "$legacy SELECT org_rls.use_organization('$organization_2') \\g /dev/null" "$none"
    check_reads "app.current_tenant with the JWT claim of another organization" \
        "$legacy SET LOCAL request.jwt.claims = '{\"org_id\": \"$organization_2\"}';" "$none"
    check_reads "no context" "" "$none"

    # Without context, org_rls alone hides every row from a role whose own
    # policies show all; with an organization, exactly its rows show.
    check_equal "replica_probe without context on the standby" "$(probe_rows "$STANDBY_PORT" "")" \
        "assistants=0 documents=0"
    check_equal "replica_probe with use_organization on the standby" \
        "$(probe_rows "$STANDBY_PORT" "SELECT org_rls.use_organization('$organization_1') \\g /dev/null")" \
        "assistants=1 documents=20"
    check_equal "replica_probe with the JWT claim on the standby" \
        "$(probe_rows "$STANDBY_PORT" "SET LOCAL request.jwt.claims = '{\"org_id\": \"$organization_1\"}';")" \
        "assistants=1 documents=20"
}

helpers_on_standby() {
    section "Helpers on the standby"
    local assistant_1 organization_1
    assistant_1=$(sql_value "$STANDBY_PORT" "$DATABASE" "SELECT md5('fixture-tenant-1')::uuid")
    organization_1=$(sql_value "$STANDBY_PORT" "$DATABASE" \
        "SELECT organization_id FROM public.assistants WHERE id = '$assistant_1'")

    check_equal "organization_id() from app.current_tenant as app_user" "$(sql "$STANDBY_PORT" "$DATABASE" -A -t <<SQL
BEGIN READ ONLY;
SET LOCAL ROLE app_user;
SET LOCAL app.current_tenant = '$assistant_1';
SELECT org_rls.organization_id();
COMMIT;
SQL
)" "$organization_1"
    check_equal "assistant_ids() after use_organization as app_user" "$(sql "$STANDBY_PORT" "$DATABASE" -A -t <<SQL
BEGIN READ ONLY;
SET LOCAL ROLE app_user;
SELECT org_rls.use_organization('$organization_1') \g /dev/null
SELECT org_rls.assistant_ids();
COMMIT;
SQL
)" "{$assistant_1}"
    check_equal "organization_id() from the JWT claim as app_user" "$(sql "$STANDBY_PORT" "$DATABASE" -A -t <<SQL
BEGIN READ ONLY;
SET LOCAL ROLE app_user;
SET LOCAL request.jwt.claims = '{"org_id": "$organization_1"}';
SELECT org_rls.organization_id();
COMMIT;
SQL
)" "$organization_1"
    check_equal "assistant_ids() without context" \
        "$(sql_value "$STANDBY_PORT" "$DATABASE" 'SELECT org_rls.assistant_ids()')" "{}"
    check_equal "organization_id() without context is NULL" \
        "$(sql_value "$STANDBY_PORT" "$DATABASE" 'SELECT org_rls.organization_id() IS NULL')" t

    # A migration step must fail on the standby. PostgreSQL raises 25006
    # (read_only_sql_transaction) for every write during recovery.
    local status=0 message
    message=$(sql "$STANDBY_PORT" "$DATABASE" -c '\set VERBOSITY verbose' \
        -c "SELECT org_rls.protect('demo.captures', 'assistant_id')" 2>&1) || status=$?
    check_equal "org_rls.protect on the standby fails (psql exit status)" "$status" 1
    check_contains "its error has SQLSTATE 25006" "$message" 'ERROR:  25006: cannot execute'
    echo "$message" | sed -n 's/^/    /; 1p'
    check_equal "standby log lines with ERROR other than that one" \
        "$(grep 'ERROR:' "$STANDBY_DIR/server.log" | grep -vc 'ERROR:  cannot execute' || true)" 0
}

main() {
    install_extension_quietly
    trap 'cleanup $?' EXIT
    prepare_primary
    read_on_standby
    helpers_on_standby
    finish_checks read_replica.sh
}

main "$@"
