-- Plan of hybrid_search as a generic plan of a prepared statement. psql
-- variables: tenant, words.
\pset pager off
SET plan_cache_mode = force_generic_plan;
PREPARE hybrid(uuid, text) AS
    SELECT id FROM public.hybrid_search($1, $2, public.fixture_embedding(42, 16), 10);
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE hybrid(:'tenant', :'words');
