-- Compares what the legacy application saw before and after the migration:
-- every capture cell (assistant, query) by row count and hash, and the
-- policies of schema public. Each difference makes a check fail.
\pset tuples_only on
\pset format unaligned

CREATE TEMP VIEW cell_pairs AS
SELECT assistant_id, query_name,
       b.row_count AS rows_before, a.row_count AS rows_after,
       b.row_hash  AS hash_before, a.row_hash  AS hash_after,
       b.rows_text AS text_before, a.rows_text AS text_after,
       b.row_count IS DISTINCT FROM a.row_count OR b.row_hash IS DISTINCT FROM a.row_hash AS differs
  FROM (SELECT * FROM demo.captures WHERE label = 'before') AS b
  FULL JOIN (SELECT * FROM demo.captures WHERE label = 'after') AS a USING (assistant_id, query_name);

SELECT demo.expect_equal('capture cells before the migration',
                         (SELECT count(*) FROM demo.captures WHERE label = 'before'),
                         (SELECT count(*) FROM public.assistants) * (SELECT count(*) FROM demo.capture_queries));
SELECT demo.expect_equal('capture cells that failed before the migration',
                         (SELECT count(*) FROM demo.captures WHERE label = 'before' AND row_count IS NULL), 0);
-- A query that shows no rows to any assistant would compare equal whatever
-- the migration did.
SELECT demo.expect_equal('capture queries without rows before the migration',
                         (SELECT count(*) FROM demo.capture_queries q
                           WHERE NOT EXISTS (SELECT FROM demo.captures c
                                              WHERE c.label = 'before' AND c.query_name = q.name
                                                AND c.row_count > 0)),
                         0);
SELECT demo.expect_equal('cells compared', count(*),
                         (SELECT count(*) FROM demo.captures WHERE label = 'before'))
  FROM cell_pairs;
SELECT demo.expect_equal('cells that differ between before and after', count(*), 0)
  FROM cell_pairs WHERE differs;

-- Differences per query, then the first difference of up to five queries,
-- with the first row that differs.
SELECT format('        %s: %s of %s assistants differ', query_name, count(*) FILTER (WHERE differs), count(*))
  FROM cell_pairs
 GROUP BY query_name
HAVING bool_or(differs)
 ORDER BY query_name;

SELECT format('        example %s, assistant %s (row count before: %s, after: %s)' || E'\n'
              || '          first differing row before: %s' || E'\n'
              || '          first differing row after:  %s',
              d.query_name, d.assistant_id,
              coalesce(d.rows_before::text, d.hash_before),
              coalesce(d.rows_after::text, d.hash_after),
              coalesce(f.line_before, '(none)'), coalesce(f.line_after, '(none)'))
  FROM (SELECT DISTINCT ON (query_name) *
          FROM cell_pairs WHERE differs
         ORDER BY query_name, assistant_id) AS d
  LEFT JOIN LATERAL (
        SELECT before_line.line AS line_before, after_line.line AS line_after
          FROM unnest(string_to_array(d.text_before, E'\n')) WITH ORDINALITY AS before_line(line, n)
          FULL JOIN unnest(string_to_array(d.text_after, E'\n')) WITH ORDINALITY AS after_line(line, n)
               USING (n)
         WHERE before_line.line IS DISTINCT FROM after_line.line
         ORDER BY n
         LIMIT 1) AS f ON true
 ORDER BY d.query_name
 LIMIT 5;

CREATE TEMP VIEW policies_before AS
SELECT table_name, policy_name, permissive, roles, cmd, qual, with_check
  FROM demo.policy_snapshots WHERE label = 'before';

-- rename_tenants renamed the table tenants to assistants. Only that table
-- name is mapped back, and expressions must match as text.
CREATE TEMP VIEW policies_after AS
SELECT CASE table_name WHEN 'assistants' THEN 'tenants'::name ELSE table_name END AS table_name,
       policy_name, permissive, roles, cmd, qual, with_check
  FROM demo.policy_snapshots WHERE label = 'after';

CREATE TEMP VIEW policies_changed AS
SELECT * FROM policies_before EXCEPT SELECT * FROM policies_after;

CREATE TEMP VIEW policies_added AS
SELECT * FROM policies_after EXCEPT SELECT * FROM policies_before;

SELECT demo.expect_equal(format('pre-existing policies changed or missing, of %s', count(*)),
                         (SELECT count(*) FROM policies_changed), 0)
  FROM policies_before;
SELECT format('        changed or missing: policy %s on %s', policy_name, table_name)
  FROM policies_changed ORDER BY table_name, policy_name;

SELECT demo.expect_equal('org_rls_isolation policies added (RESTRICTIVE, FOR ALL, TO PUBLIC)', count(*), 7)
  FROM policies_added
 WHERE policy_name = 'org_rls_isolation' AND permissive = 'RESTRICTIVE'
   AND cmd = 'ALL' AND roles = '{public}';
SELECT demo.expect_equal('other policies added', count(*), 0)
  FROM policies_added
 WHERE NOT (policy_name = 'org_rls_isolation' AND permissive = 'RESTRICTIVE'
            AND cmd = 'ALL' AND roles = '{public}');
