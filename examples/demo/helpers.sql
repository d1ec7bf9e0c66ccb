-- Schema demo: what scripts/demo records and checks, kept apart from the
-- application's tables. Load it into the demo database before the migration.

CREATE SCHEMA demo;
-- The application roles call demo.sqlstate_of in the isolation checks.
GRANT USAGE ON SCHEMA demo TO app_user, app_widget;

-- What the legacy application runs, once per assistant. A statement returns
-- the columns sort_key and row_text; $1 is the assistant id and $2 its
-- widget key. Statements name the old table `tenants` on purpose.
CREATE TABLE demo.capture_queries (
    name        text    PRIMARY KEY,
    role_name   name    NOT NULL,
    sets_tenant boolean NOT NULL,
    statement   text    NOT NULL
);

INSERT INTO demo.capture_queries (name, role_name, sets_tenant, statement) VALUES
    ('hybrid_search', 'app_user', true,
     $q$SELECT h.ordinality AS sort_key, h::text AS row_text
          FROM public.hybrid_search($1, 'refund invoice', public.fixture_embedding(42, 16), 10)
               WITH ORDINALITY AS h$q$),
    -- The widget sets no tenant: the embed snippet contains only the public key.
    ('widget_search', 'app_widget', false,
     $q$SELECT w.ordinality AS sort_key, w::text AS row_text
          FROM public.widget_search($2, 'refund invoice', public.fixture_embedding(42, 16), 5)
               WITH ORDINALITY AS w$q$),
    ('tenants', 'app_user', true,
     $q$SELECT t.id AS sort_key, t::text AS row_text FROM public.tenants t$q$),
    ('tenant_members', 'app_user', true,
     $q$SELECT ROW(m.tenant_id, m.user_id) AS sort_key, m::text AS row_text
          FROM public.tenant_members m$q$),
    ('documents', 'app_user', true,
     $q$SELECT d.id AS sort_key, d::text AS row_text FROM public.documents d$q$),
    ('knowledge_ids', 'app_user', true,
     $q$SELECT k.id AS sort_key, k.id::text AS row_text FROM public.knowledge k$q$),
    ('conversations', 'app_user', true,
     $q$SELECT c.id AS sort_key, c::text AS row_text FROM public.conversations c$q$),
    ('messages', 'app_user', true,
     $q$SELECT m.id AS sort_key, m::text AS row_text FROM public.messages m$q$),
    ('events', 'app_user', true,
     $q$SELECT e.id AS sort_key, e::text AS row_text FROM public.events e$q$),
    ('recent_conversations', 'app_user', true,
     $q$SELECT r.conversation_id AS sort_key, r::text AS row_text
          FROM public.recent_conversations r$q$);

-- One cell per (run, assistant, query). rows_text contains the rows as
-- text, one per line in sort_key order, so that a difference can be shown.
-- row_hash is its md5, or the error text when the query failed (row_count
-- and rows_text are then NULL).
CREATE TABLE demo.captures (
    label        text             NOT NULL,
    assistant_id uuid             NOT NULL,
    query_name   text             NOT NULL,
    row_count    bigint,
    rows_text    text,
    row_hash     text             NOT NULL,
    ms           double precision NOT NULL,
    PRIMARY KEY (label, assistant_id, query_name)
);

