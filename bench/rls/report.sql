-- Prints the results of bench.result as Markdown tables. psql variable:
-- cap_ms, the statement_timeout of slow cells.
\pset tuples_only on
\pset format unaligned
SET client_min_messages = warning;

-- Formats a latency in ms with about three significant digits.
CREATE FUNCTION pg_temp.ms(value double precision) RETURNS text
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE WHEN value IS NULL THEN NULL
                WHEN value >= 100 THEN round(value::numeric)::text
                WHEN value >= 10 THEN round(value::numeric, 1)::text
                WHEN value >= 1 THEN round(value::numeric, 2)::text
                ELSE round(value::numeric, 3)::text END
$fn$;

-- One table cell: latency, ratio to the reference, and the cell's note.
CREATE FUNCTION pg_temp.cell(value double precision, reference double precision, txns bigint,
                             note text, cap_ms double precision) RETURNS text
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE
        WHEN txns IS NULL THEN 'n/a'
        WHEN value IS NULL THEN format('> %s (timeout)', cap_ms)
        ELSE format('%s (%s×)%s', pg_temp.ms(value), round((value / reference)::numeric, 2),
                    CASE WHEN note LIKE 'slow:%' THEN format(' [%s tx]', txns) ELSE '' END)
    END
$fn$;

-- Returns how a helper cell's session sets the organization.
CREATE FUNCTION pg_temp.context(shape text) RETURNS text
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE shape WHEN 'explicit' THEN 'org_rls.organization_id set'
                      WHEN 'legacy' THEN 'app.current_tenant via legacy_tenant_setting'
                      WHEN 'inline' THEN 'plain SQL, no row-level security'
                      ELSE shape END
$fn$;

-- Returns one table row per cell of a section other than its references:
-- the cell, the reference cell measured just before it, and their
-- difference, in µs rounded to DIGITS.
CREATE FUNCTION pg_temp.minus_reference(section_name text, digits int) RETURNS SETOF text
LANGUAGE sql STABLE AS $fn$
    SELECT format('| %s | %s | %s | %s | %s |', r.query, pg_temp.context(r.shape),
                  round((r.ms * 1000)::numeric, digits), round((ref.ms * 1000)::numeric, digits),
                  round(((r.ms - ref.ms) * 1000)::numeric, digits))
      FROM bench.result r
      CROSS JOIN LATERAL (SELECT p.ms FROM bench.result p
                           WHERE p.section = r.section AND p.shape = 'reference' AND p.seq < r.seq
                           ORDER BY p.seq DESC LIMIT 1) ref
     WHERE r.section = section_name AND r.shape <> 'reference'
     ORDER BY r.seq
$fn$;

\echo '### Queries by policy shape: ms per transaction (ratio to the baseline)'
\echo ''
\echo '| query | baseline | org_rls.protect | tenant_id = setting | per-row EXISTS | SECURITY DEFINER is_member | IN (subquery) |'
\echo '| --- | --- | --- | --- | --- | --- | --- |'
WITH q AS (
    SELECT query, min(seq) AS first,
           max(ms) FILTER (WHERE shape = 'baseline') AS base,
           jsonb_object_agg(shape, jsonb_build_object('ms', ms, 'txns', txns, 'note', note)) AS cells
      FROM bench.result WHERE section = 'matrix' GROUP BY query
)
SELECT format('| %s | %s | %s | %s | %s | %s | %s |', query, pg_temp.ms(base),
              pg_temp.cell((cells->'org_rls'->>'ms')::float8, base, (cells->'org_rls'->>'txns')::bigint, cells->'org_rls'->>'note', :cap_ms),
              pg_temp.cell((cells->'tenant'->>'ms')::float8, base, (cells->'tenant'->>'txns')::bigint, cells->'tenant'->>'note', :cap_ms),
              pg_temp.cell((cells->'exists'->>'ms')::float8, base, (cells->'exists'->>'txns')::bigint, cells->'exists'->>'note', :cap_ms),
              pg_temp.cell((cells->'definer'->>'ms')::float8, base, (cells->'definer'->>'txns')::bigint, cells->'definer'->>'note', :cap_ms),
              pg_temp.cell((cells->'in'->>'ms')::float8, base, (cells->'in'->>'txns')::bigint, cells->'in'->>'note', :cap_ms))
  FROM q ORDER BY first;

