-- Installing org_rls creates its schema, tables and functions with declared properties, comments, grants and pg_dump registration.
BEGIN;
\i tests/pg_regress/include/fixture.sql
CREATE EXTENSION org_rls;

SELECT extname, extversion, extrelocatable, extnamespace::regnamespace AS schema
  FROM pg_extension WHERE extname = 'org_rls';

-- Every member object, with a description of its kind.
SELECT pg_describe_object(classid, objid, objsubid) AS member
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'org_rls')
 ORDER BY 1;

-- The tables whose rows pg_dump writes.
SELECT unnest(extconfig)::regclass AS dumped_table
  FROM pg_extension WHERE extname = 'org_rls' ORDER BY 1;

\d org_rls.organizations

-- Volatility, strictness, parallel safety and security of the functions.
SELECT p.oid::regprocedure AS function, p.prokind, p.provolatile, p.proisstrict,
       p.proparallel, p.prosecdef, p.proconfig
  FROM pg_proc p
 WHERE p.pronamespace = 'org_rls'::regnamespace
 ORDER BY p.proname;

-- Which functions PUBLIC may call: the helpers, not the migration steps.
SELECT p.oid::regprocedure AS function,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
  FROM pg_proc p
 WHERE p.pronamespace = 'org_rls'::regnamespace
 ORDER BY p.proname;

-- Every object org_rls creates has a comment.
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS without_comment
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'org_rls')
   AND d.classid <> 'pg_namespace'::regclass
   AND obj_description(d.objid, d.classid::regclass::text) IS NULL
 ORDER BY 1;

-- The settings are registered once the library is loaded.
SELECT org_rls.organization_id() AS no_context;
SELECT name, setting, context, short_desc
  FROM pg_settings WHERE name LIKE 'org_rls.%' ORDER BY name;

-- The organizations table has row-level security and its policy.
SELECT relname, relrowsecurity, relforcerowsecurity
  FROM pg_class WHERE oid = 'org_rls.organizations'::regclass;
SELECT policyname, permissive, roles, cmd, qual
  FROM pg_policies WHERE schemaname = 'org_rls' ORDER BY policyname;

-- Installing does not touch the application's schema.
SELECT count(*) AS app_policies FROM pg_policies WHERE schemaname = 'public';
SELECT 'public.tenants'::regclass AS tenants_still_a_table,
       (SELECT relkind FROM pg_class WHERE oid = 'public.tenants'::regclass) AS relkind;
ROLLBACK;
