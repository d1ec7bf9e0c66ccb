#!/usr/bin/env bash
# Removes org_rls from a migrated and protected example database. First
# checks that DROP EXTENSION without CASCADE fails and names every object
# that depends on the extension. Then runs the removal in sql/uninstall.sql
# and checks that every assistant and every row of application data stays.
# The legacy application, hybrid_search and the widget RPCs must work as
# before the migration. In a second database, records what DROP EXTENSION
# org_rls CASCADE removes and what it leaves.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

DATA_DIR=/var/tmp/org_rls_it_uninstall
PORT=54342
ASSISTANTS=20
WORK_DIR=$DATA_DIR.files

cleanup() {
    stop_and_clean "$1" "$DATA_DIR" "$WORK_DIR"
}

# Prints how many assistants app_user sees in the view tenants as the
# fixture's user 2 with app.current_tenant set to assistant 1. The
# application's policy tenants_select shows the current assistant and every
# assistant the user is a member of. User 2 is a member of assistants 1 and
# 2, which belong to different organizations.
member_assistants_visible() {
    sql "$PORT" "$1" -A -t <<'SQL'
BEGIN;
SET LOCAL ROLE app_user;
SELECT set_config('app.current_tenant', md5('fixture-tenant-1'), true),
       set_config('app.current_user_id', md5('fixture-user-2'), true) \g /dev/null
SELECT count(*) FROM public.tenants;
COMMIT;
SQL
}

# Prints the number of policies named org_rls_isolation or org_rls_access.
org_rls_policies() {
    sql_value "$PORT" "$1" \
        "SELECT count(*) FROM pg_policies WHERE policyname IN ('org_rls_isolation', 'org_rls_access')"
}

# Prints 1 when schema org_rls exists, else 0.
schema_count() {
    sql_value "$PORT" "$1" "SELECT count(*) FROM pg_namespace WHERE nspname = 'org_rls'"
}

# Prints the default expression and NOT NULL flag of assistants.organization_id.
organization_column() {
    sql_value "$PORT" "$1" "
        SELECT concat_ws(' ', 'default:', coalesce(pg_get_expr(d.adbin, d.adrelid), 'none'),
                         'not null:', a.attnotnull)
          FROM pg_attribute a
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = 'public.assistants'::regclass AND a.attname = 'organization_id'"
}

# Prints the foreign keys of assistants as "name -> referenced table".
assistant_foreign_keys() {
    sql_value "$PORT" "$1" "
        SELECT coalesce(string_agg(format('%s -> %s', conname, confrelid::regclass), ', '), 'none')
          FROM pg_constraint WHERE conrelid = 'public.assistants'::regclass AND contype = 'f'"
}

# Prints the row security flag of each application table.
row_security() {
    sql_value "$PORT" "$1" "
        SELECT string_agg(format('%s=%s', relname, relrowsecurity), ' ' ORDER BY relname)
          FROM pg_class
         WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
           AND relname IN ('assistants', 'tenant_members', 'documents', 'knowledge',
                           'conversations', 'messages', 'events')"
}

# Loads, captures and migrates database $1 and records its checksums,
# row security flags and the access of a member of two assistants.
prepare() {
    local database=$1
    load_example "$PORT" "$database" "$ASSISTANTS"
    capture "$PORT" "$database" before
    migrate_example "$PORT" "$database"
    table_checksums "$PORT" "$database" >"$WORK_DIR/$database.before"
    row_security "$database" >"$WORK_DIR/$database.row_security"
    check_equal "$database: org_rls policies after the migration" "$(org_rls_policies "$database")" 7
    check_equal "$database: assistants a member of two sees with org_rls" \
        "$(member_assistants_visible "$database")" 1
}

# Checks what must hold after org_rls is gone from database $1, whichever
# way it was removed. The extension's objects and policies are gone. The
# data, the application's policies and row security are as before, and the
# legacy application sees what it saw before the migration.
check_removed() {
    local database=$1 view_insert_sqlstate=$2 first_check
    check_equal "$database: org_rls installed" \
        "$(sql_value "$PORT" "$database" "SELECT count(*) FROM pg_extension WHERE extname = 'org_rls'")" 0
    check_equal "$database: relations, functions and types left in schema org_rls" \
        "$(sql_value "$PORT" "$database" "
            SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'org_rls')
                 + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname = 'org_rls')
                 + (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                     WHERE n.nspname = 'org_rls')")" 0
    check_equal "$database: org_rls policies" "$(org_rls_policies "$database")" 0
    check_equal "$database: row security of the application tables" \
        "$(row_security "$database")" "$(cat "$WORK_DIR/$database.row_security")"
    table_checksums "$PORT" "$database" >"$WORK_DIR/$database.after"
    if diff "$WORK_DIR/$database.before" "$WORK_DIR/$database.after"; then
        pass "$database: row counts and checksums of the application tables unchanged"
        sed 's/^/    /' "$WORK_DIR/$database.after"
    else
        fail "$database: row counts or checksums changed (< before, > after)"
    fi
    check_equal "$database: assistants without an organization_id" \
        "$(sql_value "$PORT" "$database" 'SELECT count(*) FROM public.assistants WHERE organization_id IS NULL')" 0

    first_check=$(last_demo_check "$PORT" "$database")
    capture "$PORT" "$database" removed
    sql "$PORT" "$database" -v before_label=before -v after_label=removed -f "$IT_SQL/compare_labels.sql"
    sql "$PORT" "$database" -v view_insert_sqlstate="$view_insert_sqlstate" -f "$IT_SQL/widget_rpcs.sql"
    count_failed_demo_checks "$PORT" "$database" "$first_check"
}

