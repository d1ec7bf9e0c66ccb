#!/usr/bin/env bash
# Interrupts CALL org_rls.backfill(500) on 100,020 assistants in three
# ways, then reruns it. The first two, each followed by a restart with crash
# recovery, are kill -9 of the postmaster alone and kill -9 of the
# postmaster and every server process (a crash of the whole server). The
# third is pg_terminate_backend of the backend running the backfill. After
# the rerun, checks that no organization is duplicated, that every
# assistant has its own organization, that no organization lacks its
# assistant and that the application tables keep their rows.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

DATA_DIR=/var/tmp/org_rls_it_crash
PORT=54345
WORK_DIR=$DATA_DIR.files
TEMPLATE=backfill_template
EXTRA_ASSISTANTS=100000
BATCH_SIZE=500
# Organizations committed before the interruption: 20 batches.
INTERRUPT_AFTER=10000
APPLICATION_NAME=org_rls_it_backfill

cleanup() {
    stop_and_clean "$1" "$DATA_DIR" "$WORK_DIR"
}

# Creates the template database: the example with 20 assistants, renamed
# and attached, plus EXTRA_ASSISTANTS assistants inserted through the table.
prepare_template() {
    section "Template: example with $((EXTRA_ASSISTANTS + 20)) assistants, renamed and attached"
    load_example "$PORT" "$TEMPLATE" 20
    sql "$PORT" "$TEMPLATE" -f "$IT_SQL/migrate_start.sql" >/dev/null
    sql "$PORT" "$TEMPLATE" <<SQL
INSERT INTO public.assistants (id, slug, name)
SELECT md5('crash-assistant-' || g)::uuid, 'assistant-' || lpad(g::text, 7, '0'), 'Crash Test Assistant ' || g
  FROM generate_series(21, $EXTRA_ASSISTANTS + 20) AS g;
ANALYZE;
SQL
    check_equal "assistants without an organization in the template" \
        "$(sql_value "$PORT" "$TEMPLATE" 'SELECT count(*) FROM public.assistants WHERE organization_id IS NULL')" \
        "$((EXTRA_ASSISTANTS + 20))"
}

organization_count() {
    sql_value "$PORT" "$1" 'SELECT count(*) FROM org_rls.organizations'
}

# Waits until process $1 is gone, for at most $2 seconds. A zombie counts
# as running: a new postmaster refuses to start while the old postmaster's
# pid still exists, even as a zombie that init has not reaped yet.
wait_for_exit() {
    local pid=$1 limit=$2 waited=0
    while true; do
        if ! ps -p "$pid" >/dev/null 2>&1; then
            return 0
        fi
        if [ "$waited" -ge $((limit * 10)) ]; then
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
}

# Prints the postmaster's pid from postmaster.pid after checking that the
# process is the postgres server of DATA_DIR, so that no other process is
# signalled.
postmaster_pid() {
    local pid
    pid=$(head -n 1 "$DATA_DIR/postmaster.pid")
    if ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "postgres -D $DATA_DIR\b"; then
        echo "crash_backfill.sh: process $pid is not the postmaster of $DATA_DIR" >&2
        return 1
    fi
    echo "$pid"
}

# Starts the cluster again after a crash, so that PostgreSQL runs crash
# recovery, and checks its log for it.
restart_after_crash() {
    local log_lines
    log_lines=$(wc -l <"$DATA_DIR/server.log")
    sudo -u postgres "$PG_BIN/pg_ctl" -D "$DATA_DIR" -l "$DATA_DIR/server.log" -w start >/dev/null 2>&1
    check_contains "server log shows crash recovery" "$(tail -n +"$((log_lines + 1))" "$DATA_DIR/server.log")" \
        'database system was not properly shut down; automatic recovery in progress'
}

