-- Functions in SQL, PL/pgSQL and BEGIN ATOMIC form, views and a materialized view over tenants keep working after the migration; plan_migration and status list the string-bodied ones and change nothing.
BEGIN;
\i tests/pg_regress/include/fixture.sql
CREATE EXTENSION org_rls;
CREATE FUNCTION public.count_sql() RETURNS bigint LANGUAGE sql STABLE
    AS $$ SELECT count(*) FROM public.tenants WHERE is_active $$;
CREATE FUNCTION public.count_plpgsql() RETURNS bigint LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN (SELECT count(*) FROM tenants WHERE is_active); END $$;
CREATE FUNCTION public.count_atomic() RETURNS bigint LANGUAGE sql STABLE
    BEGIN ATOMIC SELECT count(*) FROM public.tenants WHERE is_active; END;
CREATE FUNCTION public.rename_assistant(p_id uuid, p_name text) RETURNS void LANGUAGE plpgsql
    AS $$ BEGIN UPDATE public.tenants SET name = p_name WHERE id = p_id; END $$;
CREATE VIEW public.active_tenants AS SELECT id, slug FROM public.tenants WHERE is_active;
CREATE MATERIALIZED VIEW public.tenant_kinds AS SELECT kind, count(*) AS assistants FROM public.tenants GROUP BY kind;

-- The dry run, on the database before the migration.
CREATE TEMP TABLE catalog_before AS
    SELECT c.oid, c.relname, c.relkind, c.relrowsecurity FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace;
SELECT ordinal, kind, object, description FROM org_rls.plan_migration() ORDER BY ordinal;
SELECT count(*) AS relations_changed_by_dry_run FROM (
    SELECT oid, relname, relkind, relrowsecurity FROM pg_class WHERE relnamespace = 'public'::regnamespace
    EXCEPT SELECT * FROM catalog_before) AS changed;
SELECT count(*) AS organizations, (SELECT count(*) FROM org_rls.assistants_table) AS attached
  FROM org_rls.organizations;

-- Problems the dry run reports for other inputs.
SELECT kind, description FROM org_rls.plan_migration('public.active_tenants');
SELECT kind, description FROM org_rls.plan_migration('public.tenant_members', 'documents');
SELECT pg_temp.error_of($$SELECT * FROM org_rls.plan_migration(NULL)$$);

SELECT org_rls.rename_tenants() IS NOT NULL AS renamed;
SELECT org_rls.attach_assistants();
SELECT org_rls.backfill_batch() AS assigned;
SELECT org_rls.finalize_assistants();

SELECT public.count_sql() AS sql_body, public.count_plpgsql() AS plpgsql_body, public.count_atomic() AS atomic_body;
SELECT public.rename_assistant(pg_temp.tenant(1), 'Renamed through a function');
SELECT name FROM public.assistants WHERE id = pg_temp.tenant(1);
SELECT count(*) AS active_view_rows FROM public.active_tenants;
REFRESH MATERIALIZED VIEW public.tenant_kinds;
SELECT kind, assistants FROM public.tenant_kinds ORDER BY kind;
SELECT pg_get_functiondef('public.count_atomic'::regproc) ~ '\massistants\M'
       AND pg_get_functiondef('public.count_atomic'::regproc) !~ '\mtenants\M' AS atomic_body_follows_table;

-- After the rename, the dry run reports step 1 as done.
SELECT ordinal, kind, object, description FROM org_rls.plan_migration() WHERE ordinal <= 2 ORDER BY ordinal;
SELECT component, state, detail FROM org_rls.status() WHERE component LIKE 'function%' ORDER BY detail;
ROLLBACK;
