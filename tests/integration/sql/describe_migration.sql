-- Prints what the org_rls migration left in the current database, one line
-- per fact, "section|value|value...", so that two databases (a source and
-- its restored dump) can be compared section by section with diff. Object
-- ids differ between databases, so relations are printed by name.
\pset tuples_only on
\pset format unaligned
SET TimeZone = 'UTC';

SELECT 'extension', e.extname,
       ARRAY(SELECT c::regclass::text FROM unnest(e.extconfig) AS c ORDER BY 1)
  FROM pg_extension e WHERE e.extname = 'org_rls';

SELECT 'organizations', o.id, o.name, o.created_at, o.backfilled_from
  FROM org_rls.organizations o ORDER BY o.id;

SELECT 'assistant_organizations', a.id, a.organization_id
  FROM public.assistants a ORDER BY a.id;

SELECT 'foreign_key', con.conname, pg_get_constraintdef(con.oid), con.convalidated
  FROM pg_constraint con
 WHERE con.conrelid = 'public.assistants'::regclass AND con.contype = 'f'
   AND con.confrelid = 'org_rls.organizations'::regclass;

SELECT 'organization_id_column', a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
  FROM pg_attribute a
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = 'public.assistants'::regclass AND a.attname = 'organization_id';

SELECT 'policies', p.schemaname, p.tablename, p.policyname, p.permissive, p.roles, p.cmd,
       p.qual, p.with_check
  FROM pg_policies p ORDER BY p.schemaname, p.tablename, p.policyname;

SELECT 'row_security', c.oid::regclass, c.relrowsecurity, c.relforcerowsecurity
  FROM pg_class c
 WHERE c.relnamespace IN ('public'::regnamespace, 'org_rls'::regnamespace) AND c.relkind IN ('r', 'p')
 ORDER BY c.oid::regclass::text;

-- pg_relation_is_updatable returns a bit mask: 28 means UPDATE, INSERT and
-- DELETE all work through the view.
SELECT 'compatibility_view', c.relkind, c.reloptions, pg_relation_is_updatable(c.oid, false),
       pg_get_userbyid(c.relowner), c.relacl, pg_get_viewdef(c.oid)
  FROM pg_class c WHERE c.oid = 'public.tenants'::regclass;

SELECT 'assistants_table', t.relation, t.id_column, t.name_column, t.attached_at
  FROM org_rls.assistants_table t;

SELECT 'compatibility_views', v.view, v.relation, v.created_at
  FROM org_rls.compatibility_views v ORDER BY v.view::text;

SELECT 'protected_tables', p.relation, p.tenant_column, p.enabled_rls, p.added_permissive, p.protected_at
  FROM org_rls.protected_tables p ORDER BY p.relation::text;
