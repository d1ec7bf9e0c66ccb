-- As a plain role under org_rls's policies, each query keeps the tenant_id index as its index condition and computes the organization's assistant ids once per statement, also for WITH CHECK on a multi-row insert.
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

-- A message by id: the primary key, with the organization as a filter.
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

-- Calls counted by track_functions: one per protected table reference and
-- statement, never one per row. Expected 5: the count, the insert's source
-- scan, its WITH CHECK over 120 rows, and the USING and WITH CHECK of the
-- UPDATE on conversations that the messages trigger runs.
SET LOCAL track_functions = 'all';
SET LOCAL ROLE org_rls_planner;
SELECT count(*) AS messages_visible FROM public.messages;
INSERT INTO public.messages (conversation_id, tenant_id, role, content)
SELECT conversation_id, tenant_id, role, content FROM public.messages;
RESET ROLE;
SELECT funcname, calls FROM pg_stat_xact_user_functions
 WHERE schemaname = 'org_rls' ORDER BY funcname;
ROLLBACK;
