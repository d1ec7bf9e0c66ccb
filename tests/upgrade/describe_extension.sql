-- Prints every object of the org_rls extension with the properties an
-- upgrade script must reproduce, one line each, in a stable order. Two
-- databases with equal output have the same extension schema.
\pset tuples_only on
\pset format unaligned
WITH members AS (
    SELECT d.classid, d.objid
      FROM pg_depend d
     WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
       AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'org_rls')
), functions AS (
    SELECT format('function %s(%s) returns %s | kind %s volatility %s strict %s parallel %s definer %s | config %s | acl %s | comment %s | body %s',
                  p.oid::regproc, pg_get_function_arguments(p.oid),
                  coalesce(pg_get_function_result(p.oid), '-'), p.prokind, p.provolatile,
                  p.proisstrict, p.proparallel, p.prosecdef, p.proconfig, p.proacl,
                  obj_description(p.oid, 'pg_proc'), md5(p.prosrc)) AS line
      FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
), tables AS (
    SELECT format('table %s | rls %s force %s | acl %s | comment %s',
                  c.oid::regclass, c.relrowsecurity, c.relforcerowsecurity, c.relacl,
                  obj_description(c.oid, 'pg_class')) AS line
      FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
), columns AS (
    SELECT format('column %s.%I %s | not null %s | default %s | comment %s',
                  c.oid::regclass, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  pg_get_expr(ad.adbin, ad.adrelid), col_description(c.oid, a.attnum)) AS line
      FROM members m
      JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
), constraints AS (
    SELECT format('constraint %s on %s: %s', con.conname, con.conrelid::regclass,
                  pg_get_constraintdef(con.oid)) AS line
      FROM members m JOIN pg_constraint con ON m.classid = 'pg_class'::regclass AND con.conrelid = m.objid
), indexes AS (
    SELECT format('index %s', pg_get_indexdef(i.indexrelid)) AS line
      FROM members m JOIN pg_index i ON m.classid = 'pg_class'::regclass AND i.indrelid = m.objid
), policies AS (
    SELECT format('policy %s on %s | %s %s to %s | using %s | check %s | comment %s',
                  pol.polname, pol.polrelid::regclass, pol.polpermissive, pol.polcmd, pol.polroles::regrole[],
                  pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid),
                  obj_description(pol.oid, 'pg_policy')) AS line
      FROM members m JOIN pg_policy pol ON m.classid = 'pg_class'::regclass AND pol.polrelid = m.objid
), triggers AS (
    SELECT format('trigger %s | enabled %s', pg_get_triggerdef(tg.oid), tg.tgenabled) AS line
      FROM members m JOIN pg_trigger tg ON m.classid = 'pg_class'::regclass AND tg.tgrelid = m.objid
     WHERE NOT tg.tgisinternal
), others AS (
    SELECT format('member %s', pg_describe_object(m.classid, m.objid, 0)) AS line
      FROM members m WHERE m.classid NOT IN ('pg_proc'::regclass, 'pg_class'::regclass)
), extension AS (
    SELECT format('extension %s schema %s relocatable %s config %s',
                  extversion, extnamespace::regnamespace, extrelocatable,
                  (SELECT array_agg(c::regclass::text ORDER BY c::regclass::text) FROM unnest(extconfig) AS c)) AS line
      FROM pg_extension WHERE extname = 'org_rls'
), schema_grants AS (
    SELECT format('schema org_rls acl %s', nspacl) AS line FROM pg_namespace WHERE nspname = 'org_rls'
)
SELECT line FROM (
    SELECT line FROM functions UNION ALL SELECT line FROM tables UNION ALL SELECT line FROM columns
    UNION ALL SELECT line FROM constraints UNION ALL SELECT line FROM indexes
    UNION ALL SELECT line FROM policies UNION ALL SELECT line FROM triggers UNION ALL SELECT line FROM others
    UNION ALL SELECT line FROM extension UNION ALL SELECT line FROM schema_grants
) AS all_lines
ORDER BY line;
