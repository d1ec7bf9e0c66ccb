-- Plans of the matrix queries, as generic plans of prepared statements (what
-- pgbench -M prepared settles on after five executions, unless a custom plan
-- is cheaper). psql variables: rls (true: no explicit organization filter),
-- tenant, conv, org_ids, words.
\pset pager off
SET plan_cache_mode = force_generic_plan;

\echo '-- a message by id'
PREPARE by_id(bigint, uuid) AS
    SELECT id, conversation_id, role, content, created_at
      FROM public.messages WHERE id = $1 AND tenant_id = $2;
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE by_id(7, :'tenant');

\echo '-- one conversation, latest 50'
PREPARE conversation(uuid, uuid) AS
    SELECT id, role, content, created_at FROM public.messages
     WHERE conversation_id = $1 AND tenant_id = $2 ORDER BY created_at DESC LIMIT 50;
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE conversation(:'conv', :'tenant');

\if :rls
\echo '-- count in the large organization (row-level security alone)'
PREPARE org_count AS SELECT count(*) FROM public.messages;
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE org_count;
\echo '-- latest 50 in the large organization (row-level security alone)'
PREPARE org_latest AS
    SELECT id, tenant_id, content, created_at FROM public.messages ORDER BY created_at DESC LIMIT 50;
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE org_latest;
\else
\echo '-- count in the large organization (explicit filter)'
PREPARE org_count(uuid[]) AS SELECT count(*) FROM public.messages WHERE tenant_id = ANY ($1);
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE org_count(:'org_ids');
\echo '-- latest 50 in the large organization (explicit filter)'
PREPARE org_latest(uuid[]) AS
    SELECT id, tenant_id, content, created_at FROM public.messages
     WHERE tenant_id = ANY ($1) ORDER BY created_at DESC LIMIT 50;
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE org_latest(:'org_ids');
\endif

-- The statements above again under other settings. A setting does not
-- invalidate a cached plan, so DISCARD PLANS makes EXECUTE plan them anew.
\echo '-- count and latest 50 in the large organization, no parallel workers'
SET max_parallel_workers_per_gather = 0;
DISCARD PLANS;
\if :rls
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE org_count;
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE org_latest;
\else
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE org_count(:'org_ids');
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE org_latest(:'org_ids');
\endif
RESET max_parallel_workers_per_gather;

\echo '-- latest 50 in the large organization, random_page_cost = 1.1'
SET random_page_cost = 1.1;
DISCARD PLANS;
\if :rls
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE org_latest;
\else
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE org_latest(:'org_ids');
\endif
RESET random_page_cost;
DISCARD PLANS;

\echo '-- keyword top 10 over one assistant'
PREPARE keyword(uuid, text) AS
    SELECT k.id, ts_rank(k.fts, q.query) AS rank
      FROM public.knowledge k, websearch_to_tsquery('english', $2) AS q(query)
     WHERE k.tenant_id = $1 AND k.fts @@ q.query ORDER BY rank DESC, k.id LIMIT 10;
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE keyword(:'tenant', :'words');

\echo '-- hybrid_search for one assistant'
PREPARE hybrid(uuid, text) AS
    SELECT id FROM public.hybrid_search($1, $2, public.fixture_embedding(42, 16), 10);
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE hybrid(:'tenant', :'words');

\echo '-- 1,000 new messages in one statement (rolled back)'
-- Into a conversation of another assistant than :tenant, because the index
-- entries of the rolled-back rows stay until a vacuum and would slow down
-- the cells that read :tenant's messages.
BEGIN;
PREPARE insert_bulk(uuid) AS
    INSERT INTO public.messages (conversation_id, tenant_id, role, content)
    SELECT c.id, c.tenant_id, 'assistant'::public.message_role, 'Bulk reply ' || n
      FROM (SELECT id, tenant_id FROM public.conversations
             WHERE tenant_id <> $1 ORDER BY id LIMIT 1) AS c,
           generate_series(1, 1000) AS n;
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE insert_bulk(:'tenant');
ROLLBACK;
