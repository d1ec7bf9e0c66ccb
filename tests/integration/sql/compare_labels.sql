-- Compares two captures of what the legacy application sees, made with the
-- demo's capture.sql under the labels given as psql variables before_label
-- and after_label: every capture cell (assistant, query) by row count and
-- hash, and the policies of schema public. Both sides read the table
-- assistants as tenants, its name before rename_tenants. Each check prints an
-- ok or FAILED line and is recorded in demo.checks.
\pset tuples_only on
\pset format unaligned

CREATE TEMP VIEW label_cells AS
SELECT assistant_id, query_name,
       b.row_count IS DISTINCT FROM a.row_count OR b.row_hash IS DISTINCT FROM a.row_hash AS differs
  FROM (SELECT * FROM demo.captures WHERE label = :'before_label') AS b
  FULL JOIN (SELECT * FROM demo.captures WHERE label = :'after_label') AS a USING (assistant_id, query_name);

SELECT demo.expect_equal(format('capture cells of %s', :'after_label'),
                         (SELECT count(*) FROM demo.captures WHERE label = :'after_label'),
                         (SELECT count(*) FROM public.tenants) * (SELECT count(*) FROM demo.capture_queries));
SELECT demo.expect_equal(format('capture cells of %s that failed', :'after_label'), count(*), 0)
  FROM demo.captures WHERE label = :'after_label' AND row_count IS NULL;
-- A query that shows no rows to any assistant would compare equal whatever
-- happened in between.
SELECT demo.expect_equal(format('capture queries without rows in %s', :'after_label'), count(*), 0)
  FROM demo.capture_queries q
 WHERE NOT EXISTS (SELECT FROM demo.captures c
                    WHERE c.label = :'after_label' AND c.query_name = q.name AND c.row_count > 0);
SELECT demo.expect_equal(format('cells that differ between %s and %s', :'before_label', :'after_label'),
                         count(*), 0)
  FROM label_cells WHERE differs;
SELECT format('        %s: %s of %s assistants differ', query_name, count(*) FILTER (WHERE differs), count(*))
  FROM label_cells
 GROUP BY query_name
HAVING bool_or(differs)
 ORDER BY query_name;

CREATE TEMP VIEW label_policies AS
SELECT label, CASE table_name WHEN 'assistants' THEN 'tenants'::name ELSE table_name END AS table_name,
       policy_name, permissive, roles, cmd, qual, with_check
  FROM demo.policy_snapshots;

CREATE TEMP VIEW policies_only_before AS
SELECT table_name, policy_name, permissive, roles, cmd, qual, with_check
  FROM label_policies WHERE label = :'before_label'
EXCEPT
SELECT table_name, policy_name, permissive, roles, cmd, qual, with_check
  FROM label_policies WHERE label = :'after_label';

CREATE TEMP VIEW policies_only_after AS
SELECT table_name, policy_name, permissive, roles, cmd, qual, with_check
  FROM label_policies WHERE label = :'after_label'
EXCEPT
SELECT table_name, policy_name, permissive, roles, cmd, qual, with_check
  FROM label_policies WHERE label = :'before_label';

SELECT demo.expect_equal(format('policies of %s missing or changed in %s, of %s',
                                :'before_label', :'after_label', count(*)),
                         (SELECT count(*) FROM policies_only_before), 0)
  FROM label_policies WHERE label = :'before_label';
SELECT demo.expect_equal(format('policies of %s not in %s', :'after_label', :'before_label'),
                         count(*), 0)
  FROM policies_only_after;
SELECT format('        only in %s: policy %s on %s', :'before_label', policy_name, table_name)
  FROM policies_only_before ORDER BY table_name, policy_name;
SELECT format('        only in %s: policy %s on %s', :'after_label', policy_name, table_name)
  FROM policies_only_after ORDER BY table_name, policy_name;
