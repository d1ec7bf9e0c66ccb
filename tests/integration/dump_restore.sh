#!/usr/bin/env bash
# Dumps a migrated and protected example database with pg_dump (custom and
# plain format, with and without --create) and restores each dump into an
# empty database of a second cluster. Checks that the restored database has
# the same organizations, organization_id values, validated foreign key,
# policies, compatibility view, bookkeeping rows and application rows as the
# source, and that the legacy application sees the same rows. Also records
# which roles can dump a protected database.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

SOURCE_DIR=/var/tmp/org_rls_it_dump_source
SOURCE_PORT=54340
TARGET_DIR=/var/tmp/org_rls_it_dump_target
TARGET_PORT=54341
DUMP_DIR=/var/tmp/org_rls_it_dump_files
SOURCE_DB=app
ASSISTANTS=20
# Sections of sql/describe_migration.sql that must equal the source's.
SECTIONS="extension organizations assistant_organizations foreign_key organization_id_column
          policies row_security compatibility_view assistants_table compatibility_views protected_tables"
EXPECTED_SETTING=org_rls.legacy_tenant_setting=app.current_tenant

cleanup() {
    stop_and_clean "$1" "$SOURCE_DIR" "$TARGET_DIR" "$DUMP_DIR"
}

# Prints the database-level settings of database $2 (pg_db_role_setting).
database_settings() {
    sql_value "$1" "$2" "
        SELECT coalesce(array_to_string(s.setconfig, ','), '')
          FROM pg_database d
          LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0
         WHERE d.datname = current_database()"
}

# Prints how many documents app_user sees with app.current_tenant set to the
# first fixture assistant, in a new session of database $2.
legacy_documents_visible() {
    sql "$1" "$2" -A -t <<'SQL'
BEGIN;
SET LOCAL ROLE app_user;
SELECT set_config('app.current_tenant', md5('fixture-tenant-1'), true) \g /dev/null
SELECT count(*) FROM public.documents;
COMMIT;
SQL
}

# Prints the number of rows of table $2 in the custom-format dump $1.
dumped_rows() {
    pg_restore -f - --data-only -t "$2" "$1" | awk '/^COPY /{copying = 1; next} /^\\\.$/{copying = 0} copying{rows++} END{print rows + 0}'
}

# Compares sql/describe_migration.sql and sql/checksums.sql of restored
# database $1 with the source's, section by section.
compare_with_source() {
    local database=$1 label=$2 section source_lines restored_lines
    sql "$TARGET_PORT" "$database" -f "$IT_SQL/describe_migration.sql" >"$DUMP_DIR/$label.describe"
    for section in $SECTIONS; do
        source_lines=$(grep "^$section|" "$DUMP_DIR/source.describe" || true)
        restored_lines=$(grep "^$section|" "$DUMP_DIR/$label.describe" || true)
        if [ -z "$source_lines" ]; then
            fail "$label: source has no $section to compare"
        elif [ "$source_lines" = "$restored_lines" ]; then
            pass "$label: $section equal to the source ($(wc -l <<<"$source_lines") rows)"
        else
            fail "$label: $section differs from the source (< source, > restored):"
            diff <(echo "$source_lines") <(echo "$restored_lines") | head -n 20 || true
        fi
    done
    check_equal "$label: foreign key to org_rls.organizations validated" "$(sql_value "$TARGET_PORT" "$database" "
        SELECT string_agg(convalidated::text, ',') FROM pg_constraint
         WHERE conrelid = 'public.assistants'::regclass AND confrelid = 'org_rls.organizations'::regclass")" true
    # 28 is the bit mask of pg_relation_is_updatable for UPDATE, INSERT and DELETE.
    check_equal "$label: view tenants (kind, options, updatable)" "$(sql_value "$TARGET_PORT" "$database" "
        SELECT concat_ws(' ', relkind, reloptions, pg_relation_is_updatable(oid, false))
          FROM pg_class WHERE oid = 'public.tenants'::regclass")" "v {security_invoker=true} 28"
    table_checksums "$TARGET_PORT" "$database" >"$DUMP_DIR/$label.checksums"
    if diff "$DUMP_DIR/source.checksums" "$DUMP_DIR/$label.checksums"; then
        pass "$label: row counts and checksums of the application tables equal the source"
    else
        fail "$label: row counts or checksums of application tables differ (< source, > restored)"
    fi
}

