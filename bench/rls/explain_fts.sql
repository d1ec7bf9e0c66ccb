-- Plans of the full-text queries of the LEAKPROOF section. psql variables:
-- rls (true: no explicit organization filter), tenant, org_ids, tsquery_assistant, tsquery_org.
\pset pager off
SET plan_cache_mode = force_generic_plan;

\echo '-- one assistant''s chunks'
PREPARE fts_assistant(uuid, text) AS
    SELECT id FROM public.knowledge WHERE tenant_id = $1 AND fts @@ to_tsquery('english', $2);
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE fts_assistant(:'tenant', :'tsquery_assistant');

\if :rls
\echo '-- the large organization''s chunks (row-level security alone)'
PREPARE fts_org(text) AS SELECT id FROM public.knowledge WHERE fts @@ to_tsquery('english', $1);
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE fts_org(:'tsquery_org');
\else
\echo '-- the large organization''s chunks (explicit filter)'
PREPARE fts_org(uuid[], text) AS
    SELECT id FROM public.knowledge WHERE tenant_id = ANY ($1) AND fts @@ to_tsquery('english', $2);
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE fts_org(:'org_ids', :'tsquery_org');
\endif
