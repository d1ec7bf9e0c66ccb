-- Prints the summary of a demo run from the tables of schema demo.
\pset footer off

\echo
\echo 'Rows per table after the migration:'
SELECT table_name AS "table", row_count AS "rows"
  FROM (VALUES (1, 'assistants', (SELECT count(*) FROM public.assistants)),
               (2, 'tenant_members', (SELECT count(*) FROM public.tenant_members)),
               (3, 'documents', (SELECT count(*) FROM public.documents)),
               (4, 'knowledge', (SELECT count(*) FROM public.knowledge)),
               (5, 'conversations', (SELECT count(*) FROM public.conversations)),
               (6, 'messages', (SELECT count(*) FROM public.messages)),
               (7, 'events', (SELECT count(*) FROM public.events)),
               (8, 'org_rls.organizations', (SELECT count(*) FROM org_rls.organizations)))
       AS t(position, table_name, row_count)
 ORDER BY position;

\echo 'Migration steps:'
SELECT step, round(ms::numeric, 1) AS ms
  FROM (SELECT position, step, ms FROM demo.migration_steps
        UNION ALL
        SELECT NULL, 'total', sum(ms) FROM demo.migration_steps) AS s
 ORDER BY position NULLS LAST;

\echo 'Captures of what the legacy application sees, time per query in ms:'
SELECT query_name AS query,
       round(sum(ms) FILTER (WHERE label = 'before')::numeric) AS before,
       round(sum(ms) FILTER (WHERE label = 'after')::numeric) AS after
  FROM demo.captures
 GROUP BY query_name
 ORDER BY query_name;
SELECT label AS capture, assistants, cells, round(ms::numeric) AS ms
  FROM demo.capture_runs ORDER BY finished_at;

\echo 'Results:'
SELECT description AS "check", actual, expected, CASE WHEN passed THEN 'ok' ELSE 'FAILED' END AS result
  FROM demo.checks
 WHERE description IN ('cells compared', 'cells that differ between before and after',
                       'organization pairs checked as app_user', 'isolation violations in those pairs',
                       'cross-organization rows visible')
    OR NOT passed
 ORDER BY position;
SELECT format('%s checks passed, %s failed', count(*) FILTER (WHERE passed), count(*) FILTER (WHERE NOT passed))
       AS summary
  FROM demo.checks;