# Captures what the legacy application sees in restored database $1 and
# runs the demo's comparison, compatibility and isolation checks there,
# plus a comparison with the source's capture after the migration, which
# the dump carried as label "after" and which is renamed to "dumped".
check_application() {
    local database=$1 first_check
    sql "$TARGET_PORT" "$database" -c "
        UPDATE demo.captures SET label = 'dumped' WHERE label = 'after';
        UPDATE demo.capture_runs SET label = 'dumped' WHERE label = 'after';
        UPDATE demo.policy_snapshots SET label = 'dumped' WHERE label = 'after';"
    first_check=$(last_demo_check "$TARGET_PORT" "$database")
    capture "$TARGET_PORT" "$database" after
    sql "$TARGET_PORT" "$database" -f "$DEMO_SQL/compare.sql"
    sql "$TARGET_PORT" "$database" -v before_label=dumped -v after_label=after -f "$IT_SQL/compare_labels.sql"
    sql "$TARGET_PORT" "$database" -f "$DEMO_SQL/compatibility.sql" | sed '/^org_rls.status():$/,$d'
    sql "$TARGET_PORT" "$database" -f "$DEMO_SQL/isolation.sql" 2>&1
    count_failed_demo_checks "$TARGET_PORT" "$database" "$first_check"
}

# Checks a restored database. $3 is "kept" when the restore used --create,
# which restores ALTER DATABASE ... SET, and "lost" otherwise. Without the
# setting, app_user must see no rows; then the test sets it again.
check_restored() {
    local database=$1 label=$2 setting=$3
    section "Restored: $label (database $database)"
    compare_with_source "$database" "$label"

    if [ "$setting" = kept ]; then
        check_equal "$label: database setting restored" "$(database_settings "$TARGET_PORT" "$database")" \
            "$EXPECTED_SETTING"
    else
        check_equal "$label: database setting not restored without --create" \
            "$(database_settings "$TARGET_PORT" "$database")" ""
        check_equal "$label: documents app_user sees by app.current_tenant without the setting" \
            "$(legacy_documents_visible "$TARGET_PORT" "$database")" 0
        sql "$TARGET_PORT" "$database" \
            -c "ALTER DATABASE $database SET org_rls.legacy_tenant_setting = 'app.current_tenant'"
    fi
    check_equal "$label: documents app_user sees by app.current_tenant" \
        "$(legacy_documents_visible "$TARGET_PORT" "$database")" 20
    check_application "$database"
}

# Runs a restore command and checks that it succeeded without any message.
restore_quietly() {
    local label=$1 status=0
    shift
    "$@" >/dev/null 2>"$DUMP_DIR/$label.restore.log" || status=$?
    if [ "$status" -eq 0 ] && [ ! -s "$DUMP_DIR/$label.restore.log" ]; then
        pass "$label: restore finished without errors or warnings"
    else
        fail "$label: restore exited with status $status:"
        head -n 20 "$DUMP_DIR/$label.restore.log"
    fi
}

prepare_source() {
    section "Source: example database with $ASSISTANTS assistants, migrated and protected"
    load_example "$SOURCE_PORT" "$SOURCE_DB" "$ASSISTANTS"
    capture "$SOURCE_PORT" "$SOURCE_DB" before
    migrate_example "$SOURCE_PORT" "$SOURCE_DB"
    capture "$SOURCE_PORT" "$SOURCE_DB" after
    local first_check
    first_check=$(last_demo_check "$SOURCE_PORT" "$SOURCE_DB")
    sql "$SOURCE_PORT" "$SOURCE_DB" -f "$DEMO_SQL/compare.sql"
    count_failed_demo_checks "$SOURCE_PORT" "$SOURCE_DB" "$first_check"
    check_equal "source: database setting" "$(database_settings "$SOURCE_PORT" "$SOURCE_DB")" "$EXPECTED_SETTING"

    # Two login roles that own nothing and may read every table. Only the
    # second may bypass row-level security.
    sql "$SOURCE_PORT" "$SOURCE_DB" <<'SQL'
CREATE ROLE dump_reader LOGIN;
CREATE ROLE dump_bypassrls LOGIN BYPASSRLS;
GRANT USAGE ON SCHEMA demo TO dump_reader, dump_bypassrls;
GRANT SELECT ON ALL TABLES IN SCHEMA public, demo, org_rls TO dump_reader, dump_bypassrls;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA public, demo, org_rls TO dump_reader, dump_bypassrls;
SQL
    sql "$SOURCE_PORT" "$SOURCE_DB" -f "$IT_SQL/describe_migration.sql" >"$DUMP_DIR/source.describe"
    table_checksums "$SOURCE_PORT" "$SOURCE_DB" >"$DUMP_DIR/source.checksums"
}

dump_source() {
    section "pg_dump as the superuser postgres"
    pg_dump -p "$SOURCE_PORT" -d "$SOURCE_DB" -Fc -f "$DUMP_DIR/app.dump"
    pg_dump -p "$SOURCE_PORT" -d "$SOURCE_DB" -Fp -f "$DUMP_DIR/app.sql"
    pg_dump -p "$SOURCE_PORT" -d "$SOURCE_DB" -Fp --create -f "$DUMP_DIR/app_create.sql"
    pass "custom, plain and plain --create dumps written"
    check_equal "ALTER DATABASE ... SET lines in the plain dump without --create" \
        "$(grep -c '^ALTER DATABASE' "$DUMP_DIR/app.sql" || true)" 0
    check_contains "plain dump with --create sets the legacy tenant setting" \
        "$(cat "$DUMP_DIR/app_create.sql")" \
        "ALTER DATABASE $SOURCE_DB SET \"org_rls.legacy_tenant_setting\" TO 'app.current_tenant';"
}

