-- Bitmap heap scans under org_rls's policy. When the bitmap comes from the
-- index condition that the policy offers, the per-row test is the scan's
-- recheck condition and not a filter. PostgreSQL evaluates it only on lossy
-- bitmap pages, where it must still hide the rows of other organizations.
BEGIN;
\i tests/pg_regress/include/migrated.sql
-- Notes of the six assistants in turn, about 12 to a page, so that every
-- page contains rows of several organizations.
CREATE TABLE public.notes (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, day date NOT NULL)
    WITH (fillfactor = 10);
CREATE INDEX notes_tenant ON public.notes (tenant_id);
CREATE INDEX notes_day ON public.notes (day);
INSERT INTO public.notes
SELECT n, pg_temp.tenant(1 + n % 6), DATE '2026-01-01' + n % 30 FROM generate_series(1, 24000) AS n;
ANALYZE public.notes;
SET client_min_messages = error;
SELECT org_rls.protect('public.notes') IS NOT NULL AS protected;
RESET client_min_messages;
CREATE ROLE org_rls_bitmap;
GRANT SELECT ON public.notes TO org_rls_bitmap;
CREATE POLICY bitmap_all ON public.notes TO org_rls_bitmap USING (true);

-- The lines of EXPLAIN ANALYZE that show where the test ran, numbers
-- replaced by N unless they are 0.
CREATE FUNCTION pg_temp.scan_lines(query text) RETURNS SETOF text
LANGUAGE plpgsql AS $fn$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query LOOP
        IF line ~ '(Heap Blocks|Rows Removed|Recheck Cond|Filter)' THEN
            RETURN NEXT regexp_replace(line, '[1-9][0-9]*', 'N', 'g');
        END IF;
    END LOOP;
END
$fn$;
SET LOCAL enable_seqscan = off;
SET LOCAL enable_indexscan = off;
SET LOCAL ROLE org_rls_bitmap;
SELECT org_rls.use_organization(:'org1') IS NOT NULL AS context_set;

-- The whole table: the tenant index with the organization's ids, and the
-- test as the recheck condition only.
EXPLAIN (COSTS OFF) SELECT count(*) FROM public.notes;
-- With a condition of the query on another index, the planner may AND the
-- two bitmaps, and every row returned still matched the tenant index.
EXPLAIN (COSTS OFF) SELECT count(*) FROM public.notes WHERE day = DATE '2026-01-05';
-- With an OR of the query, the bitmap of the OR is ANDed with the tenant
-- index's.
EXPLAIN (COSTS OFF) SELECT count(*) FROM public.notes
 WHERE day = DATE '2026-01-05' OR id < 100;

-- Exact pages: the recheck does not run.
SELECT pg_temp.scan_lines('SELECT count(*) FROM public.notes');
SELECT count(*) AS visible,
       count(*) FILTER (WHERE tenant_id IN (:'org1_tenant1', :'org1_tenant2')) AS of_organization
  FROM public.notes;
-- A bitmap larger than work_mem turns lossy: the recheck runs on every row
-- of the lossy pages and removes those of other organizations.
SET LOCAL work_mem = '64kB';
SELECT pg_temp.scan_lines('SELECT count(*) FROM public.notes');
SELECT count(*) AS visible,
       count(*) FILTER (WHERE tenant_id IN (:'org1_tenant1', :'org1_tenant2')) AS of_organization
  FROM public.notes;
RESET work_mem;
RESET ROLE;
SELECT count(*) AS all_notes FROM public.notes;
ROLLBACK;