# Runs one scenario in a new copy of the template: starts the backfill in
# the background, interrupts it the way $2 names once INTERRUPT_AFTER
# organizations are committed, reruns it and checks the result.
run_scenario() {
    local database=$1 interruption=$2 backfill_pid backend_pid waited=0 committed
    section "Backfill interrupted by $interruption (database $database)"
    sql "$PORT" postgres -c "CREATE DATABASE $database TEMPLATE $TEMPLATE"
    table_checksums "$PORT" "$database" | grep -v '^assistants|' >"$WORK_DIR/$database.before"
    local assistants
    assistants=$(sql_value "$PORT" "$database" 'SELECT count(*) FROM public.assistants')

    PGAPPNAME=$APPLICATION_NAME psql -X -q -p "$PORT" -d "$database" \
        -c "CALL org_rls.backfill($BATCH_SIZE)" >"$WORK_DIR/$database.backfill.log" 2>&1 &
    backfill_pid=$!
    while [ "$(organization_count "$database")" -lt "$INTERRUPT_AFTER" ]; do
        if [ "$waited" -ge 600 ]; then
            fail "$database: fewer than $INTERRUPT_AFTER organizations after 60 s"
            kill "$backfill_pid" 2>/dev/null || true
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    backend_pid=$(sql_value "$PORT" postgres \
        "SELECT pid FROM pg_stat_activity WHERE application_name = '$APPLICATION_NAME'")

    local postmaster pid
    local -a server_processes
    case $interruption in
        "kill -9 of the postmaster")
            postmaster=$(postmaster_pid)
            read -r -a server_processes <<<"$(ps -o pid= --ppid "$postmaster" | tr '\n' ' ')"
            kill -9 "$postmaster"
            wait_for_exit "$postmaster" 30 || fail "$database: postmaster $postmaster still exists after kill -9"
            # The other server processes notice the postmaster's death and
            # exit, and a new postmaster cannot start while one of them
            # still uses the shared memory.
            for pid in "${server_processes[@]}"; do
                wait_for_exit "$pid" 120 || fail "$database: server process $pid still runs 120 s after the postmaster died"
            done
            restart_after_crash
            ;;
        "kill -9 of every server process")
            postmaster=$(postmaster_pid)
            read -r -a server_processes <<<"$(ps -o pid= --ppid "$postmaster" | tr '\n' ' ')"
            kill -9 "$postmaster" "${server_processes[@]}"
            for pid in "$postmaster" "${server_processes[@]}"; do
                wait_for_exit "$pid" 30 || fail "$database: server process $pid still runs after kill -9"
            done
            restart_after_crash
            ;;
        pg_terminate_backend)
            check_equal "$database: pg_terminate_backend of the backfill's backend" \
                "$(sql_value "$PORT" postgres "SELECT pg_terminate_backend($backend_pid)")" t
            ;;
    esac
    wait "$backfill_pid" || true
    echo "psql running the backfill printed, besides its NOTICEs:"
    grep -v '^NOTICE:  backfill batch' "$WORK_DIR/$database.backfill.log" | sed 's/^/    /'

    committed=$(organization_count "$database")
    echo "organizations committed before the rerun: $committed of $assistants"
    if [ "$interruption" = "kill -9 of the postmaster" ]; then
        # A backend does not notice the postmaster's death while it is busy,
        # so the backfill runs on to its end.
        check_equal "$database: backfill finished by the orphaned backend" "$committed" "$assistants"
    elif [ "$committed" -ge "$INTERRUPT_AFTER" ] && [ "$committed" -lt "$assistants" ]; then
        pass "$database: backfill interrupted with $committed of $assistants organizations committed"
    else
        fail "$database: backfill not interrupted partway: $committed of $assistants organizations"
    fi

    sql "$PORT" "$database" -c 'SET client_min_messages = warning' -c 'CALL org_rls.backfill()'
    check_backfilled "$database" "$assistants"
}

check_backfilled() {
    local database=$1 assistants=$2
    check_equal "$database: duplicate organizations (count - count of distinct backfilled_from)" \
        "$(sql_value "$PORT" "$database" \
            'SELECT count(*) - count(DISTINCT backfilled_from) FROM org_rls.organizations')" 0
    check_equal "$database: organizations" "$(organization_count "$database")" "$assistants"
    check_equal "$database: assistants without an organization" \
        "$(sql_value "$PORT" "$database" 'SELECT count(*) FROM public.assistants WHERE organization_id IS NULL')" 0
    check_equal "$database: assistants whose organization was not backfilled from them" \
        "$(sql_value "$PORT" "$database" "
            SELECT count(*) FROM public.assistants a
              LEFT JOIN org_rls.organizations o ON o.id = a.organization_id
             WHERE o.backfilled_from IS DISTINCT FROM a.id")" 0
    check_equal "$database: organizations without their assistant" \
        "$(sql_value "$PORT" "$database" "
            SELECT count(*) FROM org_rls.organizations o
             WHERE NOT EXISTS (SELECT FROM public.assistants a
                                WHERE a.organization_id = o.id AND a.id = o.backfilled_from)")" 0
    table_checksums "$PORT" "$database" | grep -v '^assistants|' >"$WORK_DIR/$database.after"
    if diff "$WORK_DIR/$database.before" "$WORK_DIR/$database.after"; then
        pass "$database: row counts and checksums of the application tables unchanged"
    else
        fail "$database: row counts or checksums of application tables changed (< before, > after)"
    fi
    sql "$PORT" "$database" -c 'SELECT org_rls.finalize_assistants()' >/dev/null
    check_equal "$database: state after finalize_assistants" "$(sql_value "$PORT" "$database" \
        "SELECT state FROM org_rls.status() WHERE component = 'assistants'")" finalized
}

main() {
    install_extension_quietly
    trap 'cleanup $?' EXIT
    start_cluster "$DATA_DIR" "$PORT"
    rm -rf "$WORK_DIR"
    mkdir -p "$WORK_DIR"

    prepare_template
    run_scenario killed_postmaster "kill -9 of the postmaster"
    run_scenario killed_server "kill -9 of every server process"
    run_scenario terminated_backend pg_terminate_backend
    finish_checks crash_backfill.sh
}

main "$@"
