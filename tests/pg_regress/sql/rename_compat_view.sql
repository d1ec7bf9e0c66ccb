-- rename_tenants renames the table and leaves an updatable security_invoker view with the same privileges; the widget RPCs keep working; bad input changes nothing.
BEGIN;
\i tests/pg_regress/include/fixture.sql
CREATE EXTENSION org_rls;

-- Refusals first: each leaves the table where it was.
CREATE TABLE public.assistants (taken boolean);
SELECT org_rls.rename_tenants();
SELECT pg_temp.error_of($$SELECT org_rls.rename_tenants()$$);
SELECT pg_temp.error_of($$SELECT org_rls.rename_tenants('public.tenants', 'recent_conversations')$$);
DROP TABLE public.assistants;
SELECT pg_temp.error_of($$SELECT org_rls.rename_tenants('public.recent_conversations')$$);
SELECT org_rls.rename_tenants('public.recent_conversations');
SELECT pg_temp.error_of($$SELECT org_rls.rename_tenants(NULL)$$);
SELECT pg_temp.error_of($$SELECT org_rls.rename_tenants('public.tenants', NULL)$$);
SELECT pg_temp.error_of($$SELECT org_rls.rename_tenants('public.no_such_table')$$);
SELECT relname, relkind FROM pg_class
 WHERE relnamespace = 'public'::regnamespace AND relname IN ('tenants', 'assistants');
SELECT count(*) AS compatibility_views FROM org_rls.compatibility_views;

-- The rename itself.
SELECT org_rls.rename_tenants();
SELECT relname, relkind FROM pg_class
 WHERE relnamespace = 'public'::regnamespace AND relname IN ('tenants', 'assistants')
 ORDER BY relname;
SELECT view, relation FROM org_rls.compatibility_views;
SELECT c.reloptions, pg_get_userbyid(c.relowner) AS owner,
       pg_relation_is_updatable(c.oid, false) AS updatable_bits,
       obj_description(c.oid, 'pg_class') AS comment
  FROM pg_class c WHERE c.oid = 'public.tenants'::regclass;

-- The view grants what the table granted.
SELECT grantee, privilege_type, is_grantable
  FROM information_schema.role_table_grants
 WHERE table_schema = 'public' AND table_name = 'tenants'
 ORDER BY grantee, privilege_type;
SELECT (SELECT array_agg(g.grantee || ':' || g.privilege_type ORDER BY 1)
          FROM information_schema.role_table_grants g
         WHERE g.table_schema = 'public' AND g.table_name = 'tenants')
     = (SELECT array_agg(g.grantee || ':' || g.privilege_type ORDER BY 1)
          FROM information_schema.role_table_grants g
         WHERE g.table_schema = 'public' AND g.table_name = 'assistants') AS same_grants;

-- Objects that pointed at the table follow it; those that name it go through the view.
SELECT count(*) AS usage_rows FROM public.tenant_usage;
SELECT pg_get_viewdef('public.recent_conversations'::regclass) LIKE '%assistants t%' AS view_follows_table;

-- The widget RPCs resolve assistants through the view.
SET LOCAL ROLE app_widget;
SELECT count(*) AS widget_results
  FROM public.widget_search('pk_live_' || substr(md5('widget-key-1'), 1, 24), 'refund invoice',
                            public.fixture_embedding(42, 16), 5);
SELECT public.widget_start_conversation('pk_live_' || substr(md5('widget-key-1'), 1, 24), 'visitor-x')
       IS NOT NULL AS conversation_started;
SELECT pg_temp.error_of($$SELECT public.widget_start_conversation('pk_live_unknown', 'v')$$);
RESET ROLE;

-- The application role reads and updates through the view under its policies.
SET LOCAL ROLE app_user;
SELECT set_config('app.current_tenant', pg_temp.tenant(2)::text, true) IS NOT NULL AS context_set;
SELECT slug FROM public.tenants ORDER BY slug;
UPDATE public.tenants SET name = 'Renamed through the view' WHERE id = pg_temp.tenant(2);
UPDATE public.tenants SET name = 'Not visible' WHERE id = pg_temp.tenant(3);
RESET ROLE;
SELECT slug, name FROM public.assistants WHERE id IN (pg_temp.tenant(2), pg_temp.tenant(3)) ORDER BY slug;

-- Inserts through the view use the table's defaults and fire its triggers.
INSERT INTO public.tenants (slug, name) VALUES ('inserted-through-view', 'Inserted');
SELECT a.kind, e.event_type
  FROM public.assistants a JOIN public.events e ON e.tenant_id = a.id
 WHERE a.slug = 'inserted-through-view';

-- A second call finds the rename done; renaming the new table again finds its own name taken.
SELECT org_rls.rename_tenants();
SELECT pg_temp.error_of($$SELECT org_rls.rename_tenants('public.assistants')$$);
-- Steps that need the table name the table behind the view.
SELECT org_rls.attach_assistants('public.tenants');
ROLLBACK;