# Roles are cluster-wide, so pg_dump does not write them. The target gets
# them from pg_dumpall --roles-only, less the role postgres that initdb made.
copy_roles() {
    pg_dumpall -p "$SOURCE_PORT" --roles-only --no-role-passwords \
        | grep -v '^CREATE ROLE postgres;$' \
        | sql "$TARGET_PORT" postgres >/dev/null
}

restore_dumps() {
    copy_roles

    sql "$TARGET_PORT" postgres -c 'CREATE DATABASE restored_custom'
    restore_quietly "custom format" pg_restore -p "$TARGET_PORT" -d restored_custom "$DUMP_DIR/app.dump"
    check_restored restored_custom "custom format" lost

    sql "$TARGET_PORT" postgres -c 'CREATE DATABASE restored_plain'
    restore_quietly "plain format" sql "$TARGET_PORT" restored_plain -f "$DUMP_DIR/app.sql"
    check_restored restored_plain "plain format" lost

    # --create makes a database named like the source, so the two --create
    # restores take turns.
    restore_quietly "custom format --create" pg_restore -p "$TARGET_PORT" --create -d postgres "$DUMP_DIR/app.dump"
    check_restored "$SOURCE_DB" "custom format --create" kept
    sql "$TARGET_PORT" postgres -c "DROP DATABASE $SOURCE_DB"

    restore_quietly "plain format --create" sql "$TARGET_PORT" postgres -f "$DUMP_DIR/app_create.sql"
    check_restored "$SOURCE_DB" "plain format --create" kept
}

# pg_dump runs with row_security = off and fails on a table whose policies
# would filter the rows, rather than write an incomplete dump.
dump_as_other_roles() {
    section "pg_dump as roles that are not superusers"
    local status=0 message
    pg_dump -p "$SOURCE_PORT" -U dump_reader -d "$SOURCE_DB" -Fc -f "$DUMP_DIR/reader.dump" \
        2>"$DUMP_DIR/reader.log" || status=$?
    message=$(cat "$DUMP_DIR/reader.log")
    echo "pg_dump as dump_reader (exit status $status) printed:"
    sed 's/^/    /' "$DUMP_DIR/reader.log"
    check_equal "pg_dump as a role without BYPASSRLS fails (exit status)" "$status" 1
    check_contains "its error names row-level security on org_rls.organizations" "$message" \
        'ERROR:  query would be affected by row-level security policy for table "organizations"'

    # --enable-row-security makes pg_dump succeed with the rows the role's
    # policies show: without an organization context, none.
    pg_dump -p "$SOURCE_PORT" -U dump_reader -d "$SOURCE_DB" --enable-row-security -Fc \
        -f "$DUMP_DIR/reader_rls.dump"
    check_equal "pg_dump --enable-row-security as dump_reader: organization rows in the dump" \
        "$(dumped_rows "$DUMP_DIR/reader_rls.dump" organizations)" 0
    check_equal "pg_dump --enable-row-security as dump_reader: assistant rows in the dump" \
        "$(dumped_rows "$DUMP_DIR/reader_rls.dump" assistants)" 0
    check_equal "pg_dump as postgres: assistant rows in the dump" \
        "$(dumped_rows "$DUMP_DIR/app.dump" assistants)" "$ASSISTANTS"

    status=0
    pg_dump -p "$SOURCE_PORT" -U dump_bypassrls -d "$SOURCE_DB" -Fc -f "$DUMP_DIR/bypassrls.dump" \
        2>"$DUMP_DIR/bypassrls.log" || status=$?
    check_equal "pg_dump as a role with BYPASSRLS (exit status)" "$status" 0
    sql "$TARGET_PORT" postgres -c 'CREATE DATABASE restored_bypassrls'
    restore_quietly "dump by BYPASSRLS role" pg_restore -p "$TARGET_PORT" -d restored_bypassrls \
        "$DUMP_DIR/bypassrls.dump"
    compare_with_source restored_bypassrls "dump by BYPASSRLS role"
}

main() {
    install_extension_quietly
    trap 'cleanup $?' EXIT
    start_cluster "$SOURCE_DIR" "$SOURCE_PORT"
    start_cluster "$TARGET_DIR" "$TARGET_PORT"
    rm -rf "$DUMP_DIR"
    mkdir -p "$DUMP_DIR"

    prepare_source
    dump_source
    restore_dumps
    dump_as_other_roles
    finish_checks dump_restore.sh
}

main "$@"
