# Shared by the integration tests in this directory: sourced, not run.
# Every test starts its own clusters on 127.0.0.1 (ports 54340-54349, data
# directories /var/tmp/org_rls_it_*), prints one "ok ..." or "FAILED ..."
# line per check and exits with status 1 when a check failed.

source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

IT_SQL=$PROJECT_DIR/tests/integration/sql
DEMO_SQL=$PROJECT_DIR/examples/demo
export PGHOST=127.0.0.1 PGUSER=postgres
unset PGPORT PGDATABASE
failures=0

pass() {
    echo "ok $*"
}

fail() {
    echo "FAILED $*"
    failures=$((failures + 1))
}

# Passes when $2 (actual) equals $3 (expected). $1 describes the check.
check_equal() {
    local description=$1 actual=$2 expected=$3
    if [ "$actual" = "$expected" ]; then
        pass "$description: $actual"
    else
        fail "$description: expected $expected, got $actual"
    fi
}

# Passes when the text $2 contains the fixed string $3.
check_contains() {
    local description=$1 text=$2 expected=$3
    if grep -qF -- "$expected" <<<"$text"; then
        pass "$description"
    else
        fail "$description: \"$expected\" not found in: $text"
    fi
}

# Prints a section header.
section() {
    printf '\n== %s\n' "$*"
}

# Runs psql on port $1 and database $2 with the further arguments, stopping
# at the first error.
sql() {
    local port=$1 database=$2
    shift 2
    psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d "$database" "$@"
}

# Prints the result of one query, unaligned and without headers.
sql_value() {
    local port=$1 database=$2 query=$3
    psql -X -q -A -t -v ON_ERROR_STOP=1 -p "$port" -d "$database" -c "$query"
}

# Creates database $2 on port $1 with the example schema, $3 assistants of
# generated data and the demo's capture helpers (schema demo).
load_example() {
    local port=$1 database=$2 assistants=$3
    sql "$port" postgres -c "CREATE DATABASE $database"
    sql "$port" "$database" -f "$PROJECT_DIR/examples/rag_saas.sql"
    sql "$port" "$database" -A -t -c \
        "SELECT sum(row_count) FROM public.fixture_generate($assistants, 20, 10, 20, 8, 50)" >/dev/null
    sql "$port" "$database" -c 'ANALYZE'
    sql "$port" "$database" -f "$DEMO_SQL/helpers.sql"
}

# Runs the migration of the README on database $2: rename, attach,
# backfill, finalize, the legacy tenant setting, and protect on every
# tenant table and the assistants table. The batch size is the demo's,
# because examples/demo/compatibility.sql counts batches of 50.
migrate_example() {
    local port=$1 database=$2
    sql "$port" "$database" -f "$IT_SQL/migrate_start.sql" >/dev/null
    sql "$port" "$database" -c 'SET client_min_messages = warning' -c 'CALL org_rls.backfill(50)'
    sql "$port" "$database" -f "$IT_SQL/migrate_finish.sql" >/dev/null
}

# Records what the legacy application sees under label $3, with the demo's
# capture (every capture query for every assistant, and the policies).
capture() {
    local port=$1 database=$2 label=$3
    sql "$port" "$database" -v label="$label" -f "$DEMO_SQL/capture.sql" >/dev/null
}

# Prints the position of the last row of demo.checks, so that
# count_failed_demo_checks can count only the checks made after it.
last_demo_check() {
    sql_value "$1" "$2" 'SELECT coalesce(max(position), 0) FROM demo.checks'
}

# Adds the checks of demo.checks after position $3 that failed to the
# failures. The SQL files print their own ok/FAILED lines.
count_failed_demo_checks() {
    local port=$1 database=$2 after=$3 failed
    failed=$(sql_value "$port" "$database" \
        "SELECT count(*) FROM demo.checks WHERE position > $after AND NOT passed")
    failures=$((failures + failed))
}

# Prints a row count and checksum per application table (sql/checksums.sql).
table_checksums() {
    sql "$1" "$2" -f "$IT_SQL/checksums.sql"
}

# Ends the test: prints the number of failed checks and returns non-zero
# when there were any.
finish_checks() {
    local name=$1
    if [ "$failures" -eq 0 ]; then
        echo "$name: all checks passed in $SECONDS s"
        return 0
    fi
    echo "$name: $failures checks failed ($SECONDS s)"
    return 1
}

# Builds and installs the current source, printing cargo's output only when
# the build fails.
install_extension_quietly() {
    local log
    log=$(mktemp)
    if ! install_extension >"$log" 2>&1; then
        cat "$log"
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}

# Stops the clusters among the given directories. Removes all of them when
# $1, the exit status of the test, is 0, and keeps them for inspection
# otherwise.
stop_and_clean() {
    local status=$1 directory
    shift
    for directory in "$@"; do
        stop_cluster "$directory"
    done
    if [ "$status" -eq 0 ]; then
        rm -rf "$@"
    else
        echo "kept for inspection: $*"
    fi
}