\echo ''
\echo '### Helpers: µs per statement; fixed cost = statement minus the SELECT NULL::uuid[] measured just before it'
\echo ''
\echo '| statement | context | µs per statement | reference µs | fixed cost µs |'
\echo '| --- | --- | --- | --- | --- |'
SELECT pg_temp.minus_reference('helper', 1);

\echo ''
\echo '### Lookup after a snapshot change: µs per call, timed inside the server after a commit'
\echo ''
\echo '| call | context | µs per call | reference µs | lookup µs |'
\echo '| --- | --- | --- | --- | --- |'
SELECT pg_temp.minus_reference('lookup', 2);

\echo ''
\echo '### Per-row test: sequential scan, ms per scan'
\echo ''
\echo '| table | rows | tenant_id <> constant | in_organization(tenant_id) | difference per row, ns |'
\echo '| --- | --- | --- | --- | --- |'
SELECT format('| %s | %s | %s | %s | %s |', c.query, c.txns, pg_temp.ms(c.ms), pg_temp.ms(f.ms),
              round(((f.ms - c.ms) * 1e6 / c.txns)::numeric, 1))
  FROM bench.result c
  JOIN bench.result f ON f.section = c.section AND f.query = c.query AND f.shape = 'in_organization'
 WHERE c.section = 'per_row' AND c.shape = 'comparison'
 ORDER BY c.seq;

\echo ''
\echo '### hybrid_search for one assistant, as the application role app_user'
\echo ''
\echo '| state | ms per call | ratio to before |'
\echo '| --- | --- | --- |'
SELECT format('| %s | %s | %s |',
              CASE r.shape WHEN 'before' THEN 'before the extension'
                           WHEN 'after_legacy' THEN 'after, organization from app.current_tenant'
                           ELSE 'after, org_rls.organization_id set' END,
              pg_temp.ms(r.ms), round((r.ms / b.ms)::numeric, 2))
  FROM bench.result r, (SELECT ms FROM bench.result WHERE section = 'hybrid' AND shape = 'before') b
 WHERE r.section = 'hybrid'
 ORDER BY r.seq;
\echo ''
SELECT format('Same result ids before and after: %s (%s rows).',
              (SELECT value FROM bench.param WHERE name = 'hybrid_same_ids'),
              (SELECT value FROM bench.param WHERE name = 'hybrid_result_count'));

\echo ''
\echo '### LEAKPROOF: full-text match, ms per statement (ratio to no row-level security)'
\echo ''
\echo '| variant | one assistant, refund & invoice | large organization, zebra |'
\echo '| --- | --- | --- |'
WITH v AS (
    SELECT shape, min(seq) AS first,
           jsonb_object_agg(CASE WHEN query LIKE '%one assistant%' THEN 'a' ELSE 'o' END,
                            jsonb_build_object('ms', ms, 'txns', txns, 'note', note)) AS cells
      FROM bench.result WHERE section = 'leakproof' GROUP BY shape
), ref AS (
    SELECT (cells->'a'->>'ms')::float8 AS a, (cells->'o'->>'ms')::float8 AS o FROM v WHERE shape = 'no_rls'
)
SELECT format('| %s | %s | %s |',
              CASE shape WHEN 'no_rls' THEN 'no row-level security, explicit filter'
                         WHEN 'org_rls' THEN 'org_rls.protect'
                         WHEN 'definer_fn' THEN 'SECURITY DEFINER search function, under org_rls'
                         WHEN 'no_rls_btree_gin' THEN 'no row-level security, with btree_gin (tenant_id, fts)'
                         WHEN 'org_rls_btree_gin' THEN 'org_rls.protect, with btree_gin (tenant_id, fts)'
                         WHEN 'org_rls_leakproof' THEN 'org_rls.protect, ts_match_vq marked LEAKPROOF'
                         ELSE shape END,
              pg_temp.cell((cells->'a'->>'ms')::float8, ref.a, (cells->'a'->>'txns')::bigint, cells->'a'->>'note', :cap_ms),
              pg_temp.cell((cells->'o'->>'ms')::float8, ref.o, (cells->'o'->>'txns')::bigint, cells->'o'->>'note', :cap_ms))
  FROM v, ref ORDER BY first;

\echo ''
\echo '### Cells with notes'
\echo ''
SELECT format('- %s / %s / %s: %s', section, query, shape, note)
  FROM bench.result WHERE note IS NOT NULL AND note NOT LIKE 'runs%' ORDER BY seq;
