#!/usr/bin/env bash
# Upgrades from every released version to the current one and checks that
# 1. the upgraded extension has exactly the schema of a fresh install (so a
#    change to the generated schema without an upgrade script fails here);
# 2. data migrated with 0.1.0 survives ALTER EXTENSION UPDATE, and the legacy
#    application sees the same rows;
# 3. the whole pg_regress suite passes on extensions built by upgrading.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

DATA_DIR=/var/tmp/org_rls_it_upgrade
PORT=54338
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres
EXTENSION_DIR=$("$PG_CONFIG" --sharedir)/extension
CURRENT=$(sed -n 's/^version = "\(.*\)"/\1/p' "$PROJECT_DIR/Cargo.toml" | head -n 1)
DESCRIBE=$PROJECT_DIR/tests/upgrade/describe_extension.sql
failures=0

check() {
    local name=$1 result=$2
    if [ "$result" = ok ]; then echo "ok      $name"; else echo "FAILED  $name"; failures=$((failures + 1)); fi
}

sql() {
    psql -X -q -v ON_ERROR_STOP=1 "$@"
}

cleanup() {
    # Put the current version's install script back if step 3 moved it.
    if [ -f "$DATA_DIR.hidden.sql" ]; then
        mv "$DATA_DIR.hidden.sql" "$EXTENSION_DIR/org_rls--$CURRENT.sql"
    fi
    stop_cluster "$DATA_DIR"
}

install_extension
trap cleanup EXIT
start_cluster "$DATA_DIR" "$PORT"

# 1. Every released version, updated, describes like a fresh install.
sql -d postgres -c 'CREATE DATABASE fresh'
sql -d fresh -c 'CREATE EXTENSION org_rls'
sql -d fresh -f "$DESCRIBE" > "$DATA_DIR/fresh.txt"
for script in "$PROJECT_DIR"/sql/releases/org_rls--*.sql; do
    released=$(basename "$script" .sql)
    released=${released#org_rls--}
    sql -d postgres -c "CREATE DATABASE upgraded_${released//./_}"
    sql -d "upgraded_${released//./_}" -c "CREATE EXTENSION org_rls VERSION '$released'" \
        -c 'ALTER EXTENSION org_rls UPDATE'
    sql -d "upgraded_${released//./_}" -f "$DESCRIBE" > "$DATA_DIR/upgraded.txt"
    if diff -u "$DATA_DIR/fresh.txt" "$DATA_DIR/upgraded.txt" > "$DATA_DIR/schema.diff"; then
        check "schema of $released updated to $CURRENT equals a fresh install" ok
    else
        echo "The generated schema differs from $released plus the upgrade scripts (- fresh, + upgraded):"
        cat "$DATA_DIR/schema.diff"
        check "schema of $released updated to $CURRENT equals a fresh install" failed
    fi
done

# 2. Data migrated with 0.1.0 keeps working after the update.
sql -d postgres -c 'CREATE DATABASE demo'
export PGDATABASE=demo
sql -c "CREATE EXTENSION org_rls VERSION '0.1.0'"
sql -f "$PROJECT_DIR/examples/rag_saas.sql" >/dev/null
sql -At -c 'SELECT count(*) FROM public.fixture_generate(12, 3, 2, 4, 3, 5)' >/dev/null
sql -c 'ANALYZE'
sql -f "$PROJECT_DIR/examples/demo/helpers.sql" >/dev/null
sql -v label=before -f "$PROJECT_DIR/examples/demo/capture.sql" >/dev/null
sql <<'SQL' >/dev/null
SELECT org_rls.rename_tenants();
SELECT org_rls.attach_assistants();
SELECT org_rls.backfill_batch(1000);
SELECT org_rls.finalize_assistants();
SELECT org_rls.protect(t) FROM unnest('{tenant_members, documents, knowledge, conversations,
    messages, events, assistants}'::regclass[]) AS t;
ALTER DATABASE demo SET org_rls.legacy_tenant_setting = 'app.current_tenant';
SQL
organizations_before=$(sql -At -c "SELECT count(*), md5(string_agg(id::text || ':' || name, ',' ORDER BY id)) FROM org_rls.organizations")
sql -c 'ALTER EXTENSION org_rls UPDATE'
version=$(sql -At -c "SELECT extversion FROM pg_extension WHERE extname = 'org_rls'")
[ "$version" = "$CURRENT" ] && check "ALTER EXTENSION UPDATE reaches $CURRENT" ok \
    || check "ALTER EXTENSION UPDATE reaches $CURRENT (got $version)" failed
organizations_after=$(sql -At -c "SELECT count(*), md5(string_agg(id::text || ':' || name, ',' ORDER BY id)) FROM org_rls.organizations")
[ "$organizations_before" = "$organizations_after" ] && check "organizations unchanged by the update" ok \
    || check "organizations unchanged by the update" failed
sql -v label=after -f "$PROJECT_DIR/examples/demo/capture.sql" >/dev/null
sql -f "$PROJECT_DIR/examples/demo/compare.sql" | grep -E '^(ok|FAILED)' || true
differing=$(sql -At -c 'SELECT count(*) FROM demo.checks WHERE NOT passed')
[ "$differing" = 0 ] && check "legacy results identical after migrating with 0.1.0 and updating" ok \
    || check "legacy results identical after migrating with 0.1.0 and updating ($differing checks failed)" failed
unset PGDATABASE

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
    check "pg_regress suite on the upgraded extension" ok
else
    cat "$output/log"
    head -n 100 "$output/regression.diffs" 2>/dev/null || true
    check "pg_regress suite on the upgraded extension" failed
fi
mv "$DATA_DIR.hidden.sql" "$EXTENSION_DIR/org_rls--$CURRENT.sql"

[ "$failures" -eq 0 ]
