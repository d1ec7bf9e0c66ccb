-- The cost of org_rls.in_organization() per row where the policy filters
-- rows, against a uuid comparison in the same sequential scan. Two tables:
-- messages, where consecutive rows mostly belong to the same assistant, and
-- bench.probe, 2 million ids of the large organization in random order.
-- Index scans are off, so that the planner support function cannot turn the
-- call into an index condition. psql variable: org (the large organization).
-- Prints one line per table: the table, its number of rows, then the median
-- ms of three scans with the comparison and of three with the call.
\set ON_ERROR_STOP 1
\pset tuples_only on
\pset format unaligned
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
SET enable_indexscan = off;
SET enable_indexonlyscan = off;
SET enable_bitmapscan = off;
SET org_rls.organization_id = :'org';

CREATE UNLOGGED TABLE bench.probe AS
SELECT a.id AS tenant_id
  FROM generate_series(1, 1000) AS g
 CROSS JOIN (SELECT id FROM public.assistants WHERE organization_id = :'org'::uuid) AS a
 ORDER BY random();
VACUUM ANALYZE bench.probe;

-- Returns the median duration in ms of three runs of a count over the table.
CREATE FUNCTION pg_temp.median_ms(query text) RETURNS double precision
LANGUAGE plpgsql AS $fn$
DECLARE
    started timestamptz;
    runs double precision[] := '{}';
BEGIN
    EXECUTE query;   -- warms the cache and the lookup
    FOR i IN 1..3 LOOP
        started := clock_timestamp();
        EXECUTE query;
        runs := runs || extract(epoch FROM clock_timestamp() - started) * 1000;
    END LOOP;
    RETURN (SELECT r FROM unnest(runs) AS r ORDER BY r OFFSET 1 LIMIT 1);
END
$fn$;

-- Returns the number of rows of a table.
CREATE FUNCTION pg_temp.row_count(table_name text) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    counted bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', table_name) INTO counted;
    RETURN counted;
END
$fn$;

SELECT format('%s %s %s %s', t, pg_temp.row_count(t),
              pg_temp.median_ms(format('SELECT count(*) FROM %s WHERE tenant_id <> %L', t, '00000000-0000-0000-0000-000000000000')),
              pg_temp.median_ms(format('SELECT count(*) FROM %s WHERE org_rls.in_organization(tenant_id)', t)))
  FROM unnest(ARRAY['public.messages', 'bench.probe']) AS t;
DROP TABLE bench.probe;
