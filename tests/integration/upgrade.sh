#!/usr/bin/env bash
# Upgrades from every released version to the current one and checks that
# 1. the upgraded extension has exactly the schema of a fresh install (so a
#    change to the generated schema without an upgrade script fails here);
# 2. data migrated with 0.1.0 survives ALTER EXTENSION UPDATE, and the legacy
#    application sees the same rows;
# 3. the whole pg_regress suite passes on extensions built by upgrading.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

DATA_DIR=/var/tmp/org_rls_it_upgrade
PORT=54338
EXTENSION_DIR=$("$PG_CONFIG" --sharedir)/extension
CURRENT=$(sed -n 's/^version = "\(.*\)"/\1/p' "$PROJECT_DIR/Cargo.toml" | head -n 1)
DESCRIBE=$PROJECT_DIR/tests/upgrade/describe_extension.sql

cleanup() {
    local status=$?
    # Put the current version's install script back if step 3 moved it.
    if [ -f "$DATA_DIR.hidden.sql" ]; then
        mv "$DATA_DIR.hidden.sql" "$EXTENSION_DIR/org_rls--$CURRENT.sql"
    fi
    stop_and_clean "$status" "$DATA_DIR"
}

install_extension_quietly
trap cleanup EXIT
start_cluster "$DATA_DIR" "$PORT"

# 1. Every released version, updated, describes like a fresh install.
sql "$PORT" postgres -c 'CREATE DATABASE fresh'
sql "$PORT" fresh -c 'CREATE EXTENSION org_rls'
sql "$PORT" fresh -f "$DESCRIBE" > "$DATA_DIR/fresh.txt"
for script in "$PROJECT_DIR"/sql/releases/org_rls--*.sql; do
    released=$(basename "$script" .sql)
    released=${released#org_rls--}
    sql "$PORT" postgres -c "CREATE DATABASE upgraded_${released//./_}"
    sql "$PORT" "upgraded_${released//./_}" -c "CREATE EXTENSION org_rls VERSION '$released'" \
        -c 'ALTER EXTENSION org_rls UPDATE'
    sql "$PORT" "upgraded_${released//./_}" -f "$DESCRIBE" > "$DATA_DIR/upgraded.txt"
    if diff -u "$DATA_DIR/fresh.txt" "$DATA_DIR/upgraded.txt" > "$DATA_DIR/schema.diff"; then
        pass "schema of $released updated to $CURRENT equals a fresh install"
    else
        echo "The generated schema differs from $released plus the upgrade scripts (- fresh, + upgraded):"
        cat "$DATA_DIR/schema.diff"
        fail "schema of $released updated to $CURRENT equals a fresh install"
    fi
done

# 2. Data migrated with 0.1.0 keeps working after the update.
sql "$PORT" postgres -c 'CREATE DATABASE demo'
sql "$PORT" demo -c "CREATE EXTENSION org_rls VERSION '0.1.0'"
sql "$PORT" demo -f "$PROJECT_DIR/examples/rag_saas.sql" >/dev/null
sql "$PORT" demo -At -c 'SELECT count(*) FROM public.fixture_generate(12, 3, 2, 4, 3, 5)' >/dev/null
sql "$PORT" demo -c 'ANALYZE'
sql "$PORT" demo -f "$PROJECT_DIR/examples/demo/helpers.sql" >/dev/null
sql "$PORT" demo -v label=before -f "$PROJECT_DIR/examples/demo/capture.sql" >/dev/null
sql "$PORT" demo <<'SQL' >/dev/null
SELECT org_rls.rename_tenants();
SELECT org_rls.attach_assistants();
SELECT org_rls.backfill_batch(1000);
SELECT org_rls.finalize_assistants();
SELECT org_rls.protect(t) FROM unnest('{tenant_members, documents, knowledge, conversations,
    messages, events, assistants}'::regclass[]) AS t;
ALTER DATABASE demo SET org_rls.legacy_tenant_setting = 'app.current_tenant';
SQL
organizations_before=$(sql "$PORT" demo -At -c "SELECT count(*), md5(string_agg(id::text || ':' || name, ',' ORDER BY id)) FROM org_rls.organizations")
sql "$PORT" demo -c 'ALTER EXTENSION org_rls UPDATE'
version=$(sql "$PORT" demo -At -c "SELECT extversion FROM pg_extension WHERE extname = 'org_rls'")
check_equal "version after ALTER EXTENSION UPDATE" "$version" "$CURRENT"
organizations_after=$(sql "$PORT" demo -At -c "SELECT count(*), md5(string_agg(id::text || ':' || name, ',' ORDER BY id)) FROM org_rls.organizations")
check_equal "organizations (count, checksum) after the update" "$organizations_after" "$organizations_before"
sql "$PORT" demo -v label=after -f "$PROJECT_DIR/examples/demo/capture.sql" >/dev/null
sql "$PORT" demo -f "$PROJECT_DIR/examples/demo/compare.sql" | grep -E '^(ok|FAILED)' || true
differing=$(sql "$PORT" demo -At -c 'SELECT count(*) FROM demo.checks WHERE NOT passed')
check_equal "failed comparisons of the legacy results after migrating with 0.1.0 and updating" "$differing" 0

# 3. The pg_regress suite on extensions built by upgrading: without the
# current install script, CREATE EXTENSION runs 0.1.0 and the update scripts.
mv "$EXTENSION_DIR/org_rls--$CURRENT.sql" "$DATA_DIR.hidden.sql"
suite=$PROJECT_DIR/tests/pg_regress
output=$DATA_DIR/regress
mkdir -p "$output"
if (cd "$PROJECT_DIR" && /usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress \
        --host=127.0.0.1 --port="$PORT" --user=postgres --dbname=org_rls_upgraded_regression \
        --inputdir="$suite" --outputdir="$output" --bindir="$PG_BIN" \
        --schedule="$suite/schedule") > "$output/log" 2>&1; then
    pass "pg_regress suite on the upgraded extension"
else
    cat "$output/log"
    head -n 100 "$output/regression.diffs" 2>/dev/null || true
    fail "pg_regress suite on the upgraded extension"
fi
mv "$DATA_DIR.hidden.sql" "$EXTENSION_DIR/org_rls--$CURRENT.sql"

finish_checks upgrade