CREATE TABLE demo.capture_runs (
    label       text             PRIMARY KEY,
    assistants  integer          NOT NULL,
    cells       integer          NOT NULL,
    ms          double precision NOT NULL,
    finished_at timestamptz      NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE demo.policy_snapshots (
    label       text   NOT NULL,
    table_name  name   NOT NULL,
    policy_name name   NOT NULL,
    permissive  text   NOT NULL,
    roles       name[] NOT NULL,
    cmd         text   NOT NULL,
    qual        text,
    with_check  text,
    PRIMARY KEY (label, table_name, policy_name)
);

CREATE TABLE demo.migration_steps (
    position integer          GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    step     text             NOT NULL,
    ms       double precision NOT NULL
);

-- Every check the demo made. A failed check does not stop the demo: the
-- report lists it and scripts/demo exits with status 1.
CREATE TABLE demo.checks (
    position    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    description text    NOT NULL,
    actual      text,
    expected    text,
    passed      boolean NOT NULL
);

-- Records whether actual equals expected and returns a line for the output.
CREATE FUNCTION demo.expect_equal(description text, actual anycompatible, expected anycompatible)
RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
    passed boolean := actual IS NOT DISTINCT FROM expected;
BEGIN
    INSERT INTO demo.checks (description, actual, expected, passed)
    VALUES (expect_equal.description, actual::text, expected::text, passed);
    IF passed THEN
        RETURN format('ok      %s: %s', description, actual);
    END IF;
    RETURN format('FAILED  %s: expected %s, got %s', description,
                  coalesce(expected::text, 'NULL'), coalesce(actual::text, 'NULL'));
END
$fn$;

-- Runs a statement and returns its SQLSTATE: 00000 when it succeeded, in
-- which case its effects stay.
CREATE FUNCTION demo.sqlstate_of(statement text) RETURNS text
LANGUAGE plpgsql AS $fn$
BEGIN
    EXECUTE statement;
    RETURN '00000';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$fn$;

-- Records whether a statement fails with the expected SQLSTATE.
CREATE FUNCTION demo.expect_sqlstate(description text, statement text, expected text) RETURNS text
LANGUAGE sql AS $fn$
    SELECT demo.expect_equal(description || ' (SQLSTATE)', demo.sqlstate_of(statement), expected);
$fn$;

-- Runs every capture query for every assistant as the query's role and
-- stores the rows, their count and their hash under label. The loop runs
-- as the caller (a superuser) and switches role only around each query,
-- because superusers bypass row-level security.
CREATE FUNCTION demo.capture(label text) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
    run_started  timestamptz := clock_timestamp();
    cell_started timestamptz;
    assistant    record;
    query        demo.capture_queries;
    row_count    bigint;
    rows_text    text;
    row_hash     text;
    assistants   integer := 0;
    cells        integer := 0;
BEGIN
    IF EXISTS (SELECT FROM pg_roles r
                JOIN demo.capture_queries q ON q.role_name = r.rolname
               WHERE r.rolsuper OR r.rolbypassrls) THEN
        RAISE EXCEPTION 'a capture role bypasses row-level security, so the capture would show every row';
    END IF;
    DELETE FROM demo.captures c WHERE c.label = capture.label;

    FOR assistant IN SELECT t.id, t.widget_public_key FROM public.tenants t ORDER BY t.id LOOP
        assistants := assistants + 1;
        FOR query IN SELECT * FROM demo.capture_queries ORDER BY name LOOP
            cell_started := clock_timestamp();
            BEGIN
                PERFORM set_config('app.current_tenant',
                                   CASE WHEN query.sets_tenant THEN assistant.id::text ELSE '' END, true);
                PERFORM set_config('role', query.role_name, true);
                EXECUTE format('SELECT count(*), coalesce(string_agg(q.row_text, E''\n'' ORDER BY q.sort_key), '''')'
                               ' FROM (%s) AS q', query.statement)
                   INTO row_count, rows_text
                  USING assistant.id, assistant.widget_public_key;
                PERFORM set_config('role', 'none', true);
                row_hash := md5(rows_text);
            EXCEPTION WHEN OTHERS THEN
                -- Leaving the block rolls back to the superuser role. A failed
                -- query is a cell like any other, so the comparison shows it.
                row_count := NULL;
                rows_text := NULL;
                row_hash := format('ERROR %s: %s', SQLSTATE, SQLERRM);
            END;
            INSERT INTO demo.captures (label, assistant_id, query_name, row_count, rows_text, row_hash, ms)
            VALUES (capture.label, assistant.id, query.name, row_count, rows_text, row_hash,
                    extract(epoch FROM clock_timestamp() - cell_started) * 1000);
            cells := cells + 1;
        END LOOP;
    END LOOP;
    PERFORM set_config('app.current_tenant', '', true);

    INSERT INTO demo.capture_runs (label, assistants, cells, ms)
    VALUES (capture.label, assistants, cells, extract(epoch FROM clock_timestamp() - run_started) * 1000);
    RETURN format('captured %s: %s assistants, %s cells in %s ms', label, assistants, cells,
                  round(extract(epoch FROM clock_timestamp() - run_started) * 1000));
END
$fn$;

-- Stores the policies of schema public under label.
CREATE FUNCTION demo.snapshot_policies(label text) RETURNS text
LANGUAGE sql AS $fn$
    DELETE FROM demo.policy_snapshots s WHERE s.label = snapshot_policies.label;
    INSERT INTO demo.policy_snapshots
    SELECT snapshot_policies.label, p.tablename, p.policyname, p.permissive, p.roles,
           p.cmd, p.qual, p.with_check
      FROM pg_policies p
     WHERE p.schemaname = 'public';
    SELECT format('snapshot %s: %s policies', snapshot_policies.label, count(*))
      FROM demo.policy_snapshots s WHERE s.label = snapshot_policies.label;
$fn$;