drop_without_cascade() {
    local database=$1 status=0 message
    section "DROP EXTENSION org_rls without CASCADE"
    sql "$PORT" "$database" -c '\set VERBOSITY verbose' -c 'DROP EXTENSION org_rls' \
        2>"$WORK_DIR/drop.log" || status=$?
    message=$(cat "$WORK_DIR/drop.log")
    echo "DROP EXTENSION org_rls printed:"
    sed 's/^/    /' "$WORK_DIR/drop.log"
    check_equal "DROP EXTENSION without CASCADE fails (psql exit status)" "$status" 1
    check_contains "its error has SQLSTATE 2BP01" "$message" \
        'ERROR:  2BP01: cannot drop extension org_rls because other objects depend on it'
    check_contains "its error names the foreign key" "$message" \
        'constraint assistants_organization_id_fkey on table assistants depends on table org_rls.organizations'
    check_contains "its error names the column default" "$message" \
        'default value for column organization_id of table assistants depends on function org_rls.organization_id()'
    check_contains "its error names the policy on assistants" "$message" \
        'policy org_rls_isolation on table assistants depends on function org_rls.organization_id()'
    local table
    for table in tenant_members documents knowledge conversations messages events; do
        check_contains "its error names the policy on $table" "$message" \
            "policy org_rls_isolation on table $table depends on function org_rls.in_organization(uuid)"
    done
    check_equal "org_rls still installed after the failed DROP" \
        "$(sql_value "$PORT" "$database" "SELECT count(*) FROM pg_extension WHERE extname = 'org_rls'")" 1
}

uninstall_in_order() {
    local database=app
    section "Database $database: removal in the documented order"
    prepare "$database"
    drop_without_cascade "$database"

    section "Database $database: sql/uninstall.sql"
    sql "$PORT" "$database" -f "$IT_SQL/uninstall.sql" >/dev/null
    check_removed "$database" 00000
    check_equal "$database: schema org_rls" "$(schema_count "$database")" 0
    check_equal "$database: organizations kept in public.organizations" \
        "$(sql_value "$PORT" "$database" 'SELECT count(*) FROM public.organizations')" "$ASSISTANTS"
    check_equal "$database: foreign keys of assistants" "$(assistant_foreign_keys "$database")" \
        "assistants_organization_id_fkey -> organizations"
    check_equal "$database: organization_id column" "$(organization_column "$database")" \
        "default: none not null: f"
    check_equal "$database: database settings left" "$(sql_value "$PORT" "$database" "
        SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
         WHERE d.datname = current_database()")" 0
    # Removing org_rls gives back the access that the application's own
    # policies grant, whichever way it is removed.
    check_equal "$database: assistants a member of two sees without org_rls" \
        "$(member_assistants_visible "$database")" 2
}

drop_with_cascade() {
    local database=app_cascade status=0
    section "Database $database: DROP EXTENSION org_rls CASCADE"
    prepare "$database"
    check_equal "$database: organization_id column before" "$(organization_column "$database")" \
        "default: org_rls.organization_id() not null: t"

    sql "$PORT" "$database" -c 'DROP EXTENSION org_rls CASCADE' 2>"$WORK_DIR/cascade.log" || status=$?
    echo "DROP EXTENSION org_rls CASCADE printed:"
    sed 's/^/    /' "$WORK_DIR/cascade.log"
    check_equal "DROP EXTENSION org_rls CASCADE (psql exit status)" "$status" 0
    check_contains "CASCADE drops 14 objects" "$(cat "$WORK_DIR/cascade.log")" \
        'NOTICE:  drop cascades to 14 other objects'
    check_contains "CASCADE drops the foreign key" "$(cat "$WORK_DIR/cascade.log")" \
        'drop cascades to constraint assistants_organization_id_fkey on table assistants'
    check_contains "CASCADE drops the column default" "$(cat "$WORK_DIR/cascade.log")" \
        'drop cascades to default value for column organization_id of table assistants'
    check_equal "CASCADE drops the org_rls_isolation policies" \
        "$(grep -c 'drop cascades to policy org_rls_isolation on table ' "$WORK_DIR/cascade.log" || true)" 7

    check_removed "$database" 23502
    # CREATE EXTENSION created the schema named in the control file, but
    # the schema is not a member of the extension, so it stays, empty.
    check_equal "$database: schema org_rls left" "$(schema_count "$database")" 1
    check_equal "$database: foreign keys of assistants" "$(assistant_foreign_keys "$database")" none
    # The NOT NULL constraint that finalize_assistants set stays, so an
    # insert through the view tenants, which cannot set organization_id,
    # fails (see the SQLSTATE 23502 check above).
    check_equal "$database: organization_id column" "$(organization_column "$database")" \
        "default: none not null: t"
    check_equal "$database: distinct organization_id values left, referencing nothing" \
        "$(sql_value "$PORT" "$database" 'SELECT count(DISTINCT organization_id) FROM public.assistants')" \
        "$ASSISTANTS"
    check_equal "$database: assistants a member of two sees without org_rls" \
        "$(member_assistants_visible "$database")" 2
}

main() {
    install_extension_quietly
    trap 'cleanup $?' EXIT
    start_cluster "$DATA_DIR" "$PORT"
    rm -rf "$WORK_DIR"
    mkdir -p "$WORK_DIR"

    uninstall_in_order
    drop_with_cascade
    finish_checks uninstall.sh
}

main "$@"
