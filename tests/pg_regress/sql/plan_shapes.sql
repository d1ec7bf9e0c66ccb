-- Plans as a plain role under org_rls's policies. A query without a tenant filter of its own scans the tenant_id index for the organization's assistant ids, and a query with one keeps that filter as the only index condition. Other indexes get no such condition. The planner estimates the organization's share of the rows. The ids are looked up a fixed number of times per statement however many rows it checks, also for WITH CHECK on a multi-row insert.
BEGIN;
\i tests/pg_regress/include/migrated.sql
-- A role whose own policies allow every row, so only org_rls's policy limits it.
CREATE ROLE org_rls_planner;
GRANT SELECT, INSERT, UPDATE ON public.messages, public.conversations, public.knowledge TO org_rls_planner;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO org_rls_planner;
CREATE POLICY planner_all ON public.messages TO org_rls_planner USING (true) WITH CHECK (true);
CREATE POLICY planner_all ON public.conversations TO org_rls_planner USING (true) WITH CHECK (true);
CREATE POLICY planner_all ON public.knowledge TO org_rls_planner USING (true);
SET LOCAL enable_seqscan = off;
SET LOCAL ROLE org_rls_planner;
SELECT org_rls.use_organization(:'org1') IS NOT NULL AS context_set;

-- A message by id: the primary key, with the organization's test as a filter.
EXPLAIN (COSTS OFF) SELECT * FROM public.messages WHERE id = 42;
-- One conversation's latest 50 messages.
EXPLAIN (COSTS OFF) SELECT * FROM public.messages
 WHERE conversation_id = md5('fixture-conv-1-1')::uuid ORDER BY created_at DESC LIMIT 50;
-- The organization's messages: the tenant index with the id set as index condition.
EXPLAIN (COSTS OFF) SELECT count(*) FROM public.messages;
EXPLAIN (COSTS OFF) SELECT * FROM public.messages ORDER BY created_at DESC LIMIT 50;
-- Keyword search over one assistant's chunks: @@ is not LEAKPROOF, so it
-- runs after the policy; the tenant conditions are index conditions.
EXPLAIN (COSTS OFF) SELECT id FROM public.knowledge
 WHERE tenant_id = pg_temp.tenant(1) AND fts @@ websearch_to_tsquery('english', 'refund')
 ORDER BY ts_rank_cd(fts, websearch_to_tsquery('english', 'refund')) DESC LIMIT 10;
RESET ROLE;

-- The estimate for the whole table: the organization's 2 assistants of the
-- 6 in the column's statistics, so a third of the rows. That is exactly the
-- number of rows visible to this role here.
CREATE FUNCTION pg_temp.estimated_rows(query text) RETURNS numeric
LANGUAGE plpgsql AS $fn$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric;
END
$fn$;
SET LOCAL ROLE org_rls_planner;
SELECT pg_temp.estimated_rows('SELECT * FROM public.messages') AS estimated_rows,
       (SELECT count(*) FROM public.messages) AS visible_rows;
-- With tenant_id = $1 in the query, the policy keeps all of that
-- assistant's rows or none, so the estimate is the assistant's rows.
SELECT pg_temp.estimated_rows(format('SELECT * FROM public.messages WHERE tenant_id = %L',
                                     pg_temp.tenant(1))) AS estimated_rows,
       (SELECT count(*) FROM public.messages WHERE tenant_id = pg_temp.tenant(1)) AS visible_rows;
RESET ROLE;
SELECT count(*) AS all_rows FROM public.messages;

-- The index condition is offered only on a btree index that leads with the
-- tenant column. Where the column comes second, the planner would trust an
-- order that a scan of many tenant ids does not keep. A hash index cannot
-- take an array at all.
CREATE TABLE public.notes_by_day (day date NOT NULL, tenant_id uuid NOT NULL, body text);
CREATE INDEX notes_by_day_day_tenant ON public.notes_by_day (day, tenant_id);
CREATE INDEX notes_by_day_tenant_hash ON public.notes_by_day USING hash (tenant_id);
INSERT INTO public.notes_by_day
SELECT DATE '2026-01-01' + n % 30, pg_temp.tenant(1 + n % 6), 'note ' || n
  FROM generate_series(1, 600) AS n;
ANALYZE public.notes_by_day;
SET client_min_messages = error;
SELECT org_rls.protect('public.notes_by_day') IS NOT NULL AS protected;
RESET client_min_messages;
GRANT SELECT ON public.notes_by_day TO org_rls_planner;
SET LOCAL ROLE org_rls_planner;
EXPLAIN (COSTS OFF) SELECT * FROM public.notes_by_day
 WHERE day BETWEEN DATE '2026-01-02' AND DATE '2026-01-04' ORDER BY day, tenant_id;
EXPLAIN (COSTS OFF) SELECT body FROM public.notes_by_day;
SELECT count(*) AS notes_visible FROM public.notes_by_day;
RESET ROLE;

-- Lookups of the organization's ids, counted as scans of
-- org_rls.organizations, which each lookup reads first. (Scans of the
-- assistants table would include each row's foreign key check.) An insert
-- of 100 rows makes as many lookups as one of 10, WITH CHECK and the
-- trigger's UPDATE of conversations included: none here, because no other
-- transaction commits during this test and this one writes no assistants,
-- so the lookup of an earlier statement still holds.
CREATE FUNCTION pg_temp.lookups() RETURNS bigint
LANGUAGE sql AS $fn$
    SELECT sum(coalesce(idx_scan, 0) + coalesce(seq_scan, 0))
      FROM pg_stat_xact_user_tables
     WHERE relid = 'org_rls.organizations'::regclass
$fn$;
SELECT pg_temp.lookups() AS before_ten \gset
SET LOCAL ROLE org_rls_planner;
INSERT INTO public.messages (conversation_id, tenant_id, role, content)
SELECT conversation_id, tenant_id, role, content FROM public.messages LIMIT 10;
RESET ROLE;
SELECT pg_temp.lookups() AS before_hundred \gset
SET LOCAL ROLE org_rls_planner;
INSERT INTO public.messages (conversation_id, tenant_id, role, content)
SELECT conversation_id, tenant_id, role, content FROM public.messages LIMIT 100;
RESET ROLE;
SELECT :before_hundred - :before_ten AS lookups_for_ten,
       pg_temp.lookups() - :before_hundred AS lookups_for_hundred;
ROLLBACK;
